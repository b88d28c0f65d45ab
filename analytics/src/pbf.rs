//! The protocol-buffer wire format, written by hand for the two messages SafeGrid encodes
//! (Mapbox vector tiles in the server, glyph ranges in `xtask glyphs`): varints, field keys,
//! length-delimited fields and zigzag signed integers. Writing only, no schema.

/// Wire type of a varint field.
pub const WIRE_VARINT: u8 = 0;
/// Wire type of a 64-bit field.
pub const WIRE_FIXED64: u8 = 1;
/// Wire type of a length-delimited field (bytes, strings, nested messages).
pub const WIRE_LEN: u8 = 2;

/// Appends `v` as a base-128 varint.
///
/// ```
/// let mut out = Vec::new();
/// analytics::pbf::varint(&mut out, 300);
/// assert_eq!(out, [0xAC, 0x02]);
/// ```
pub fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the key of field `field` with wire type `wire`.
pub fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

/// Appends field `field` as a varint.
pub fn varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, WIRE_VARINT);
    varint(out, v);
}

/// Appends field `field` as length-delimited bytes.
pub fn bytes_field(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(out, field, WIRE_LEN);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// Zigzag encoding of a 32-bit signed integer (`sint32`): small magnitudes give small varints.
pub fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Zigzag encoding of a 64-bit signed integer (`sint64`).
pub fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_keys_and_zigzag_follow_the_wire_format() {
        let mut v = Vec::new();
        varint(&mut v, 0);
        varint(&mut v, 127);
        varint(&mut v, 128);
        varint(&mut v, u64::MAX);
        assert_eq!(v[..4], [0x00, 0x7F, 0x80, 0x01]);
        assert_eq!(v.len(), 4 + 10, "u64::MAX takes ten bytes");
        let mut f = Vec::new();
        varint_field(&mut f, 1, 150);
        assert_eq!(f, [0x08, 0x96, 0x01], "the protobuf guide's example");
        let mut b = Vec::new();
        bytes_field(&mut b, 2, b"testing");
        assert_eq!(b[..2], [0x12, 0x07]);
        assert_eq!((zigzag32(0), zigzag32(-1), zigzag32(1), zigzag32(-2)), (0, 1, 2, 3));
        assert_eq!(zigzag32(i32::MIN), u32::MAX);
        assert_eq!((zigzag64(-1), zigzag64(i64::MAX)), (1, u64::MAX - 1));
    }
}
