//! What publishing a world would change, layer by layer: the codes (or ids) added, changed and
//! removed. A feature is changed when an attribute differs, or its geometry does by more than
//! [`SAME_PLACE_DEG`] at a vertex (rings compared in one winding; parts in another order compared
//! by the area between them), so a file's winding or a projection's round trip changes nothing.

use crate::{
    CellRecord, DepartmentRecord, GridWorkerRecord, Layer, MediatorRecord, OfficerRecord, RegionRecord, ResourceRecord,
    UnitRecord, WorldFile,
};
use geo::{CoordsIter, MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The difference of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerDifference {
    /// The layer.
    pub layer: Layer,
    /// Codes (ids) only in the new world.
    pub added: Vec<String>,
    /// Codes in both whose features differ.
    pub changed: Vec<String>,
    /// Codes only in the old world.
    pub removed: Vec<String>,
}

impl LayerDifference {
    /// Whether nothing changes in this layer.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The difference of every layer, in [`Layer::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// One entry per layer.
    pub layers: Vec<LayerDifference>,
}

impl Difference {
    /// Whether the two worlds are the same.
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(LayerDifference::is_empty)
    }
}

/// Vertices closer than this are the same place: 1e-7° is about 1 cm.
pub const SAME_PLACE_DEG: f64 = 1e-7;

fn same_point(a: Point<f64>, b: Point<f64>) -> bool {
    (a.x() - b.x()).abs() <= SAME_PLACE_DEG && (a.y() - b.y()).abs() <= SAME_PLACE_DEG
}

fn same_shape(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    use geo::orient::{Direction, Orient};
    if a == b {
        return true;
    }
    let (a, b) = (a.orient(Direction::Default), b.orient(Direction::Default));
    if a.coords_count() == b.coords_count()
        && a.coords_iter().zip(b.coords_iter()).all(|(p, q)| same_point(p.into(), q.into()))
    {
        return true;
    }
    // Parts or holes in another order: the same shape when the area between the two is at most
    // 1e-11 deg² (about 0.1 m²) per vertex.
    use geo::{Area, BooleanOps};
    a.xor(&b).unsigned_area() <= SAME_PLACE_DEG * SAME_PLACE_DEG * a.coords_count().max(1) as f64 * 1e3
}

/// Whether two records of a layer describe the same feature.
trait Same {
    fn same(&self, other: &Self) -> bool;
}

impl Same for RegionRecord {
    fn same(&self, o: &Self) -> bool {
        (&self.code, &self.name, &self.level, &self.parent_code, self.population, self.households, self.synthetic)
            == (&o.code, &o.name, &o.level, &o.parent_code, o.population, o.households, o.synthetic)
            && same_shape(&self.boundary, &o.boundary)
    }
}

impl Same for CellRecord {
    fn same(&self, o: &Self) -> bool {
        (&self.code, &self.name, &self.village_code, self.population, self.households, self.synthetic)
            == (&o.code, &o.name, &o.village_code, o.population, o.households, o.synthetic)
            && same_shape(&self.boundary, &o.boundary)
    }
}

impl Same for ResourceRecord {
    fn same(&self, o: &Self) -> bool {
        (
            self.id,
            &self.kind,
            &self.name,
            &self.region_code,
            &self.subtype,
            self.heading_deg,
            self.fov_deg,
            self.range_m,
        ) == (o.id, &o.kind, &o.name, &o.region_code, &o.subtype, o.heading_deg, o.fov_deg, o.range_m)
            && same_point(self.point, o.point)
    }
}

impl Same for OfficerRecord {
    fn same(&self, o: &Self) -> bool {
        self == o
    }
}

impl Same for DepartmentRecord {
    fn same(&self, o: &Self) -> bool {
        self == o
    }
}

impl Same for MediatorRecord {
    /// A role written as its label (人民调解员) is the same as its code (`peoples_mediator`).
    fn same(&self, o: &Self) -> bool {
        let role = |r: &str| model::desk::MediatorRole::parse_label(r).map(|r| r.as_str()).unwrap_or(r).to_owned();
        (self.id, &self.name, role(&self.role), &self.village_code, &self.phone)
            == (o.id, &o.name, role(&o.role), &o.village_code, &o.phone)
    }
}

