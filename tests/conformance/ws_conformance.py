"""WebSocket conformance run against a Tickwire server, with a standard client that is not
Tickwire's: the `websockets` package (pinned in requirements.txt), whose protocol layer
validates every frame the server sends.

    python3 tests/conformance/ws_conformance.py ws://127.0.0.1:8080/ws --ping-timeout 1.5

`--ping-timeout` is the server's own setting (it pings every third of it). Exits 0 when
every case passes; otherwise prints what broke and the last frames seen, and exits 1.
"""

import argparse
import json
import os
import sys
import time
import traceback
import urllib.parse
import urllib.request

try:
    import websockets
except ImportError:
    sys.exit("the websockets package is missing: pip install -r tests/conformance/requirements.txt")

import wire
from peer import TIMEOUT, Peer, Violation

SNAPSHOTS = 60


def check(cond: bool, what: str):
    if not cond:
        raise Violation(what)


class Player:
    """A peer that said Hello and sits in a lobby of its own, sending one input per snapshot."""

    def __init__(self, run: "Run", name: str):
        self.peer = run.connect(name)
        self.peer.send(wire.hello(name))
        welcome = self.peer.next_message()
        check(welcome["type"] == "Welcome", f"first message after Hello is {welcome}")
        self.peer.send(wire.create_lobby(run.game, "conformance", run.map, 4, True))
        joined = self.peer.next_message()
        check(joined["type"] == "Joined", f"CreateLobby answered with {joined}")
        check(joined["lobby"]["game"] == run.game, f"joined a lobby of {joined['lobby']}")
        self.inputs = joined["schema"]["input"]
        self.seq = 0
        self.tick = joined["tick"]
        self.received: set[int] = set()
        self.applied = 0
        self.snapshots = 0

    def values(self) -> list[int]:
        """Every field within its range, changing from input to input."""
        return [f["min"] + (self.seq * 7) % (f["max"] - f["min"] + 1) for f in self.inputs]

    def on_snapshot(self, snap: dict, send_input: bool = True):
        tick, baseline = snap["body"]["tick"], snap["body"]["baseline"]
        check(tick > self.tick, f"snapshot of tick {tick} after tick {self.tick}")
        check(
            self.applied <= snap["last_input_seq"] <= self.seq,
            f"last_input_seq {snap['last_input_seq']} after {self.applied}, {self.seq} sent",
        )
        if self.snapshots == 0:
            check(baseline is None, f"the first snapshot builds on tick {baseline}")
            check(len(snap["body"]["spawns"]) >= 1, "the first snapshot holds no entity")
        else:
            check(
                baseline is None or baseline in self.received,
                f"snapshot of tick {tick} builds on tick {baseline}, never received",
            )
        self.received.add(tick)
        self.snapshots += 1
        self.tick = tick
        self.applied = snap["last_input_seq"]
        if send_input:
            self.seq += 1
            self.peer.send(wire.input_(self.seq, self.seq, self.tick, self.values()))

    def play_until(self, done, send_inputs: bool = True) -> list[tuple]:
        """Handles events until `done(event)` is true; returns the events in order."""
        seen = []
        while True:
            event = self.peer.next_event()
            seen.append(event)
            kind, value = event
            if kind == "close":
                raise Violation(f"closed by the server: {value}")
            if kind == "msg":
                if value["type"] == "Error":
                    raise Violation(f"the server refused something: {value}")
                if value["type"] == "Snapshot":
                    self.on_snapshot(value, send_inputs)
            if done(event):
                return seen

    def snapshots_more(self, n: int, send_inputs: bool = True) -> list[tuple]:
        target = self.snapshots + n
        return self.play_until(lambda _: self.snapshots >= target, send_inputs)

    def leave_cleanly(self):
        self.peer.send_close(1000, "")
        close, _ = self.peer.expect_close()
        check(close.code == 1000, f"our close 1000 answered with {close}")
        self.peer.expect_clean_end()


def is_msg(event, kind: str, **fields) -> bool:
    return (
        event[0] == "msg"
        and event[1]["type"] == kind
        and all(event[1].get(k) == v for k, v in fields.items())
    )


