//! A Mapbox Vector Tile (MVT 2.1) encoder: layers of point and polygon features with typed
//! properties, written as protobuf by hand (no code generation, no protobuf dependency).
//!
//! Coordinates given to the builder are tile-local integers (0…extent, y down); rings are
//! re-oriented as the spec requires (exterior clockwise on screen, holes counter-clockwise).

use analytics::pbf::{WIRE_FIXED64, bytes_field, key, varint, zigzag32, zigzag64};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Tile extent: coordinates per tile side.
pub const EXTENT: u32 = 4096;

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (borrowed when it lives for the program, like a category's code).
    Str(Cow<'static, str>),
    /// A signed integer.
    Int(i64),
    /// A float.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Str(Cow<'static, str>),
    Int(i64),
    Double(u64),
    Bool(bool),
}

/// Geometry kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    /// Point (type 1).
    Point = 1,
    /// Polygon (type 3).
    Polygon = 3,
}

/// One layer under construction.
pub struct Layer {
    name: String,
    keys: Vec<String>,
    values: Vec<Value>,
    value_index: FxHashMap<ValueKey, u32>,
    features: Vec<u8>,
    count: usize,
    /// Buffers reused from feature to feature: the feature, its tags, its geometry.
    scratch: [Vec<u8>; 3],
}

impl Layer {
    /// An empty layer.
    pub fn new(name: &str) -> Layer {
        Layer {
            name: name.to_owned(),
            keys: Vec::new(),
            values: Vec::new(),
            value_index: FxHashMap::default(),
            features: Vec::new(),
            count: 0,
            scratch: Default::default(),
        }
    }