impl Same for GridWorkerRecord {
    fn same(&self, o: &Self) -> bool {
        (self.id, &self.name, &self.cell_code, &self.phone, self.leader)
            == (o.id, &o.name, &o.cell_code, &o.phone, o.leader)
            && match (self.point, o.point) {
                (Some(a), Some(b)) => same_point(a, b),
                (a, b) => a == b,
            }
    }
}

impl Same for UnitRecord {
    fn same(&self, o: &Self) -> bool {
        (self.id, &self.name, &self.unit_type, &self.region_code) == (o.id, &o.name, &o.unit_type, &o.region_code)
            && same_point(self.point, o.point)
    }
}

fn compare<T: Same>(layer: Layer, old: &[T], new: &[T], key: impl Fn(&T) -> String) -> LayerDifference {
    let old: BTreeMap<String, &T> = old.iter().map(|t| (key(t), t)).collect();
    let new: BTreeMap<String, &T> = new.iter().map(|t| (key(t), t)).collect();
    let mut d = LayerDifference { layer, added: Vec::new(), changed: Vec::new(), removed: Vec::new() };
    for (k, n) in &new {
        match old.get(k) {
            None => d.added.push(k.clone()),
            Some(o) if !o.same(n) => d.changed.push(k.clone()),
            Some(_) => {}
        }
    }
    d.removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    d
}

/// What changes from `old` to `new`.
///
/// ```
/// use world::{WorldFile, difference};
/// assert!(difference(&WorldFile::default(), &WorldFile::default()).is_empty());
/// ```
pub fn difference(old: &WorldFile, new: &WorldFile) -> Difference {
    Difference {
        layers: vec![
            compare(Layer::Regions, &old.regions, &new.regions, |r| r.code.trim().to_owned()),
            compare(Layer::Cells, &old.cells, &new.cells, |c| c.code.trim().to_owned()),
            compare(Layer::Resources, &old.resources, &new.resources, |r| r.id.to_string()),
            compare(Layer::Officers, &old.officers, &new.officers, |o| o.id.to_string()),
            compare(Layer::GridWorkers, &old.grid_workers, &new.grid_workers, |g| g.id.to_string()),
            compare(Layer::Units, &old.units, &new.units, |u| u.id.to_string()),
            compare(Layer::Departments, &old.departments, &new.departments, |d| d.code.trim().to_owned()),
            compare(Layer::Mediators, &old.mediators, &new.mediators, |m| m.id.to_string()),
        ],
    }
}

/// The regions a feature of `layer` with `key` lies in, in `world` (none when absent there):
/// a region's or cell's own code, a resource's or unit's region, an officer's villages, a grid
/// worker's cell, a mediator's village. Codes that do not parse are returned as they are.
fn places(world: &WorldFile, layer: Layer, key: &str) -> Vec<String> {
    let id = || key.parse::<u64>().ok();
    match layer {
        Layer::Regions => {
            world.regions.iter().filter(|r| r.code.trim() == key).map(|r| r.code.trim().to_owned()).collect()
        }
        Layer::Cells => world.cells.iter().filter(|c| c.code.trim() == key).map(|c| c.code.trim().to_owned()).collect(),
        Layer::Resources => {
            world.resources.iter().filter(|r| Some(r.id) == id()).map(|r| r.region_code.trim().to_owned()).collect()
        }
        Layer::Officers => world
            .officers
            .iter()
            .filter(|o| Some(o.id) == id())
            .flat_map(|o| o.villages.iter().map(|v| v.trim().to_owned()))
            .collect(),
        Layer::GridWorkers => {
            world.grid_workers.iter().filter(|g| Some(g.id) == id()).map(|g| g.cell_code.trim().to_owned()).collect()
        }
        Layer::Units => {
            world.units.iter().filter(|u| Some(u.id) == id()).map(|u| u.region_code.trim().to_owned()).collect()
        }
        Layer::Departments => {
            world.departments.iter().filter(|d| d.code.trim() == key).map(|d| d.region_code.trim().to_owned()).collect()
        }
        Layer::Mediators => {
            world.mediators.iter().filter(|m| Some(m.id) == id()).map(|m| m.village_code.trim().to_owned()).collect()
        }
    }
}

