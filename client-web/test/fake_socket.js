// A stand-in for the browser's WebSocket in unit tests: records what the client sends and
// lets a test open, feed and drop the connection.

import { decodeClientMsg, encodeServerMsg } from '../src/sdk/codec.js';

export class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(bytes) {
    this.sent.push(decodeClientMsg(bytes));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen();
  }
  receive(msg) {
    const bytes = encodeServerMsg(msg);
    this.onmessage({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
  drop() {
    this.readyState = 3;
    this.onclose();
  }
}
