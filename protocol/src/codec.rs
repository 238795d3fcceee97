//! The bincode configuration of the wire and the size limits applied before and while decoding.

use bincode::config::{self, Configuration, Limit, LittleEndian, Varint};

use crate::messages::{ClientMsg, ServerMsg};

/// Largest frame a client may send. Every client message fits in far less.
pub const MAX_CLIENT_FRAME: usize = 512;
/// Largest frame the server sends (a full snapshot of a large lobby); clients decode up to this.
pub const MAX_SERVER_FRAME: usize = 4 << 20;

/// Standard bincode 2 configuration: little-endian, variable-length integers.
pub const CONFIG: Configuration = config::standard();
type Limited<const N: usize> = Configuration<LittleEndian, Varint, Limit<N>>;
const CLIENT_DECODE: Limited<MAX_CLIENT_FRAME> = config::standard().with_limit::<MAX_CLIENT_FRAME>();
const SERVER_DECODE: Limited<MAX_SERVER_FRAME> = config::standard().with_limit::<MAX_SERVER_FRAME>();

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(#[from] bincode::error::DecodeError),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
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
    config: Limited<N>,
) -> Result<T, CodecError> {
    if frame.len() > N {
        return Err(CodecError::TooLarge { len: frame.len(), limit: N });
    }
    let (msg, used) = bincode::decode_from_slice(frame, config)?;
    match frame.len() - used {
        0 => Ok(msg),
        extra => Err(CodecError::Trailing(extra)),
    }
}

/// Decodes one client frame: size checked first, allocations bounded, no trailing bytes.
pub fn decode_client(frame: &[u8]) -> Result<ClientMsg, CodecError> {
    decode_exact(frame, CLIENT_DECODE)
}

/// Decodes one server frame (used by Rust clients: tests, bots, tools).
pub fn decode_server(frame: &[u8]) -> Result<ServerMsg, CodecError> {
    decode_exact(frame, SERVER_DECODE)
}
