//! bincode 2's standard-configuration integers, written straight into a byte buffer: the
//! snapshot encoder's hot path writes thousands a tick, and going through bincode's
//! encoder per integer costs a writer and a config each. Golden vectors pin these to
//! bincode's own output.

/// Appends `v` as a bincode varint: one byte below 251, else a marker and 2, 4 or 8 bytes.
#[inline(always)]
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    if v < 251 {
        out.push(v as u8);
    } else if v <= u64::from(u16::MAX) {
        out.push(251);
        out.extend_from_slice(&(v as u16).to_le_bytes());
    } else if v <= u64::from(u32::MAX) {
        out.push(252);
        out.extend_from_slice(&(v as u32).to_le_bytes());
    } else {
        out.push(253);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

#[inline(always)]
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    put_u64(out, u64::from(v));
}

/// Appends `v` zigzagged (0, -1, 1, -2 … as 0, 1, 2, 3 …) as a varint.
#[inline(always)]
pub fn put_i32(out: &mut Vec<u8>, v: i32) {
    put_u32(out, ((v << 1) ^ (v >> 31)) as u32);
}

/// The bytes [`put_u64`] writes for `v`.
#[inline(always)]
pub fn len_u64(v: u64) -> usize {
    if v < 251 {
        1
    } else if v <= u64::from(u16::MAX) {
        3
    } else if v <= u64::from(u32::MAX) {
        5
    } else {
        9
    }
}

/// The bytes [`put_i32`] writes for `v`.
#[inline(always)]
pub fn len_i32(v: i32) -> usize {
    len_u64(u64::from(((v << 1) ^ (v >> 31)) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode;

    #[test]
    fn matches_bincode() {
        for v in [
            0u64,
            1,
            250,
            251,
            255,
            65_535,
            65_536,
            u64::from(u32::MAX),
            1 << 40,
        ] {
            let mut out = Vec::new();
            put_u64(&mut out, v);
            assert_eq!(out, encode(&v), "{v}");
            assert_eq!(len_u64(v), out.len(), "{v}");
        }
        for v in [0i32, -1, 1, -126, 125, -200, 70_000, i32::MIN, i32::MAX] {
            let mut out = Vec::new();
            put_i32(&mut out, v);
            assert_eq!(out, encode(&v), "{v}");
            assert_eq!(len_i32(v), out.len(), "{v}");
        }
    }
}
