//! The bincode configuration of the wire and the size limits applied before and while decoding.

use bincode::config::{self, Configuration, Limit, LittleEndian, Varint};

use crate::messages::{ClientMsg, ServerMsg};

/// Largest frame a client may send. Every client message fits in far less.
pub const MAX_CLIENT_FRAME: usize = 512;
/// Largest frame the server sends (a full snapshot of a large lobby); clients decode any
/// frame up to this.
pub const MAX_SERVER_FRAME: usize = 4 << 20;

/// Standard bincode 2 configuration: little-endian, variable-length integers.
pub const CONFIG: Configuration = config::standard();
type Limited<const N: usize> = Configuration<LittleEndian, Varint, Limit<N>>;
/// bincode's limit charges every integer its full width (a one-byte varint `u64` costs 8)
/// and every string or list what it claims, so a valid frame of `N` bytes can use up to
/// `8 * N` of it. The frame's length is checked against the real limit first; this bounds
/// what decoding may allocate to a small multiple of the frame.
const DECODE_FACTOR: usize = 8;
const CLIENT_DECODE: Limited<{ DECODE_FACTOR * MAX_CLIENT_FRAME }> =
    config::standard().with_limit::<{ DECODE_FACTOR * MAX_CLIENT_FRAME }>();
const SERVER_DECODE: Limited<{ DECODE_FACTOR * MAX_SERVER_FRAME }> =
    config::standard().with_limit::<{ DECODE_FACTOR * MAX_SERVER_FRAME }>();

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(#[from] bincode::error::DecodeError),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
}

/// Variant index of `ServerMsg::Snapshot`, for [`snapshot_frame`].
const SNAPSHOT_VARIANT: u32 = 5;

/// A `ServerMsg::Snapshot` frame built from a body encoded once and shared by many clients:
/// the same bytes as encoding the whole message, without encoding the body again.
/// The buffer is exactly as long as the frame, so it becomes `Bytes` with no second
/// allocation.
pub fn snapshot_frame(last_input_seq: u32, body: &[u8]) -> Vec<u8> {
    // A varint u32 is at most 5 bytes; the variant index takes 1.
    let mut head = [0u8; 6];
    let head_len =
        match bincode::encode_into_slice((SNAPSHOT_VARIANT, last_input_seq), &mut head, CONFIG) {
            Ok(n) => n,
            Err(e) => unreachable!("a variant and a u32 fit in 6 bytes: {e}"),
        };
    let mut out = Vec::with_capacity(head_len + body.len());
    out.extend_from_slice(&head[..head_len]);
    out.extend_from_slice(body);
    out
}

/// Encodes any wire value into a fresh buffer.
pub fn encode<T: bincode::Encode>(msg: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    encode_into(msg, &mut out);
    out
}

/// Appends the encoding of `msg` to `out`.
pub fn encode_into<T: bincode::Encode>(msg: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and every wire type encodes infallibly.
    if let Err(e) = bincode::encode_into_std_write(msg, out, CONFIG) {
        unreachable!("encoding into a Vec failed: {e}");
    }
}

fn decode_exact<T: bincode::Decode<()>, const N: usize>(
    frame: &[u8],
    max_frame: usize,
    config: Limited<N>,
) -> Result<T, CodecError> {
    if frame.len() > max_frame {
        return Err(CodecError::TooLarge {
            len: frame.len(),
            limit: max_frame,
        });
    }
    let (msg, used) = bincode::decode_from_slice(frame, config)?;
    match frame.len() - used {
        0 => Ok(msg),
        extra => Err(CodecError::Trailing(extra)),
    }
}

/// Decodes one client frame: size checked first, allocations bounded, no trailing bytes.
pub fn decode_client(frame: &[u8]) -> Result<ClientMsg, CodecError> {
    decode_exact(frame, MAX_CLIENT_FRAME, CLIENT_DECODE)
}

/// Whether a client frame holds a play message (`Input`, `Ping` or `RequestFull`), told by
/// its first byte (bincode's variant tag) without decoding it. A server can take these on
/// its hot path and hand every other message to its slower one.
pub fn is_play_frame(frame: &[u8]) -> bool {
    matches!(frame.first(), Some(6..=8))
}

/// Decodes one server frame (used by Rust clients: tests, bots, tools).
pub fn decode_server(frame: &[u8]) -> Result<ServerMsg, CodecError> {
    decode_exact(frame, MAX_SERVER_FRAME, SERVER_DECODE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delta::SnapshotBody;
    use crate::messages::Snapshot;

    #[test]
    fn play_frames_are_told_by_their_first_byte() {
        use crate::messages::{ClientMsg, LobbyTarget};
        let play = [
            ClientMsg::Input(crate::Input::default()),
            ClientMsg::Ping { client_time: 7 },
            ClientMsg::RequestFull,
        ];
        for msg in &play {
            assert!(is_play_frame(&encode(msg)), "{msg:?}");
        }
        let other = [
            ClientMsg::Hello {
                protocol_version: 1,
                name: "a".into(),
                resume: None,
            },
            ClientMsg::ListLobbies,
            ClientMsg::JoinLobby {
                target: LobbyTarget::Id(1),
                schema: None,
            },
            ClientMsg::QuickJoin {
                game: String::new(),
                schema: None,
            },
            ClientMsg::LeaveLobby,
        ];
        for msg in &other {
            assert!(!is_play_frame(&encode(msg)), "{msg:?}");
        }
        assert!(!is_play_frame(&[]));
    }

    #[test]
    fn shared_body_frame_equals_whole_message() {
        let body = SnapshotBody {
            tick: 300,
            ..Default::default()
        };
        // Every width of a varint u32.
        for seq in [0, 250, 251, 70_000, u32::MAX] {
            let whole = encode(&ServerMsg::Snapshot(Snapshot {
                last_input_seq: seq,
                body: body.clone(),
            }));
            assert_eq!(snapshot_frame(seq, &encode(&body)), whole, "seq {seq}");
        }
    }

    /// A `Hello` whose frame is exactly `len` bytes (its name fills the rest).
    fn hello_of(len: usize) -> Vec<u8> {
        let msg = |n: usize| {
            encode(&ClientMsg::Hello {
                protocol_version: crate::PROTOCOL_VERSION,
                name: "n".repeat(n),
                resume: None,
            })
        };
        let overhead = msg(300).len() - 300;
        msg(len - overhead)
    }

    #[test]
    fn every_frame_up_to_the_limit_decodes() {
        for len in [400, 499, 500, 511, MAX_CLIENT_FRAME] {
            let frame = hello_of(len);
            assert_eq!(frame.len(), len);
            assert!(decode_client(&frame).is_ok(), "a {len}-byte frame decodes");
        }
        assert!(matches!(
            decode_client(&hello_of(MAX_CLIENT_FRAME + 1)),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn oversized_and_trailing_frames_are_refused() {
        assert!(matches!(
            decode_client(&[0u8; MAX_CLIENT_FRAME + 1]),
            Err(CodecError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_client(&[1, 0]),
            Err(CodecError::Trailing(1))
        ));
        assert_eq!(decode_client(&[1]).ok(), Some(ClientMsg::ListLobbies));
    }
}
