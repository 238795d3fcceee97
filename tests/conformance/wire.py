"""Tickwire's messages in bincode 2 (standard configuration), as far as the conformance run
needs them: the client messages it sends and the server messages it reads.

`protocol/PROTOCOL.md` is the reference. `check_against_vectors` compares every encoder and
decoder here with the golden vectors in `client-web/test/vectors/messages.json` before the
run relies on them, so a slip here fails loudly instead of passing for the server's.
"""

import json
import pathlib
import struct

_VECTOR_DIR = pathlib.Path(__file__).resolve().parents[2] / "client-web" / "test" / "vectors"
VECTORS = _VECTOR_DIR / "messages.json"
SNAPSHOT_VECTORS = _VECTOR_DIR / "snapshots.json"

# The version the golden vectors were written for: the server's own.
PROTOCOL_VERSION = json.loads(VECTORS.read_text())["limits"]["protocol_version"]

# ServerMsg variant indexes.
WELCOME, LOBBY_LIST, JOINED, LEFT, ROSTER, SNAPSHOT, PONG, ERROR, REDIRECT = range(9)
SERVER_VARIANTS = (
    "Welcome",
    "LobbyList",
    "Joined",
    "Left",
    "Roster",
    "Snapshot",
    "Pong",
    "Error",
    "Redirect",
)

_ERROR_CODES = [e["code"] for e in json.loads(VECTORS.read_text())["error_codes"]]


# --- encoding -------------------------------------------------------------------------------


def varint(v: int) -> bytes:
    """An unsigned integer, shortest form."""
    if v < 0:
        raise ValueError(f"varint of {v}")
    if v < 251:
        return bytes([v])
    if v < 1 << 16:
        return b"\xfb" + struct.pack("<H", v)
    if v < 1 << 32:
        return b"\xfc" + struct.pack("<I", v)
    return b"\xfd" + struct.pack("<Q", v)


def zigzag(v: int) -> bytes:
    return varint((v << 1) ^ (v >> 63) if v < 0 else v << 1)


def string(s: str) -> bytes:
    b = s.encode()
    return varint(len(b)) + b


def hello(name: str, resume: bytes | None = None, version: int = PROTOCOL_VERSION) -> bytes:
    opt = b"\x00" if resume is None else b"\x01" + bytes(resume)
    return varint(0) + varint(version) + string(name) + opt


def list_lobbies() -> bytes:
    return varint(1)


def create_lobby(game: str, name: str, map_: str, max_players: int, private: bool) -> bytes:
    return varint(2) + string(game) + string(name) + string(map_) + bytes([max_players, private])


def input_(seq: int, client_tick: int, ack: int, values: list[int]) -> bytes:
    body = varint(seq) + varint(client_tick) + varint(ack) + varint(len(values))
    return varint(6) + body + b"".join(zigzag(v) for v in values)


def ping(client_time: int) -> bytes:
    return varint(7) + varint(client_time)


def request_full() -> bytes:
    return varint(8)


# --- decoding -------------------------------------------------------------------------------


class Malformed(Exception):
    """The server sent bytes that are not a Tickwire message."""


class Reader:
    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.at = 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise Malformed(f"message ends at byte {len(self.data)}, wanted {n} more at {self.at}")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def bool(self) -> bool:
        b = self.u8()
        if b > 1:
            raise Malformed(f"bool byte {b}")
        return b == 1

    def varint(self, width: int) -> int:
        """An unsigned integer of `width` bytes (2, 4 or 8)."""
        first = self.u8()
        if first < 251:
            return first
        size = {251: 2, 252: 4, 253: 8}.get(first)
        if size is None or size > width:
            raise Malformed(f"varint marker {first} for a {width * 8}-bit integer")
        return int.from_bytes(self.take(size), "little")

    def u16(self) -> int:
        return self.varint(2)

    def u32(self) -> int:
        return self.varint(4)

    def u64(self) -> int:
        return self.varint(8)

    def i32(self) -> int:
        z = self.u32()
        return (z >> 1) ^ -(z & 1)

    def string(self) -> str:
        n = self.u64()
        try:
            return self.take(n).decode()
        except UnicodeDecodeError as e:
            raise Malformed(f"string is not UTF-8: {e}") from e

    def vec(self, item):
        return [item() for _ in range(self.u64())]

    def end(self):
        if self.at != len(self.data):
            raise Malformed(f"{len(self.data) - self.at} trailing bytes")


def _lobby_info(r: Reader) -> dict:
    return {
        "id": r.u32(),
        "game": r.string(),
        "name": r.string(),
        "map": r.string(),
        "players": r.u8(),
        "max_players": r.u8(),
        "host": r.string(),
    }


def _codec(r: Reader):
    kind = r.u32()
    if kind == 0:
        return "Absolute"
    if kind == 1:
        return "Delta"
    if kind == 2:
        return {"Predicted": {"velocity": r.u8()}}
    if kind == 3:
        return {"Enum": {"variants": r.vec(r.string)}}
    if kind == 4:
        return {"Flags": {"names": r.vec(r.string)}}
    raise Malformed(f"field codec {kind}")


def _schema(r: Reader) -> dict:
    game = r.string()
    components = r.vec(
        lambda: {
            "name": r.string(),
            "fields": r.vec(lambda: {"name": r.string(), "codec": _codec(r)}),
        }
    )
    inputs = r.vec(lambda: {"name": r.string(), "min": r.i32(), "max": r.i32()})
    return {"game": game, "components": components, "input": inputs}