class Run:
    def __init__(self, url: str, ping_timeout: float):
        self.url = url
        self.ping_timeout = ping_timeout
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws":
            raise SystemExit(f"{url}: the run speaks plain ws:// (no TLS)")
        with urllib.request.urlopen(f"http://{parts.netloc}/api/games", timeout=TIMEOUT) as r:
            games = json.load(r)
        self.game = games[0]["name"]
        self.map = games[0]["default_map"]
        self.peers: list[Peer] = []

    def connect(self, label: str, answer: bool = True) -> Peer:
        """A new connection, remembered so a failing case can show what it saw."""
        p = Peer(self.url, label, answer)
        self.peers.append(p)
        return p

    def case_snapshot_stream(self) -> str:
        """1. Handshake, Hello, a lobby: Welcome, Joined, then snapshots while inputs go up."""
        p = Player(self, "stream")
        first = p.tick
        p.snapshots_more(SNAPSHOTS)
        # Inputs stop; every one sent is applied and reported.
        sent = p.seq
        p.play_until(lambda _: p.applied == sent, send_inputs=False)
        pings = len(p.peer.server_pings)
        p.leave_cleanly()
        return (
            f"{p.snapshots} snapshots (ticks {first + 1}..{p.tick}), all {sent} inputs applied, "
            f"{pings} server pings answered"
        )

    def case_fragmented_message(self) -> str:
        """2. A Ping in three fragments, with a WebSocket ping between them, is answered."""
        p = self.connect("fragments")
        p.send(wire.hello("fragments"))
        check(p.next_message()["type"] == "Welcome", "no Welcome")
        msg = wire.ping(123456)
        control = b"between fragments"
        p.send_fragments([msg[:2], msg[2:4], msg[4:]], ping_between=control)
        pong = ws_pong = None
        while pong is None or ws_pong is None:
            kind, value = p.next_event()
            if kind == "pong":
                ws_pong = value
            elif kind == "msg":
                check(value["type"] == "Pong", f"fragmented Ping answered with {value}")
                pong = value
            elif kind == "close":
                raise Violation(f"closed by the server: {value}")
        check(pong["client_time"] == 123456, f"Pong echoes {pong['client_time']}")
        check(ws_pong == control, f"pong payload {ws_pong!r}, sent {control!r}")
        # The next message, in one frame, is read as a message of its own.
        p.send(wire.ping(7))
        again = p.next_message()
        check(
            again == {"type": "Pong", "client_time": 7, "server_tick": 0, "waited_us": 0},
            f"then {again}",
        )
        p.send_close(1000, "")
        p.expect_close()
        p.expect_clean_end()
        return "Ping in 3 fragments (ping between) -> Pong 123456; pong echoed; next Ping -> Pong"

    def case_ping_in_burst(self) -> str:
        """3. A ping amid snapshots: a pong with the same payload, before the answer to the
        message sent after the ping, and the stream goes on."""
        p = Player(self, "pinger")
        p.snapshots_more(10)
        payload = os.urandom(125)  # the largest a control frame may carry
        p.peer.send(wire.ping(1001))
        p.peer.send_ping(payload)
        p.peer.send(wire.ping(1002))
        seen = p.play_until(lambda e: is_msg(e, "Pong", client_time=1002))
        # `seen` ends with Pong 1002: the pong and Pong 1001 came before it.
        pongs = [e for e in seen if e[0] == "pong" and e[1] == payload]
        check(len(pongs) == 1, f"{len(pongs)} pongs with the ping's payload before Pong 1002")
        check(any(is_msg(e, "Pong", client_time=1001) for e in seen), "Pong 1001 after Pong 1002")
        between = sum(1 for e in seen if is_msg(e, "Snapshot"))
        p.snapshots_more(10)
        p.leave_cleanly()
        return (
            f"125-byte pong echoed before the Pong to the next message "
            f"({between} snapshot(s) meanwhile), 10 more snapshots after"
        )

    def case_close_in_burst(self) -> str:
        """4. The client closes (1000) amid snapshots: a close frame back, then a clean TCP end."""
        p = Player(self, "closer")
        p.snapshots_more(10)
        p.peer.send_close(1000, "conformance done")
        close, after = p.peer.expect_close()
        check(close.code == 1000, f"our close 1000 answered with {close}")
        late = [m for m in after if m["type"] != "Snapshot"]
        check(not late, f"after our close: {late}")
        p.peer.expect_clean_end()
        return f"close 1000 answered with {close.code}, {len(after)} snapshot(s) in flight, FIN"

    def case_server_pings(self) -> str:
        """5. The server's pings arrive valid; a client that answers stays, one that does not
        is closed (1001)."""
        silent = self.connect("silent", answer=False)
        silent.send(wire.hello("silent"))
        p = Player(self, "answerer")
        stay = 3 * self.ping_timeout
        end = time.monotonic() + stay
        p.play_until(lambda _: time.monotonic() >= end)
        pings = p.peer.server_pings
        check(len(pings) >= 2, f"{len(pings)} server pings in {stay:g} s")
        check(all(len(x) == 8 for x in pings), f"ping payloads {pings}")
        check(len(set(pings)) == len(pings), "a ping payload repeats")
        p.peer.send(wire.ping(55))
        p.play_until(lambda e: is_msg(e, "Pong", client_time=55))
        p.leave_cleanly()
        close, _ = silent.expect_close()
        check(close.code == 1001, f"a peer that never pongs is closed with {close}")
        check(close.reason != "", "the close 1001 gives no reason")
        silent.expect_clean_end()
        return (
            f"{len(pings)} pings in {stay:g} s answered, still connected; "
            f"the silent peer got {len(silent.server_pings)} and then close {close}"
        )

    def case_refusals(self) -> str:
        """6. An oversized frame gets Error TooLarge and close 1009, a text frame Error
        Malformed and close 1003, each with a reason."""
        results = []
        for name, send, error, code in [
            ("big", lambda p: p.send(b"\x06" * 4096), "TooLarge", 1009),
            ("texter", lambda p: p.send_text("hello?"), "Malformed", 1003),
        ]:
            p = self.connect(name)
            p.send(wire.hello(name))
            check(p.next_message()["type"] == "Welcome", "no Welcome")
            send(p)
            close, before = p.expect_close()
            check(
                [m.get("code") for m in before] == [error],
                f"messages before the close: {before}",
            )
            check(close.code == code, f"close {close}, expected {code}")
            check(close.reason != "", f"close {code} gives no reason")
            p.expect_clean_end()
            results.append(f"{code} {close.reason!r}")
        return "; ".join(results)


