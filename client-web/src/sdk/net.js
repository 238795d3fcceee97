// The WebSocket to the server: binary frames only, Hello on every (re)connect, a Ping each
// second for the round-trip time, byte counters both ways, and reconnection with exponential
// backoff while the connection is wanted, giving up after a while (`retry` starts again).
// It keeps the reconnect token of the latest Welcome; when the socket drops while this
// client holds a seat in a lobby, the next Hello presents that token to take the seat back
// (a resume). `resumed` says, once welcomed, whether that worked: then the server follows
// with Joined for the same seat; otherwise (ResumeRefused, or no seat to resume) the
// connection is in no lobby. A Redirect (cluster mode: what was asked for is on another
// node) is followed at once and unseen by the page: the socket moves to the node's URL
// (ws: or wss: only, at most MAX_REDIRECTS in a row), says Hello there (with the token, if
// resuming) and keeps the seat ticket for the page to present (`takeTicket`).

import { Backoff } from './backoff.js';
import { decodeServerMsg, encodeClientMsg } from './codec.js';
import { PROTOCOL_VERSION } from './limits.js';

export const PING_INTERVAL_MS = 1000;
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 10000;
/** Reconnecting stops once it has failed for this long (the status is then `stopped`). */
export const BACKOFF_GIVE_UP_MS = 60000;
/** Most Redirects followed without a Joined in between (a loop between nodes stops). */
export const MAX_REDIRECTS = 3;
/** Close code (application range) for a server frame this client cannot decode. */
const CLOSE_UNDECODABLE = 4000;

/**
 * @typedef {{type: string} & Record<string, any>} Msg
 *
 * `lost`: the socket dropped and the next try is at `retryAt`; `stopped`: reconnecting gave
 * up (BACKOFF_GIVE_UP_MS) until `retry` or `open`; `wasOpen`: whether the socket that
 * dropped had opened.
 * @typedef {{state: 'connecting'} | {state: 'open'} | {state: 'lost', wasOpen: boolean, retryAt: number}
 *   | {state: 'stopped', wasOpen: boolean} | {state: 'closed'}} Status
 * @typedef {{
 *   url: string,
 *   onMessage: (msg: Msg) => void,
 *   onStatus: (status: Status) => void,
 *   WebSocketImpl?: typeof WebSocket,
 *   now?: () => number,
 * }} ConnectionOptions
 */

/**
 * The URL a Redirect names, if it is a WebSocket URL (never a page or another scheme).
 * @param {string} url
 */
export function redirectUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'ws:' || u.protocol === 'wss:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The client clock a Ping carries: milliseconds, wrapped to u32. */
const clientTime = (/** @type {number} */ ms) => Math.trunc(ms) >>> 0;

export class Connection {
  /** @param {ConnectionOptions} opts */
  constructor({ url, onMessage, onStatus, WebSocketImpl = WebSocket, now = () => performance.now() }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.WebSocketImpl = WebSocketImpl;
    this.now = now;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.name = '';
    /** Whether the connection should be kept up (reconnecting when it drops). */
    this.wanted = false;
    /** Whether the server has welcomed this connection. */
    this.ready = false;
    this.backoff = new Backoff({ firstMs: BACKOFF_FIRST_MS, maxMs: BACKOFF_MAX_MS, giveUpAfterMs: BACKOFF_GIVE_UP_MS });
    this.bytesUp = 0;
    this.bytesDown = 0;
    /** Latest round-trip time, ms; null before the first Pong. */
    /** @type {number | null} */
    this.rttMs = null;
    /** Lobby tick from the latest Pong. */
    this.serverTick = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** A ping is due with the next input. */
    this.pingDue = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** Reconnect token from the latest Welcome; null before the first. */
    /** @type {number[] | null} */
    this.token = null;
    /** Whether this client holds a seat in a lobby (Joined and not Left, refused or forgotten). */
    this.seated = false;
    /** Whether the Hello of the current socket asked to resume the seat. */
    this.resuming = false;
    /** Whether the current connection took back the seat of an earlier one. */
    this.resumed = false;
    /** The seat ticket of the latest Redirect, until taken. @type {number[] | null} */
    this.ticket = null;
    /** Redirects followed since the last Joined. */
    this.redirects = 0;
  }

  /** The seat ticket a Redirect brought, once (null if none). */
  takeTicket() {
    const ticket = this.ticket;
    this.ticket = null;
    return ticket;
  }

  /**
   * Connects and says Hello with `name`, replacing any current connection.
   * @param {string} name
   */
  open(name) {
    this.name = name;
    this.wanted = true;
    this.backoff.reset();
    this.seated = false;
    this.drop();
    this.connect();
  }

