//! GeoPackage geometry blobs (OGC 12-128r18 §2.1.3): the `GP` header, srs id, an optional
//! envelope, then little-endian WKB. Only the types SafeGrid stores are written and read:
//! Point and MultiPolygon (a Polygon is read as a one-part MultiPolygon).

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Point, Polygon};

/// SRS id of WGS84 in gpkg_spatial_ref_sys.
pub const WGS84_SRS_ID: i32 = 4326;

const WKB_POINT: u32 = 1;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;

/// Why a blob could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlobError {
    /// The blob is shorter than its header or contents claim.
    #[error("geometry blob truncated")]
    Truncated,
    /// The blob does not start with `GP` version 0.
    #[error("not a GeoPackage geometry blob")]
    Magic,
    /// The WKB holds a geometry type this store does not use.
    #[error("unsupported WKB geometry type {0}")]
    Type(u32),
}

fn header(out: &mut Vec<u8>, envelope: Option<[f64; 4]>) {
    out.extend_from_slice(b"GP");
    out.push(0); // version 1 (0 = version 1)
    // flags: bit 0 little endian; bits 1-3 envelope type (1 = xy).
    out.push(if envelope.is_some() { 0b0000_0011 } else { 0b0000_0001 });
    out.extend_from_slice(&WGS84_SRS_ID.to_le_bytes());
    if let Some(e) = envelope {
        for v in e {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Encodes a WGS84 point (no envelope, as the spec recommends for points).
pub fn encode_point(lon: f64, lat: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(29);
    header(&mut out, None);
    out.push(1);
    out.extend_from_slice(&WKB_POINT.to_le_bytes());
    out.extend_from_slice(&lon.to_le_bytes());
    out.extend_from_slice(&lat.to_le_bytes());
    out
}

/// Encodes a WGS84 multipolygon with its xy envelope.
pub fn encode_multipolygon(mp: &MultiPolygon<f64>) -> Vec<u8> {
    let envelope = mp.bounding_rect().map(|r| [r.min().x, r.max().x, r.min().y, r.max().y]);
    let mut out = Vec::new();
    header(&mut out, envelope);
    write_wkb_multipolygon(&mut out, mp);
    out
}

/// A multipolygon as plain little-endian WKB (no GeoPackage header): the PostGIS store's
/// geometry exchange form (`ST_GeomFromWKB` / `ST_AsBinary`).
pub fn wkb_multipolygon(mp: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    write_wkb_multipolygon(&mut out, mp);
    out
}

fn write_wkb_multipolygon(out: &mut Vec<u8>, mp: &MultiPolygon<f64>) {
    out.push(1);
    out.extend_from_slice(&WKB_MULTIPOLYGON.to_le_bytes());
    out.extend_from_slice(&(mp.0.len() as u32).to_le_bytes());
    for poly in &mp.0 {
        out.push(1);
        out.extend_from_slice(&WKB_POLYGON.to_le_bytes());
        let rings: Vec<&LineString<f64>> = std::iter::once(poly.exterior()).chain(poly.interiors()).collect();
        out.extend_from_slice(&(rings.len() as u32).to_le_bytes());
        for ring in rings {
            out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], BlobError> {
        let s = self.b.get(self.pos..self.pos + N).ok_or(BlobError::Truncated)?;
        self.pos += N;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, BlobError> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, BlobError> {
        let a = self.take::<4>()?;
        Ok(if self.little { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    fn f64(&mut self) -> Result<f64, BlobError> {
        let a = self.take::<8>()?;
        Ok(if self.little { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) })
    }
    fn coord(&mut self) -> Result<Coord<f64>, BlobError> {
        Ok(Coord { x: self.f64()?, y: self.f64()? })
    }
    fn byte_order(&mut self) -> Result<(), BlobError> {
        self.little = self.u8()? == 1;
        Ok(())
    }
    fn polygon_body(&mut self) -> Result<Polygon<f64>, BlobError> {
        let n_rings = self.u32()? as usize;
        let mut rings = Vec::with_capacity(n_rings.min(1024));
        for _ in 0..n_rings {
            let n = self.u32()? as usize;
            if n > self.b.len() / 16 {
                return Err(BlobError::Truncated);
            }
            let mut ring = Vec::with_capacity(n);
            for _ in 0..n {
                ring.push(self.coord()?);
            }
            rings.push(LineString::new(ring));
        }
        let mut it = rings.into_iter();
        let exterior = it.next().unwrap_or_else(|| LineString::new(vec![]));
        Ok(Polygon::new(exterior, it.collect()))
    }
}

fn wkb_start(blob: &[u8]) -> Result<Reader<'_>, BlobError> {
    if blob.len() < 8 {
        return Err(BlobError::Truncated);
    }
    if &blob[..2] != b"GP" || blob[2] != 0 {
        return Err(BlobError::Magic);
    }
    let envelope_len = match (blob[3] >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return Err(BlobError::Magic),
    };
    Ok(Reader { b: blob, pos: 8 + envelope_len, little: true })
}

/// Decodes a point blob to WGS84 (lon, lat).
pub fn decode_point(blob: &[u8]) -> Result<Point<f64>, BlobError> {
    let mut r = wkb_start(blob)?;
    r.byte_order()?;
    match r.u32()? {
        WKB_POINT => Ok(Point::from(r.coord()?)),
        t => Err(BlobError::Type(t)),
    }
}

/// Decodes a polygon or multipolygon blob.
pub fn decode_multipolygon(blob: &[u8]) -> Result<MultiPolygon<f64>, BlobError> {
    read_multipolygon(wkb_start(blob)?)
}

/// Decodes plain WKB (either byte order) holding a polygon or multipolygon.
pub fn multipolygon_from_wkb(wkb: &[u8]) -> Result<MultiPolygon<f64>, BlobError> {
    read_multipolygon(Reader { b: wkb, pos: 0, little: true })
}

fn read_multipolygon(mut r: Reader<'_>) -> Result<MultiPolygon<f64>, BlobError> {
    r.byte_order()?;
    match r.u32()? {
        WKB_POLYGON => Ok(MultiPolygon::new(vec![r.polygon_body()?])),
        WKB_MULTIPOLYGON => {
            let n = r.u32()? as usize;
            let mut polys = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                r.byte_order()?;
                match r.u32()? {
                    WKB_POLYGON => polys.push(r.polygon_body()?),
                    t => return Err(BlobError::Type(t)),
                }
            }
            Ok(MultiPolygon::new(polys))
        }
        t => Err(BlobError::Type(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn point_round_trip_and_layout() {
        let b = encode_point(102.64, 37.93);
        assert_eq!(&b[..4], b"GP\x00\x01");
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 4326);
        assert_eq!(b.len(), 8 + 21);
        assert_eq!(decode_point(&b).unwrap(), Point::new(102.64, 37.93));
    }

    #[test]
    fn multipolygon_round_trip_with_hole() {
        let p = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 1.0)]],
        );
        let mp = MultiPolygon::new(vec![p.clone(), p]);
        let b = encode_multipolygon(&mp);
        assert_eq!(b[3], 0b11);
        assert_eq!(f64::from_le_bytes(b[8..16].try_into().unwrap()), 0.0);
        assert_eq!(f64::from_le_bytes(b[16..24].try_into().unwrap()), 4.0);
        assert_eq!(decode_multipolygon(&b).unwrap(), mp);
        let wkb = wkb_multipolygon(&mp);
        assert_eq!(&b[8 + 32..], &wkb[..], "the blob is the header, the envelope and the plain WKB");
        assert_eq!(multipolygon_from_wkb(&wkb).unwrap(), mp);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(decode_point(b"GP"), Err(BlobError::Truncated));
        assert_eq!(decode_point(b"XX\x00\x01\xe6\x10\x00\x00"), Err(BlobError::Magic));
        let mut b = encode_multipolygon(&MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)],
        ]));
        b.truncate(b.len() - 3);
        assert_eq!(decode_multipolygon(&b), Err(BlobError::Truncated));
        assert_eq!(decode_multipolygon(&encode_point(1.0, 2.0)), Err(BlobError::Type(1)));
    }
}