def _ids(r: Reader, what: str, item) -> list:
    """A list keyed by ascending entity ids sent as gaps (each at least 1)."""
    out, last = [], 0
    for _ in range(r.u64()):
        gap = r.u32()
        if gap == 0:
            raise Malformed(f"{what} id gap of 0")
        last += gap
        out.append(item(last))
    return out


def _snapshot_body(r: Reader) -> dict:
    """A body's structure: every list and value read, ids rebuilt. Checking field masks
    against the schema needs the client's world, which the run does not keep."""
    tick, age = r.u32(), r.u32()
    if age > tick:
        raise Malformed(f"baseline age {age} above tick {tick}")

    def spawn(id_):
        presence, fields = r.u32(), r.u64()
        values = [r.i32() for _ in range(fields.bit_count())]
        return {"id": id_, "presence": presence, "fields": fields, "values": values}

    def update(id_):
        change = r.u64()
        if change == 0:
            raise Malformed(f"update of entity {id_} changes nothing")
        presence = r.u32() if change & 1 else None
        fields = change >> 1
        values = [r.i32() for _ in range(fields.bit_count())]
        return {"id": id_, "presence": presence, "fields": fields, "values": values}

    return {
        "tick": tick,
        "baseline": None if age == 0 else tick - age,
        "spawns": _ids(r, "spawn", spawn),
        "despawns": _ids(r, "despawn", lambda id_: id_),
        "updates": _ids(r, "update", update),
    }


def decode_server(data: bytes) -> dict:
    """One server frame as a dict shaped like the vectors' values; the whole frame must be
    one message, with no bytes left over."""
    r = Reader(data)
    variant = r.u32()
    if variant >= len(SERVER_VARIANTS):
        raise Malformed(f"server message variant {variant}")
    msg: dict = {"type": SERVER_VARIANTS[variant]}
    if variant == WELCOME:
        msg["client_id"] = r.u32()
        msg["server_version"] = r.string()
        msg["tick_rate"] = r.u16()
        msg["reconnect_token"] = list(r.take(16))
    elif variant == LOBBY_LIST:
        msg["lobbies"] = r.vec(lambda: _lobby_info(r))
    elif variant == JOINED:
        msg["lobby"] = _lobby_info(r)
        msg["code"] = r.string()
        msg["private"] = r.bool()
        msg["entity"] = r.u32()
        msg["tick"] = r.u32()
        msg["schema"] = _schema(r)
        msg["schema_hash"] = str(r.u64())
        msg["config"] = r.string()
    elif variant == ROSTER:
        msg["host"] = r.u32()
        msg["players"] = r.vec(
            lambda: {
                "client_id": r.u32(),
                "entity": r.u32(),
                "name": r.string(),
                "connected": r.bool(),
            }
        )
    elif variant == SNAPSHOT:
        msg["last_input_seq"] = r.u32()
        msg["body"] = _snapshot_body(r)
    elif variant == PONG:
        msg["client_time"] = r.u32()
        msg["server_tick"] = r.u32()
        msg["waited_us"] = r.u32()
    elif variant == ERROR:
        code = r.u32()
        if code >= len(_ERROR_CODES):
            raise Malformed(f"error code {code}")
        msg["code"] = _ERROR_CODES[code]
        msg["message"] = r.string()
    elif variant == REDIRECT:
        msg["url"] = r.string()
        msg["ticket"] = list(r.take(16)) if r.bool() else None
    r.end()
    return msg


# --- the golden vectors ---------------------------------------------------------------------


def _encode_vector(v: dict) -> bytes | None:
    kind = v["type"]
    if kind == "Hello":
        resume = v["resume"]
        return hello(v["name"], None if resume is None else bytes(resume), v["protocol_version"])
    if kind == "ListLobbies":
        return list_lobbies()
    if kind == "CreateLobby":
        return create_lobby(v["game"], v["name"], v["map"], v["max_players"], v["private"])
    if kind == "Input":
        return input_(v["seq"], v["client_tick"], v["ack"], v["values"])
    if kind == "Ping":
        return ping(v["client_time"])
    if kind == "RequestFull":
        return request_full()
    return None  # not sent by the conformance run


def check_against_vectors() -> int:
    """Raises AssertionError on the first vector this module gets wrong (messages and
    snapshots); returns how many vectors were checked."""
    vectors = json.loads(VECTORS.read_text())
    checked = 0
    for v in vectors["client"]:
        got = _encode_vector(v["value"])
        if got is None:
            continue
        assert got.hex() == v["hex"], f"encoding {v['name']}: {got.hex()} != {v['hex']}"
        checked += 1
    for v in vectors["server"]:
        want = v["value"]
        got = decode_server(bytes.fromhex(v["hex"]))
        assert got == want, f"decoding {v['name']}: {got} != {want}"
        checked += 1
    for scenario in json.loads(SNAPSHOT_VECTORS.read_text())["scenarios"]:
        for v in scenario["snapshots"]:
            want = v["value"]
            got = decode_server(bytes.fromhex(v["hex"]))
            assert got == want, f"decoding snapshot {v['name']}: {got} != {want}"
            checked += 1
    return checked


if __name__ == "__main__":
    print(f"{check_against_vectors()} vectors match")