  /**
   * Connects again now, with a fresh backoff, after reconnecting gave up (the player asked
   * to try again). The seat held for a reconnect is asked for as before.
   */
  retry() {
    this.wanted = true;
    this.backoff.reset();
    this.drop();
    this.connect();
  }

  /**
   * Gives up the seat held for a reconnect (the player left the lobby while the connection
   * was down): the next Hello starts afresh.
   */
  forgetSeat() {
    this.seated = false;
  }

  /** Closes the connection for good (no reconnecting). */
  close() {
    this.wanted = false;
    this.drop();
    this.onStatus({ state: 'closed' });
  }

  /**
   * Sends a message once welcomed; returns whether it was sent.
   * @param {Msg} msg
   */
  send(msg) {
    if (!this.ready) return false;
    this.write(msg);
    // A seated client's messages are read at the lobby's tick, stamped with when their
    // last bytes arrived: a ping sent with an input is stamped as its own.
    if (msg.type === 'Input' && this.pingDue) this.ping();
    return true;
  }

  /** @param {Msg} msg */
  write(msg) {
    const bytes = encodeClientMsg(msg);
    this.bytesUp += bytes.length;
    /** @type {WebSocket} */ (this.ws).send(bytes);
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.onStatus({ state: 'connecting' });
    const ws = new this.WebSocketImpl(this.url);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    let wasOpen = false;
    ws.onopen = () => {
      wasOpen = true;
      const resume = this.seated ? this.token : null;
      this.resuming = resume !== null;
      this.write({ type: 'Hello', protocol_version: PROTOCOL_VERSION, name: this.name, resume });
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      this.bytesDown += ev.data.byteLength;
      let msg;
      try {
        msg = decodeServerMsg(new Uint8Array(ev.data));
      } catch (e) {
        ws.close(CLOSE_UNDECODABLE, 'undecodable frame from the server');
        console.error('undecodable frame from the server', e);
        return;
      }
      this.onServerMsg(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.drop();
      if (!this.wanted) return;
      const delay = this.backoff.failed(this.now());
      if (delay === null) {
        this.wanted = false;
        this.onStatus({ state: 'stopped', wasOpen });
        return;
      }
      this.retryTimer = setTimeout(() => this.connect(), delay);
      this.onStatus({ state: 'lost', wasOpen, retryAt: this.now() + delay });
    };
  }

  /** @param {Msg} msg */
  onServerMsg(msg) {
    if (msg.type === 'Redirect') {
      const url = redirectUrl(msg.url);
      if (url !== null && this.redirects < MAX_REDIRECTS) {
        this.redirects++;
        this.url = url;
        this.ticket = msg.ticket;
        // Same token and seat: a resume asks the other node for it.
        this.drop();
        this.connect();
        return;
      }
      console.error('refused a redirect to', msg.url);
      return;
    }
    if (msg.type === 'Welcome') {
      this.token = msg.reconnect_token;
      this.resumed = this.resuming;
      this.resuming = false;
      if (!this.resumed) this.seated = false;
      this.ready = true;
      this.backoff.reset();
      this.ping();
      // While seated, the ping goes out with the next input (see send).
      this.pingTimer = setInterval(() => {
        if (this.seated) this.pingDue = true;
        else this.ping();
      }, PING_INTERVAL_MS);
      this.onStatus({ state: 'open' });
    } else if (msg.type === 'Error' && msg.code === 'ResumeRefused') {
      // The seat is gone (or this server never knew it); a plain Welcome follows.
      this.resuming = false;
      this.seated = false;
    } else if (msg.type === 'Joined') {
      this.seated = true;
      this.redirects = 0;
    } else if (msg.type === 'Left') {
      this.seated = false;
    } else if (msg.type === 'Pong') {
      // The ping's age, less the time it waited in the server for its lobby's tick.
      const age = (clientTime(this.now()) - msg.client_time) >>> 0;
      this.rttMs = Math.max(0, age - Math.round(msg.waited_us / 1000));
      this.serverTick = msg.server_tick;
    }
    this.onMessage(msg);
  }

  ping() {
    this.pingDue = false;
    this.send({ type: 'Ping', client_time: clientTime(this.now()) });
  }

  /** Forgets the current socket and its timers. */
  drop() {
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    this.ready = false;
    this.resuming = false;
    this.resumed = false;
    const ws = this.ws;
    this.ws = null;
    if (ws !== null && ws.readyState <= 1) ws.close(1000);
  }
}