CASES = [
    "case_snapshot_stream",
    "case_fragmented_message",
    "case_ping_in_burst",
    "case_close_in_burst",
    "case_server_pings",
    "case_refusals",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="the server's WebSocket URL, e.g. ws://127.0.0.1:8080/ws")
    ap.add_argument(
        "--ping-timeout", type=float, default=10.0, help="the server's --ping-timeout (s)"
    )
    ap.add_argument("--only", help="run the cases whose names contain this")
    args = ap.parse_args()
    print(f"websockets {websockets.__version__}; {wire.check_against_vectors()} vectors match")
    run = Run(args.url, args.ping_timeout)
    failed = []
    cases = [c for c in CASES if args.only is None or args.only in c]
    for name in cases:
        case = getattr(run, name)
        title = " ".join(case.__doc__.split("\n\n")[0].split())
        started = time.monotonic()
        run.peers.clear()
        try:
            detail = case()
            print(f"ok    {title}\n      {detail} ({time.monotonic() - started:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next case runs
            failed.append(name)
            print(f"FAIL  {title}\n      {type(e).__name__}: {e}")
            for p in run.peers:
                print(f"      {p.describe()}")
            if not isinstance(e, Violation):
                traceback.print_exc(file=sys.stdout)
        finally:
            for p in run.peers:
                p.close()
    if failed:
        print(f"conformance: {len(failed)} of {len(cases)} cases failed: {', '.join(failed)}")
        return 1
    print(f"conformance: all {len(cases)} cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