/// Whether a region or cell code lies in `scope` (a code that parses as neither does not).
fn in_scope(code: &str, scope: &model::scope::Scope) -> bool {
    if let Ok(c) = model::RegionCode::parse(code) {
        return scope.allows_region(c);
    }
    model::CellCode::parse(code).is_ok_and(|c| scope.allows_cell(c))
}

impl Difference {
    /// The first change (layer and code) that touches a place outside `scope`, in the old world
    /// or the new: a user may only publish changes inside their jurisdiction.
    pub fn first_outside(
        &self,
        old: &WorldFile,
        new: &WorldFile,
        scope: &model::scope::Scope,
    ) -> Option<(Layer, String)> {
        if scope.is_everything() {
            return None;
        }
        for l in &self.layers {
            for key in l.added.iter().chain(&l.changed).chain(&l.removed) {
                let mut touched = places(old, l.layer, key);
                touched.extend(places(new, l.layer, key));
                if touched.iter().any(|code| !in_scope(code, scope)) {
                    return Some((l.layer, key.clone()));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    fn cell(code: &str, x0: f64) -> CellRecord {
        CellRecord {
            code: code.into(),
            name: "网格".into(),
            village_code: String::new(),
            population: 1,
            households: 0,
            synthetic: false,
            boundary: MultiPolygon::new(vec![
                Rect::new(coord! {x: x0, y: 37.9}, coord! {x: x0 + 0.01, y: 37.91}).to_polygon(),
            ]),
        }
    }

    #[test]
    fn windings_and_centimetres_change_nothing_but_a_move_or_a_name_does() {
        let old = WorldFile {
            cells: vec![cell("620602001001001", 102.6), cell("620602001001002", 102.61)],
            ..WorldFile::default()
        };
        let mut new = old.clone();
        // The same square wound the other way, and moved by 5e-8° (about 5 mm).
        new.cells[0].boundary.0[0].exterior_mut(|r| r.0.reverse());
        new.cells[1].boundary = cell("", 102.610_000_05).boundary;
        assert!(difference(&old, &new).is_empty());
        new.cells[1].boundary = cell("", 102.6101).boundary;
        new.cells.push(cell("620602001001003", 102.62));
        new.cells[0].name = "新网格".into();
        let d = &difference(&old, &new).layers[1];
        assert_eq!((d.added.len(), d.changed.len(), d.removed.len()), (1, 2, 0));
    }

    #[test]
    fn a_change_outside_the_jurisdiction_is_named() {
        let village = |s: &str| model::scope::Scope::of(vec![model::RegionCode::parse(s).unwrap()]);
        let old = WorldFile { cells: vec![cell("620602001001001", 102.6)], ..WorldFile::default() };
        let mut new = old.clone();
        new.cells[0].name = "改名".into();
        let d = difference(&old, &new);
        assert_eq!(d.first_outside(&old, &new, &village("620602001001")), None);
        assert_eq!(d.first_outside(&old, &new, &model::scope::Scope::everything()), None);
        assert_eq!(
            d.first_outside(&old, &new, &village("620602001002")),
            Some((Layer::Cells, "620602001001001".to_owned()))
        );
        // A resource moved out of the jurisdiction is outside it, though it started inside.
        let camera = |region: &str| crate::ResourceRecord {
            id: 7,
            kind: "camera".into(),
            name: "探头".into(),
            region_code: region.into(),
            subtype: None,
            heading_deg: None,
            fov_deg: None,
            range_m: None,
            point: Point::new(102.6, 37.9),
        };
        let old = WorldFile { resources: vec![camera("620602001001")], ..WorldFile::default() };
        let new = WorldFile { resources: vec![camera("620602001002")], ..WorldFile::default() };
        let d = difference(&old, &new);
        assert_eq!(d.first_outside(&old, &new, &village("620602001001")), Some((Layer::Resources, "7".to_owned())));
        assert_eq!(d.first_outside(&old, &new, &village("620602001000")), None);
    }
}
