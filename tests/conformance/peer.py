"""One WebSocket client connection: the `websockets` package's Sans-I/O protocol layer over a
plain blocking TCP socket.

The protocol layer parses and validates every frame the server sends (RFC 6455: no mask,
reserved bits zero, known opcodes, control frames of at most 125 bytes and never
fragmented, well-formed continuations, valid close codes and UTF-8 close reasons) and
answers the server's pings and close frame itself. Driving it over our own socket lets the
run see each frame in the order it arrived, and tell a clean end of the TCP connection from
a reset.
"""

import collections
import socket
import time

from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import SEND_EOF, State
from websockets.uri import parse_uri

import wire

# Largest frame the server may send (a full snapshot of a crowded lobby), from the vectors'
# limits; anything larger fails the run as "message too big".
MAX_SERVER_FRAME = 4 << 20

TIMEOUT = 5.0


class Violation(Exception):
    """The server did something a standard client does not accept, or not what the case
    expects."""


class Peer:
    """A client connection. Events come out of `next_event` in arrival order:
    ("msg", dict) for a Tickwire message (one binary message, its fragments joined),
    ("ping", payload), ("pong", payload), ("close", Close)."""

    def __init__(self, url: str, label: str, answer: bool = True):
        uri = parse_uri(url)
        self.label = label
        self.answer = answer
        self.sock = socket.create_connection((uri.host, uri.port), timeout=TIMEOUT)
        self.proto = ClientProtocol(uri, max_size=MAX_SERVER_FRAME)
        self.pending: collections.deque = collections.deque()
        self.recent: collections.deque = collections.deque(maxlen=12)
        self.fragments: list[bytes] | None = None
        self.server_pings: list[bytes] = []
        self.eof = False
        self.proto.send_request(self.proto.connect())
        self._flush(force=True)
        deadline = time.monotonic() + TIMEOUT
        while self.proto.state is State.CONNECTING:
            if not self._read(deadline):
                raise Violation("no answer to the WebSocket upgrade request")

    # --- sending ---

    def _flush(self, force: bool = False):
        for chunk in self.proto.data_to_send():
            if not (self.answer or force):
                continue  # a silent peer: its automatic pongs and close echo are dropped
            if chunk == SEND_EOF:
                self.sock.shutdown(socket.SHUT_WR)
            else:
                self.sock.sendall(chunk)

    def send(self, message: bytes):
        """One Tickwire message in one binary frame."""
        self.proto.send_binary(message)
        self._flush(force=True)

    def send_fragments(self, parts: list[bytes], ping_between: bytes | None = None):
        """One binary message in len(parts) frames, a ping after the first if asked."""
        self.proto.send_binary(parts[0], fin=False)
        if ping_between is not None:
            self.proto.send_ping(ping_between)
        for i, part in enumerate(parts[1:], start=2):
            self.proto.send_continuation(part, fin=i == len(parts))
        self._flush(force=True)

    def send_text(self, text: str):
        self.proto.send_text(text.encode())
        self._flush(force=True)

    def send_ping(self, payload: bytes):
        self.proto.send_ping(payload)
        self._flush(force=True)

    def send_close(self, code: int, reason: str):
        self.proto.send_close(code, reason)
        self._flush(force=True)

    # --- receiving ---

    def _read(self, deadline: float) -> bool:
        """Reads what the socket has (waiting until `deadline`); False when nothing came."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError as e:
            raise Violation(f"the server reset the TCP connection ({e})") from e
        if data:
            self.proto.receive_data(data)
        else:
            self.eof = True
            self.proto.receive_eof()
        self._flush()
        if self.proto.handshake_exc is not None:
            raise Violation(f"opening handshake refused: {self.proto.handshake_exc!r}")
        for event in self.proto.events_received():
            if isinstance(event, Frame):
                self._frame(event)
        exc = self.proto.parser_exc
        if exc is not None:
            if isinstance(exc, EOFError):
                raise Violation("the TCP connection ended without a close frame")
            raise Violation(f"server frame breaks RFC 6455: {type(exc).__name__}: {exc}")
        return True

    def _frame(self, frame: Frame):
        self.recent.append(f"{frame.opcode.name} fin={int(frame.fin)} {len(frame.data)} B")
        op = frame.opcode
        if op is Opcode.PING:
            self.server_pings.append(bytes(frame.data))
            self.pending.append(("ping", bytes(frame.data)))
        elif op is Opcode.PONG:
            self.pending.append(("pong", bytes(frame.data)))
        elif op is Opcode.CLOSE:
            self.pending.append(("close", Close.parse(bytes(frame.data))))
        elif op is Opcode.TEXT:
            raise Violation("the server sent a text frame (Tickwire sends binary frames only)")
        elif op is Opcode.BINARY:
            self.fragments = [bytes(frame.data)]
        elif op is Opcode.CONT:
            assert self.fragments is not None  # the protocol layer checked the sequence
            self.fragments.append(bytes(frame.data))
        if op in (Opcode.BINARY, Opcode.CONT) and frame.fin:
            data = b"".join(self.fragments or [])
            self.fragments = None
            try:
                self.pending.append(("msg", wire.decode_server(data)))
            except wire.Malformed as e:
                raise Violation(f"not a Tickwire message ({e}): {data[:32].hex()}") from e

    def next_event(self, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.eof:
                raise Violation("the connection ended while a frame was expected")
            if not self._read(deadline):
                raise Violation(f"nothing from the server for {timeout:g} s")
        return self.pending.popleft()

    def next_message(self, timeout: float = TIMEOUT) -> dict:
        """The next Tickwire message, past control frames; a close frame is a violation."""
        while True:
            kind, value = self.next_event(timeout)
            if kind == "msg":
                return value
            if kind == "close":
                raise Violation(f"closed by the server: {value}")

    def expect_close(self, timeout: float = TIMEOUT) -> tuple[Close, list[dict]]:
        """Reads to the server's close frame; returns it and the messages before it."""
        messages = []
        while True:
            kind, value = self.next_event(timeout)
            if kind == "close":
                return value, messages
            if kind == "msg":
                messages.append(value)

    def expect_clean_end(self, timeout: float = TIMEOUT):
        """After the close handshake: the server ends the TCP connection (FIN, not RST)."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._read(deadline):
                raise Violation(f"the TCP connection is still open {timeout:g} s after the close")
        if self.proto.state is not State.CLOSED:
            raise Violation(f"TCP ended in state {self.proto.state.name}")
        self.sock.close()

    def close(self):
        self.sock.close()

    def describe(self) -> str:
        return f"{self.label}: last frames from the server: {', '.join(self.recent) or 'none'}"