    /// Features added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no feature was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn tag(&mut self, k: &str, v: &Value) -> (u32, u32) {
        // A layer has a handful of keys: a look along them beats hashing.
        let ki = match self.keys.iter().position(|x| x == k) {
            Some(i) => i as u32,
            None => {
                self.keys.push(k.to_owned());
                self.keys.len() as u32 - 1
            }
        };
        let vk = match v {
            Value::Str(s) => ValueKey::Str(s.clone()),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Double(d) => ValueKey::Double(d.to_bits()),
            Value::Bool(b) => ValueKey::Bool(*b),
        };
        let vi = match self.value_index.get(&vk) {
            Some(&i) => i,
            None => {
                let i = self.values.len() as u32;
                self.values.push(v.clone());
                self.value_index.insert(vk, i);
                i
            }
        };
        (ki, vi)
    }

    fn push_feature(&mut self, id: Option<u64>, props: &[(&str, Value)], kind: GeomType, geometry: &[u32]) {
        let [mut f, mut tags, mut g] = std::mem::take(&mut self.scratch);
        f.clear();
        tags.clear();
        g.clear();
        if let Some(id) = id {
            key(&mut f, 1, 0);
            varint(&mut f, id);
        }
        for (k, v) in props {
            let (ki, vi) = self.tag(k, v);
            varint(&mut tags, u64::from(ki));
            varint(&mut tags, u64::from(vi));
        }
        bytes_field(&mut f, 2, &tags);
        key(&mut f, 3, 0);
        varint(&mut f, kind as u64);
        for &c in geometry {
            varint(&mut g, u64::from(c));
        }
        bytes_field(&mut f, 4, &g);
        bytes_field(&mut self.features, 2, &f);
        self.count += 1;
        self.scratch = [f, tags, g];
    }

    /// Adds a point at tile coordinates (x, y).
    pub fn add_point(&mut self, id: Option<u64>, x: i32, y: i32, props: &[(&str, Value)]) {
        let geometry = [(1 << 3) | 1, zigzag32(x), zigzag32(y)];
        self.push_feature(id, props, GeomType::Point, &geometry);
    }

    /// Adds a polygon: rings in tile coordinates, the first of each group its exterior.
    /// Rings need not be closed; fewer than 3 distinct points are dropped; a polygon left with
    /// no exterior is not added.
    pub fn add_polygon(&mut self, id: Option<u64>, polygons: &[Vec<Vec<[i32; 2]>>], props: &[(&str, Value)]) {
        let mut geometry: Vec<u32> = Vec::new();
        let (mut cx, mut cy) = (0i32, 0i32);
        for rings in polygons {
            for (r, ring) in rings.iter().enumerate() {
                let mut pts: Vec<[i32; 2]> = Vec::with_capacity(ring.len());
                for p in ring {
                    if pts.last() != Some(p) {
                        pts.push(*p);
                    }
                }
                if pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() < 3 {
                    if r == 0 {
                        break;
                    }
                    continue;
                }
                // Shoelace in y-down tile space: positive = clockwise on screen = exterior.
                let area2: i64 = (0..pts.len())
                    .map(|i| {
                        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                        i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
                    })
                    .sum();
                if area2 == 0 {
                    if r == 0 {
                        break;
                    }
                    continue;
                }
                if (r == 0) != (area2 > 0) {
                    pts.reverse();
                }
                geometry.push((1 << 3) | 1);
                geometry.push(zigzag32(pts[0][0] - cx));
                geometry.push(zigzag32(pts[0][1] - cy));
                (cx, cy) = (pts[0][0], pts[0][1]);
                geometry.push(((pts.len() as u32 - 1) << 3) | 2);
                for p in &pts[1..] {
                    geometry.push(zigzag32(p[0] - cx));
                    geometry.push(zigzag32(p[1] - cy));
                    (cx, cy) = (p[0], p[1]);
                }
                geometry.push((1 << 3) | 7);
            }
        }
        if !geometry.is_empty() {
            self.push_feature(id, props, GeomType::Polygon, &geometry);
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut l = Vec::with_capacity(self.features.len() + 256);
        key(&mut l, 15, 0);
        varint(&mut l, 2);
        bytes_field(&mut l, 1, self.name.as_bytes());
        l.extend_from_slice(&self.features);
        for k in &self.keys {
            bytes_field(&mut l, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut vb = Vec::new();
            match v {
                Value::Str(s) => bytes_field(&mut vb, 1, s.as_bytes()),
                Value::Double(d) => {
                    key(&mut vb, 3, WIRE_FIXED64);
                    vb.extend_from_slice(&d.to_le_bytes());
                }
                Value::Int(i) => {
                    key(&mut vb, 6, 0);
                    varint(&mut vb, zigzag64(*i));
                }
                Value::Bool(b) => {
                    key(&mut vb, 7, 0);
                    varint(&mut vb, u64::from(*b));
                }
            }
            bytes_field(&mut l, 4, &vb);
        }
        key(&mut l, 5, 0);
        varint(&mut l, u64::from(EXTENT));
        bytes_field(out, 3, &l);
    }
}

/// Encodes layers into one tile (empty layers are left out).
pub fn encode(layers: &[Layer]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in layers.iter().filter(|l| !l.is_empty()) {
        l.encode(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_point_geometry() {
        // MVT spec 4.3.5.1: a point at (25, 17) is [9, 50, 34].
        let mut l = Layer::new("p");
        l.add_point(Some(1), 25, 17, &[("k", Value::Int(1))]);
        let tile = encode(&[l]);
        let needle = [9u8, 50, 34];
        assert!(tile.windows(3).any(|w| w == needle));
    }

    #[test]
    fn polygon_exterior_is_clockwise_on_screen() {
        let mut l = Layer::new("poly");
        // Counter-clockwise on screen (y down): must be reversed.
        let ring = vec![[0, 0], [0, 10], [10, 10], [10, 0]];
        l.add_polygon(None, &[vec![ring]], &[]);
        let tile = encode(&[l]);
        // Reversed to start at (10,0), then down to (10,10): MoveTo(10,0), LineTo×3, (0,+10).
        let needle = [9u8, 20, 0, 26, 0, 20];
        assert!(tile.windows(6).any(|w| w == needle), "{tile:?}");
    }

    #[test]
    fn degenerate_polygons_are_dropped() {
        let mut l = Layer::new("poly");
        l.add_polygon(None, &[vec![vec![[0, 0], [5, 5], [0, 0]]]], &[]);
        l.add_polygon(None, &[vec![vec![[0, 0], [5, 5], [10, 10]]]], &[]);
        assert!(l.is_empty());
    }
}
