//! Checks a world file before it is published: every error that would break the grid, and the
//! warnings a GIS officer should look at. Spatial checks use an R-tree of bounding boxes, never
//! a pairwise loop; areas are spherical (Chamberlain–Duquette), in m².

use crate::{Layer, WorldFile, point_kind};
use geo::{
    Area, BooleanOps, BoundingRect, ChamberlainDuquetteArea, Contains, Haversine, InteriorPoint, Length, MultiPolygon,
    Point, Polygon, Validation,
};
use model::{CellCode, RegionCode, RegionLevel, ResourceKind};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What the checks tolerate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Overlaps, gaps and parts outside a village at most this large are slivers, not faults.
    pub tolerance_m2: f64,
    /// Pieces narrower than this on average (twice the area over the perimeter) are slivers
    /// along shared edges, whatever their area: boundaries digitised or clipped separately differ
    /// along kilometres by less than a base map's precision (0.4 mm at 1:5,000 is 2 m).
    pub sliver_width_m: f64,
    /// A cell larger than this is suspect (a warning).
    pub large_cell_m2: f64,
}

impl Default for Rules {
    /// 100 m² and 2 m of sliver tolerance; cells over 10 km² are flagged.
    fn default() -> Rules {
        Rules { tolerance_m2: 100.0, sliver_width_m: 2.0, large_cell_m2: 10_000_000.0 }
    }
}

/// An error stops a publication; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must be fixed.
    Error,
    /// Legal but suspect.
    Warning,
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A self-intersecting, unclosed or empty geometry.
    InvalidGeometry,
    /// Two features of a layer share a code or id.
    DuplicateCode,
    /// A code that is not a statistical code, or not nested in its parent's (a cell's 15 digits
    /// start with its village's 12), or a level that disagrees with the code.
    CodeNotNested,
    /// A parent (or a cell's village) that is not in the file.
    UnknownParent,
    /// Two cells overlap.
    OverlappingCells,
    /// Part of a village is covered by none of its cells.
    GapInVillage,
    /// Part of a cell lies outside its village.
    CellOutsideVillage,
    /// A resource lies outside every village, or names a region that does not exist.
    ResourceOutside,
    /// A resource (or patrol unit) lies outside the region it names: it would be shown to the
    /// wrong jurisdiction.
    ResourceOutsideItsRegion,
    /// A resource kind that is not one of the five.
    UnknownKind,
    /// An officer covers a village that does not exist, or works from a station that does not.
    UnknownVillage,
    /// A grid worker serves a cell that does not exist.
    UnknownCell,
    /// A village no officer covers (warning).
    VillageWithoutOfficer,
    /// A cell with no grid worker (warning).
    CellWithoutGridWorker,
    /// A cell larger than the rules' limit (warning).
    LargeCell,
    /// A camera without heading, field of view or range (warning).
    CameraWithoutDirection,
    /// Parts of a geometry touch or overlap by no more than the tolerance: the checks measure it
    /// merged; it is kept as given (warning).
    RepairedGeometry,
    /// A department with a bad code, a type the taxonomy lacks, or a region that is not a county
    /// or township of the file.
    BadDepartment,
    /// A mediator with no name, a role that is none of the four, a village that is not in the
    /// file, or a phone that is not one.
    BadMediator,
    /// A village whose roster lists no mediator, when the file has rosters (warning).
    VillageWithoutMediator,
}

impl ProblemKind {
    /// Whether this kind is an error or a warning.
    pub fn severity(self) -> Severity {
        match self {
            ProblemKind::VillageWithoutOfficer
            | ProblemKind::CellWithoutGridWorker
            | ProblemKind::LargeCell
            | ProblemKind::CameraWithoutDirection
            | ProblemKind::RepairedGeometry
            | ProblemKind::VillageWithoutMediator => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The kind in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            ProblemKind::InvalidGeometry => "几何无效",
            ProblemKind::DuplicateCode => "编码重复",
            ProblemKind::CodeNotNested => "编码不符合层级",
            ProblemKind::UnknownParent => "上级不存在",
            ProblemKind::OverlappingCells => "网格重叠",
            ProblemKind::GapInVillage => "村内存在未划网格区域",
            ProblemKind::CellOutsideVillage => "网格超出所属村",
            ProblemKind::ResourceOutside => "资源不在任何村内",
            ProblemKind::ResourceOutsideItsRegion => "资源不在所属区域内",
            ProblemKind::UnknownKind => "资源类型未知",
            ProblemKind::UnknownVillage => "民警关联的村或派出所不存在",
            ProblemKind::UnknownCell => "网格员所在网格不存在",
            ProblemKind::VillageWithoutOfficer => "村无驻村民警",
            ProblemKind::CellWithoutGridWorker => "网格无网格员",
            ProblemKind::LargeCell => "网格面积过大",
            ProblemKind::CameraWithoutDirection => "摄像头缺少朝向",
            ProblemKind::RepairedGeometry => "几何已自动修复",
            ProblemKind::BadDepartment => "部门信息有误",
            ProblemKind::BadMediator => "调解员信息有误",
            ProblemKind::VillageWithoutMediator => "村无调解员",
        }
    }

    /// The kind in English.
    pub fn label_en(self) -> &'static str {
        match self {
            ProblemKind::InvalidGeometry => "invalid geometry",
            ProblemKind::DuplicateCode => "duplicate code",
            ProblemKind::CodeNotNested => "code not nested in its parent's",
            ProblemKind::UnknownParent => "unknown parent",
            ProblemKind::OverlappingCells => "overlapping cells",
            ProblemKind::GapInVillage => "gap inside a village",
            ProblemKind::CellOutsideVillage => "cell reaching outside its village",
            ProblemKind::ResourceOutside => "resource outside every region",
            ProblemKind::ResourceOutsideItsRegion => "resource outside the region it names",
            ProblemKind::UnknownKind => "unknown resource kind",
            ProblemKind::UnknownVillage => "officer linked to a missing village or station",
            ProblemKind::UnknownCell => "grid worker on a missing cell",
            ProblemKind::VillageWithoutOfficer => "village with no officer",
            ProblemKind::CellWithoutGridWorker => "cell with no grid worker",
            ProblemKind::LargeCell => "cell larger than the limit",
            ProblemKind::CameraWithoutDirection => "camera with no direction",
            ProblemKind::RepairedGeometry => "geometry repaired",
            ProblemKind::BadDepartment => "department record is wrong",
            ProblemKind::BadMediator => "mediator record is wrong",
            ProblemKind::VillageWithoutMediator => "village with no mediator",
        }
    }
}

/// One fault of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub kind: ProblemKind,
    /// The layer of the feature.
    pub layer: Layer,
    /// The feature's code (or id).
    pub code: String,
    /// Where, WGS84 longitude (none for rows without a place).
    pub lon: Option<f64>,
    /// Where, WGS84 latitude.
    pub lat: Option<f64>,
    /// The area at fault (overlap, gap, part outside, cell), m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// The other feature involved (the overlapping cell, the missing parent, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// What exactly, in English (numbers and names as the file has them).
    pub detail: String,
}

impl Problem {
    fn new(kind: ProblemKind, layer: Layer, code: &str, at: Option<Point<f64>>, detail: String) -> Problem {
        Problem {
            severity: kind.severity(),
            kind,
            layer,
            code: code.to_owned(),
            lon: at.map(|p| round6(p.x())),
            lat: at.map(|p| round6(p.y())),
            area_m2: None,
            other: None,
            detail,
        }
    }

    fn area(mut self, area_m2: f64) -> Problem {
        self.area_m2 = Some(area_m2.round());
        self
    }

    fn other(mut self, other: impl Into<String>) -> Problem {
        self.other = Some(other.into());
        self
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Every problem found, errors first, then by layer and code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The problems.
    pub problems: Vec<Problem>,
}

impl Report {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }

    /// Whether the world may be published (no errors).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }
}

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn boxes<'a>(shapes: impl Iterator<Item = &'a MultiPolygon<f64>>) -> RTree<Boxed> {
    RTree::bulk_load(
        shapes
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect(),
    )
}

fn envelope(s: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    let r = s.bounding_rect()?;
    Some(AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

fn place(s: &MultiPolygon<f64>) -> Option<Point<f64>> {
    s.interior_point()
}

/// Area on the sphere, m²: the exterior's less the holes' (each ring measured alone, so the
/// result does not depend on the rings' windings).
fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let ring = |r: &geo::LineString<f64>| Polygon::new(r.clone(), vec![]).chamberlain_duquette_unsigned_area();
    (ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>()).max(0.0)
}

/// Area on the sphere of every part, m².
pub(crate) fn area_m2(s: &MultiPolygon<f64>) -> f64 {
    s.0.iter().map(polygon_area_m2).sum()
}

/// Mean width of a polygon, m: twice its area over its perimeter (a strip's width).
fn mean_width_m(p: &Polygon<f64>, area_m2: f64) -> f64 {
    let perimeter_m: f64 = std::iter::once(p.exterior()).chain(p.interiors()).map(|r| Haversine.length(r)).sum();
    if perimeter_m > 0.0 { 2.0 * area_m2 / perimeter_m } else { 0.0 }
}

/// The pieces of `shape` that are faults, not slivers: larger than the tolerance and wider on
/// average than the sliver width. Each with its area, mean width and a point inside it.
fn pieces(shape: &MultiPolygon<f64>, rules: &Rules) -> Vec<(f64, f64, Option<Point<f64>>)> {
    shape
        .0
        .iter()
        .map(|p: &Polygon<f64>| {
            let area = polygon_area_m2(p);
            (area, mean_width_m(p, area), p.interior_point())
        })
        .filter(|(area, width, _)| *area > rules.tolerance_m2 && *width > rules.sliver_width_m)
        .collect()
}

fn usable(s: &MultiPolygon<f64>) -> bool {
    !s.0.is_empty() && s.is_valid() && s.unsigned_area() > 0.0
}

/// `s` with its parts merged where they overlap or touch along an edge (windings made standard
/// first, so that overlapping parts add rather than cancel).
pub fn repaired(s: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::algorithm::bool_ops::FillRule;
    use geo::orient::{Direction, Orient};
    s.orient(Direction::Default).union_with_fill_rule(&MultiPolygon::new(vec![]), FillRule::NonZero)
}

/// A geometry as the checks use it: valid as given, repaired (with the area the repair changed,
/// m²) when repairing changed no more than the tolerance (parts that touched or overlapped by a
/// sliver, as reprojection leaves), or invalid with why. The world itself keeps the geometry as
/// the file gave it.
fn checked(s: &MultiPolygon<f64>, rules: &Rules) -> Result<(MultiPolygon<f64>, Option<f64>), String> {
    if usable(s) {
        return Ok((s.clone(), None));
    }
    let detail = geometry_detail(s);
    if s.0.is_empty() || s.unsigned_area() <= 0.0 {
        return Err(detail);
    }
    let fixed = repaired(s);
    let changed_m2 = (area_m2(&fixed) - area_m2(s)).abs();
    if usable(&fixed) && changed_m2 <= rules.tolerance_m2.max(1.0) {
        Ok((fixed, Some(changed_m2)))
    } else {
        Err(detail)
    }
}

/// Every problem of `world` under `rules`.
///
/// ```
/// use world::{WorldFile, Rules, validate};
/// assert!(validate(&WorldFile::default(), &Rules::default()).is_valid());
/// ```
pub fn validate(world: &WorldFile, rules: &Rules) -> Report {
    let mut out = Vec::new();

    // Regions: geometry, codes, levels, parents.
    let mut region_codes: HashMap<RegionCode, usize> = HashMap::new();
    let mut region_shapes: Vec<Option<MultiPolygon<f64>>> = Vec::with_capacity(world.regions.len());
    for (i, r) in world.regions.iter().enumerate() {
        let at = place(&r.boundary);
        region_shapes.push(shape_of(&mut out, Layer::Regions, &r.code, &r.boundary, at, rules));
        let code = match RegionCode::parse(r.code.trim()) {
            Ok(c) => c,
            Err(e) => {
                out.push(Problem::new(ProblemKind::CodeNotNested, Layer::Regions, &r.code, at, e.to_string()));
                continue;
            }
        };
        if !r.level.is_empty() && r.level != code.level().as_str() && r.level != code.level().label_zh() {
            out.push(Problem::new(
                ProblemKind::CodeNotNested,
                Layer::Regions,
                &r.code,
                at,
                format!("level {} disagrees with the code, which is a {}", r.level, code.level().as_str()),
            ));
        }
        if region_codes.insert(code, i).is_some() {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::Regions,
                &r.code,
                at,
                "another region has this code".into(),
            ));
        }
    }
    for r in &world.regions {
        let Ok(code) = RegionCode::parse(r.code.trim()) else { continue };
        let implied = code.parent();
        let given = r.parent_code.trim();
        let at = place(&r.boundary);
        if !given.is_empty() && implied.map(|c| c.to_string()).as_deref() != Some(given) {
            out.push(
                Problem::new(
                    ProblemKind::CodeNotNested,
                    Layer::Regions,
                    &r.code,
                    at,
                    format!(
                        "parent_code {given} is not the code's parent ({})",
                        implied.map_or("none".into(), |c| c.to_string())
                    ),
                )
                .other(given),
            );
        }
        if let Some(parent) = implied
            && !region_codes.contains_key(&parent)
            && code.level() != RegionLevel::County
        {
            out.push(
                Problem::new(
                    ProblemKind::UnknownParent,
                    Layer::Regions,
                    &r.code,
                    at,
                    format!("parent {parent} is not in the file"),
                )
                .other(parent.to_string()),
            );
        }
    }

    // Cells: geometry, codes, villages.
    let villages: HashMap<RegionCode, usize> = world
        .regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| RegionCode::parse(r.code.trim()).ok().map(|c| (c, i)))
        .filter(|(c, _)| c.level() == RegionLevel::Village)
        .collect();
    let mut cell_codes: HashMap<CellCode, usize> = HashMap::new();
    let mut cells_of_village: HashMap<RegionCode, Vec<usize>> = HashMap::new();
    let mut good_cells = vec![false; world.cells.len()];
    let mut cell_shapes: Vec<Option<MultiPolygon<f64>>> = Vec::with_capacity(world.cells.len());
    for (i, c) in world.cells.iter().enumerate() {
        let at = place(&c.boundary);
        cell_shapes.push(shape_of(&mut out, Layer::Cells, &c.code, &c.boundary, at, rules));
        let ok_geometry = cell_shapes[i].is_some();
        let code = match CellCode::parse(c.code.trim()) {
            Ok(code) => code,
            Err(e) => {
                out.push(Problem::new(
                    ProblemKind::CodeNotNested,
                    Layer::Cells,
                    &c.code,
                    at,
                    format!("{e}: a cell code is its village's 12 digits and 3 more"),
                ));
                continue;
            }
        };
        let given = c.village_code.trim();
        if !given.is_empty() && given != code.village().to_string() {
            out.push(
                Problem::new(
                    ProblemKind::CodeNotNested,
                    Layer::Cells,
                    &c.code,
                    at,
                    format!("the code does not start with its village_code {given}"),
                )
                .other(given),
            );
        }
        if cell_codes.insert(code, i).is_some() {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::Cells,
                &c.code,
                at,
                "another cell has this code".into(),
            ));
            continue;
        }
        if !villages.contains_key(&code.village()) {
            out.push(
                Problem::new(
                    ProblemKind::UnknownParent,
                    Layer::Cells,
                    &c.code,
                    at,
                    format!("village {} is not in the file", code.village()),
                )
                .other(code.village().to_string()),
            );
            continue;
        }
        cells_of_village.entry(code.village()).or_default().push(i);
        good_cells[i] = ok_geometry;
        let area = cell_shapes[i].as_ref().map_or(0.0, area_m2);
        if ok_geometry && area > rules.large_cell_m2 {
            out.push(
                Problem::new(
                    ProblemKind::LargeCell,
                    Layer::Cells,
                    &c.code,
                    at,
                    format!("{:.1} km², over the {:.1} km² limit", area / 1e6, rules.large_cell_m2 / 1e6),
                )
                .area(area),
            );
        }
    }

    // Overlaps: candidate pairs from the R-tree of cell boxes, then the exact intersection.
    let tree = boxes(world.cells.iter().map(|c| &c.boundary));
    for (i, c) in world.cells.iter().enumerate() {
        let (true, Some(shape)) = (good_cells[i], &cell_shapes[i]) else { continue };
        let Some(env) = envelope(shape) else { continue };
        for other in tree.locate_in_envelope_intersecting(env) {
            let j = other.data;
            let (true, Some(other_shape)) = (j > i && good_cells[j], &cell_shapes[j]) else { continue };
            let overlap = shape.intersection(other_shape);
            for (area, width, at) in pieces(&overlap, rules) {
                out.push(
                    Problem::new(
                        ProblemKind::OverlappingCells,
                        Layer::Cells,
                        &c.code,
                        at,
                        format!("overlaps cell {} by {area:.0} m² ({width:.1} m wide on average)", world.cells[j].code),
                    )
                    .area(area)
                    .other(world.cells[j].code.clone()),
                );
            }
        }
    }

    // Gaps inside villages, and cells reaching outside theirs.
    let mut village_list: Vec<(&RegionCode, &usize)> = villages.iter().collect();
    village_list.sort();
    for (code, &vi) in village_list {
        let Some(village) = &region_shapes[vi] else { continue };
        let members: Vec<usize> =
            cells_of_village.get(code).map_or(Vec::new(), |m| m.iter().copied().filter(|&i| good_cells[i]).collect());
        if members.is_empty() {
            continue;
        }
        // Pairwise unions: `unary_union` takes every ring's winding from the first one's, and files
        // mix windings.
        let covered = members
            .iter()
            .filter_map(|&i| cell_shapes[i].as_ref())
            .fold(MultiPolygon::new(vec![]), |acc, cell| acc.union(cell));
        for (area, width, at) in pieces(&village.difference(&covered), rules) {
            out.push(
                Problem::new(
                    ProblemKind::GapInVillage,
                    Layer::Regions,
                    &code.to_string(),
                    at,
                    format!("{area:.0} m² of the village ({width:.1} m wide on average) is in none of its cells"),
                )
                .area(area),
            );
        }
        for &i in &members {
            let (cell, Some(shape)) = (&world.cells[i], &cell_shapes[i]) else { continue };
            for (area, width, at) in pieces(&shape.difference(village), rules) {
                out.push(
                    Problem::new(
                        ProblemKind::CellOutsideVillage,
                        Layer::Cells,
                        &cell.code,
                        at,
                        format!("{area:.0} m² ({width:.1} m wide on average) lies outside village {code}"),
                    )
                    .area(area)
                    .other(code.to_string()),
                );
            }
        }
    }

    // Resources and units: kinds, ids, regions, places.
    let village_tree = boxes(villages.values().map(|&i| &world.regions[i].boundary));
    let village_index: Vec<usize> = villages.values().copied().collect();
    let in_some_village = |p: Point<f64>| {
        village_tree
            .locate_all_at_point([p.x(), p.y()])
            .any(|b| world.regions[village_index[b.data]].boundary.contains(&p))
    };
    let mut ids: HashSet<u64> = HashSet::new();
    let mut stations: HashSet<u64> = HashSet::new();
    let mut point_rows: Vec<(Layer, u64, &str, &str, Point<f64>)> = Vec::new();
    for r in &world.resources {
        let at = Some(r.point);
        let id = r.id.to_string();
        match point_kind(&r.kind) {
            None => out.push(Problem::new(
                ProblemKind::UnknownKind,
                Layer::Resources,
                &id,
                at,
                format!("kind {:?} is not station, checkpoint, key_place, camera or alarm", r.kind),
            )),
            Some(ResourceKind::Station) => {
                stations.insert(r.id);
            }
            Some(ResourceKind::Camera) if r.heading_deg.is_none() || r.fov_deg.is_none() || r.range_m.is_none() => {
                out.push(Problem::new(
                    ProblemKind::CameraWithoutDirection,
                    Layer::Resources,
                    &id,
                    at,
                    format!("camera {} has no heading, field of view or range", r.name),
                ));
            }
            Some(_) => {}
        }
        point_rows.push((Layer::Resources, r.id, &r.region_code, &r.name, r.point));
    }
    for u in &world.units {
        point_rows.push((Layer::Units, u.id, &u.region_code, &u.name, u.point));
    }
    for (layer, id, region, name, p) in point_rows {
        let code = id.to_string();
        if !ids.insert(id) {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                layer,
                &code,
                Some(p),
                format!("id {id} ({name}) is used twice"),
            ));
        }
        if !(p.x().is_finite() && p.y().is_finite() && in_some_village(p)) {
            out.push(Problem::new(
                ProblemKind::ResourceOutside,
                layer,
                &code,
                Some(p),
                format!("{name} lies outside every village"),
            ));
        } else if RegionCode::parse(region.trim()).map_or(true, |c| !region_codes.contains_key(&c)) {
            out.push(
                Problem::new(
                    ProblemKind::ResourceOutside,
                    layer,
                    &code,
                    Some(p),
                    format!("{name} names region {region}, which is not in the file"),
                )
                .other(region),
            );
        } else if let Some(&i) = RegionCode::parse(region.trim()).ok().and_then(|c| region_codes.get(&c))
            && !world.regions[i].boundary.contains(&p)
        {
            out.push(
                Problem::new(
                    ProblemKind::ResourceOutsideItsRegion,
                    layer,
                    &code,
                    Some(p),
                    format!("{name} lies outside region {region}, which it names"),
                )
                .other(region),
            );
        }
    }

    // Officers.
    let mut officer_ids: HashSet<u64> = HashSet::new();
    let mut covered: HashSet<RegionCode> = HashSet::new();
    for o in &world.officers {
        let id = o.id.to_string();
        if !officer_ids.insert(o.id) {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::Officers,
                &id,
                None,
                format!("officer id {} ({}) is used twice", o.id, o.name),
            ));
        }
        if !stations.contains(&o.station_id) {
            out.push(
                Problem::new(
                    ProblemKind::UnknownVillage,
                    Layer::Officers,
                    &id,
                    None,
                    format!("{} works from station {}, which is not in the resources", o.name, o.station_id),
                )
                .other(o.station_id.to_string()),
            );
        }
        for v in &o.villages {
            match RegionCode::parse(v.trim()) {
                Ok(c) if villages.contains_key(&c) => {
                    covered.insert(c);
                }
                _ => out.push(
                    Problem::new(
                        ProblemKind::UnknownVillage,
                        Layer::Officers,
                        &id,
                        None,
                        format!("{} covers village {v}, which is not in the file", o.name),
                    )
                    .other(v.clone()),
                ),
            }
        }
    }

    // Grid workers.
    let mut staffed: HashSet<CellCode> = HashSet::new();
    for g in &world.grid_workers {
        let id = g.id.to_string();
        if !ids.insert(g.id) {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::GridWorkers,
                &id,
                g.point,
                format!("id {} ({}) is used twice", g.id, g.name),
            ));
        }
        match CellCode::parse(g.cell_code.trim()) {
            Ok(c) if cell_codes.contains_key(&c) => {
                staffed.insert(c);
            }
            _ => out.push(
                Problem::new(
                    ProblemKind::UnknownCell,
                    Layer::GridWorkers,
                    &id,
                    g.point,
                    format!("{} serves cell {}, which is not in the file", g.name, g.cell_code),
                )
                .other(g.cell_code.clone()),
            ),
        }
    }

    // Departments.
    let mut department_codes: HashSet<&str> = HashSet::new();
    for d in &world.departments {
        let code = d.code.trim();
        let bad = |why: String| Problem::new(ProblemKind::BadDepartment, Layer::Departments, code, None, why);
        if !department_codes.insert(code) {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::Departments,
                code,
                None,
                format!("department code {code} ({}) is used twice", d.name_zh),
            ));
        }
        if let Err(e) = model::department::DepartmentCode::parse(code) {
            out.push(bad(e));
        }
        if d.name_zh.trim().is_empty() {
            out.push(bad(format!("department {code} has no Chinese name")));
        }
        if crate::department_type(&d.kind).is_none() {
            let known: Vec<&str> =
                model::taxonomy::taxonomy().department_types.iter().map(|t| t.code.as_str()).collect();
            out.push(bad(format!("{}: type {:?} is none of {}", d.name_zh, d.kind, known.join(", "))));
        }
        match RegionCode::parse(d.region_code.trim()) {
            Ok(c)
                if region_codes.contains_key(&c)
                    && matches!(c.level(), RegionLevel::County | RegionLevel::Township) => {}
            _ => out.push(
                bad(format!("{} serves {:?}, which is not a county or township of the file", d.name_zh, d.region_code))
                    .other(d.region_code.clone()),
            ),
        }
    }

    // Mediator rosters.
    let mut mediator_ids: HashSet<u64> = HashSet::new();
    let mut rostered: HashSet<RegionCode> = HashSet::new();
    for m in &world.mediators {
        let id = m.id.to_string();
        let bad = |why: String| Problem::new(ProblemKind::BadMediator, Layer::Mediators, &id, None, why);
        if !mediator_ids.insert(m.id) {
            out.push(Problem::new(
                ProblemKind::DuplicateCode,
                Layer::Mediators,
                &id,
                None,
                format!("mediator id {} ({}) is used twice", m.id, m.name),
            ));
        }
        if m.name.trim().is_empty() || m.name.trim().chars().count() > 40 {
            out.push(bad(format!("mediator {} needs a name of 1–40 characters", m.id)));
        }
        if model::desk::MediatorRole::parse_label(&m.role).is_none() {
            let known: Vec<String> =
                model::desk::MediatorRole::ALL.iter().map(|r| format!("{} ({})", r.as_str(), r.label_zh())).collect();
            out.push(bad(format!("{}: role {:?} is none of {}", m.name, m.role, known.join(", "))));
        }
        match RegionCode::parse(m.village_code.trim()) {
            Ok(c) if villages.contains_key(&c) => {
                rostered.insert(c);
            }
            _ => out.push(
                bad(format!("{} is on the roster of {:?}, which is not a village of the file", m.name, m.village_code))
                    .other(m.village_code.clone()),
            ),
        }
        if let Some(phone) = &m.phone
            && !is_phone(phone)
        {
            out.push(bad(format!("{}: phone {phone:?} is not a phone number", m.name)));
        }
    }

    // Warnings over the whole grid.
    let mut village_codes: Vec<&RegionCode> = villages.keys().collect();
    village_codes.sort();
    if !world.officers.is_empty() {
        for code in village_codes {
            if !covered.contains(code) {
                out.push(Problem::new(
                    ProblemKind::VillageWithoutOfficer,
                    Layer::Regions,
                    &code.to_string(),
                    place(&world.regions[villages[code]].boundary),
                    "no officer covers this village".into(),
                ));
            }
        }
    }
    if !world.mediators.is_empty() {
        let mut codes: Vec<&RegionCode> = villages.keys().collect();
        codes.sort();
        for code in codes {
            if !rostered.contains(code) {
                out.push(Problem::new(
                    ProblemKind::VillageWithoutMediator,
                    Layer::Regions,
                    &code.to_string(),
                    place(&world.regions[villages[code]].boundary),
                    "no mediator is on this village's roster".into(),
                ));
            }
        }
    }
    if !world.grid_workers.is_empty() {
        let mut codes: Vec<(&CellCode, &usize)> = cell_codes.iter().collect();
        codes.sort();
        for (code, &i) in codes {
            if !staffed.contains(code) {
                out.push(Problem::new(
                    ProblemKind::CellWithoutGridWorker,
                    Layer::Cells,
                    &world.cells[i].code,
                    place(&world.cells[i].boundary),
                    "no grid worker serves this cell".into(),
                ));
            }
        }
    }

    out.sort_by(|a, b| {
        (a.severity != Severity::Error, a.layer, a.kind, &a.code).cmp(&(
            b.severity != Severity::Error,
            b.layer,
            b.kind,
            &b.code,
        ))
    });
    Report { problems: out }
}

/// Whether `s` reads as a phone number: 3–20 digits, with `+`, `-` and spaces allowed.
fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (3..=20).contains(&digits) && s.trim().chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}

/// The shape the checks use for one feature, with its error (invalid) or warning (repaired).
fn shape_of(
    out: &mut Vec<Problem>,
    layer: Layer,
    code: &str,
    s: &MultiPolygon<f64>,
    at: Option<Point<f64>>,
    rules: &Rules,
) -> Option<MultiPolygon<f64>> {
    let first = || s.0.first().and_then(|p| p.exterior().0.first()).map(|c| Point::from(*c));
    match checked(s, rules) {
        Ok((shape, None)) => Some(shape),
        Ok((shape, Some(changed_m2))) => {
            out.push(
                Problem::new(
                    ProblemKind::RepairedGeometry,
                    layer,
                    code,
                    at.or_else(first),
                    format!("{}; merging its parts changed {changed_m2:.1} m²", geometry_detail(s)),
                )
                .area(changed_m2),
            );
            Some(shape)
        }
        Err(detail) => {
            out.push(Problem::new(ProblemKind::InvalidGeometry, layer, code, at.or_else(first), detail));
            None
        }
    }
}

fn geometry_detail(s: &MultiPolygon<f64>) -> String {
    if s.0.is_empty() {
        return "no geometry".into();
    }
    match s.validation_errors().first() {
        Some(e) => format!("invalid geometry: {e}"),
        None => "the geometry has no area".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        CellRecord, DepartmentRecord, GridWorkerRecord, MediatorRecord, OfficerRecord, RegionRecord, ResourceRecord,
        UnitRecord,
    };
    use geo::{Rect, coord, polygon};

    /// 0.01° of latitude is about 1.1 km here; of longitude about 0.88 km.
    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new(coord! {x: x0, y: y0}, coord! {x: x1, y: y1}).to_polygon()])
    }

    fn region(code: &str, shape: MultiPolygon<f64>) -> RegionRecord {
        RegionRecord {
            code: code.into(),
            name: format!("区域{code}"),
            level: String::new(),
            parent_code: String::new(),
            population: 100,
            households: 40,
            synthetic: false,
            boundary: shape,
        }
    }

    fn cell(code: &str, shape: MultiPolygon<f64>) -> CellRecord {
        CellRecord {
            code: code.into(),
            name: format!("网格{code}"),
            village_code: String::new(),
            population: 50,
            households: 20,
            synthetic: false,
            boundary: shape,
        }
    }

    /// A clean world: a county, a township, two villages side by side, two cells each, a
    /// station, a camera, an officer, a grid worker per cell and a unit.
    fn clean() -> WorldFile {
        let (x0, y0) = (102.60, 37.90);
        WorldFile {
            regions: vec![
                region("620600000000", square(x0, y0, x0 + 0.04, y0 + 0.02)),
                region("620602000000", square(x0, y0, x0 + 0.04, y0 + 0.02)),
                region("620602001000", square(x0, y0, x0 + 0.04, y0 + 0.02)),
                region("620602001001", square(x0, y0, x0 + 0.02, y0 + 0.02)),
                region("620602001002", square(x0 + 0.02, y0, x0 + 0.04, y0 + 0.02)),
            ],
            cells: vec![
                cell("620602001001001", square(x0, y0, x0 + 0.01, y0 + 0.02)),
                cell("620602001001002", square(x0 + 0.01, y0, x0 + 0.02, y0 + 0.02)),
                cell("620602001002001", square(x0 + 0.02, y0, x0 + 0.03, y0 + 0.02)),
                cell("620602001002002", square(x0 + 0.03, y0, x0 + 0.04, y0 + 0.02)),
            ],
            resources: vec![
                ResourceRecord {
                    id: 1,
                    kind: "station".into(),
                    name: "派出所".into(),
                    region_code: "620602001000".into(),
                    subtype: None,
                    heading_deg: None,
                    fov_deg: None,
                    range_m: None,
                    point: Point::new(x0 + 0.005, y0 + 0.005),
                },
                ResourceRecord {
                    id: 2,
                    kind: "camera".into(),
                    name: "监控".into(),
                    region_code: "620602001002".into(),
                    subtype: None,
                    heading_deg: Some(90.0),
                    fov_deg: Some(60.0),
                    range_m: Some(80.0),
                    point: Point::new(x0 + 0.025, y0 + 0.005),
                },
            ],
            officers: vec![OfficerRecord {
                id: 1,
                name: "民警".into(),
                badge: "001".into(),
                station_id: 1,
                villages: vec!["620602001001".into(), "620602001002".into()],
            }],
            grid_workers: ["620602001001001", "620602001001002", "620602001002001", "620602001002002"]
                .iter()
                .enumerate()
                .map(|(k, c)| GridWorkerRecord {
                    id: 10 + k as u64,
                    name: format!("网格员{k}"),
                    cell_code: (*c).into(),
                    phone: None,
                    leader: k == 0,
                    point: None,
                })
                .collect(),
            units: vec![UnitRecord {
                id: 20,
                name: "巡逻一组".into(),
                unit_type: Some("car".into()),
                region_code: "620602001000".into(),
                point: Point::new(x0 + 0.015, y0 + 0.01),
            }],
            departments: vec![DepartmentRecord {
                code: "justice-620602001".into(),
                kind: "司法所".into(),
                name_zh: "某镇司法所".into(),
                name_en: String::new(),
                region_code: "620602001000".into(),
            }],
            mediators: vec![
                MediatorRecord {
                    id: 1,
                    name: "王调解".into(),
                    role: "人民调解员".into(),
                    village_code: "620602001001".into(),
                    phone: Some("139 0935 0001".into()),
                },
                MediatorRecord {
                    id: 2,
                    name: "李乡贤".into(),
                    role: "respected_local".into(),
                    village_code: "620602001002".into(),
                    phone: None,
                },
            ],
        }
    }

    #[test]
    fn mediators_need_a_name_a_known_role_a_village_of_the_file_and_a_real_phone() {
        let parts = clean().to_parts(&Rules::default()).unwrap();
        assert_eq!(parts.mediators[0].role, model::desk::MediatorRole::PeoplesMediator, "a label is read as its role");
        assert_eq!(parts.mediators[0].phone.as_deref(), Some("139 0935 0001"));
        let mut w = clean();
        let m = w.mediators[0].clone();
        w.mediators.push(m.clone());
        w.mediators.push(MediatorRecord { id: 3, name: " ".into(), ..m.clone() });
        w.mediators.push(MediatorRecord { id: 4, role: "律师".into(), ..m.clone() });
        w.mediators.push(MediatorRecord { id: 5, village_code: "620602001000".into(), ..m.clone() });
        w.mediators.push(MediatorRecord { id: 6, village_code: "620602001009".into(), ..m.clone() });
        w.mediators.push(MediatorRecord { id: 7, phone: Some("call me".into()), ..m });
        let report = validate(&w, &Rules::default());
        let found: Vec<(ProblemKind, &str)> =
            report.errors().filter(|p| p.layer == Layer::Mediators).map(|p| (p.kind, p.code.as_str())).collect();
        assert_eq!(
            found,
            [
                (ProblemKind::DuplicateCode, "1"),
                (ProblemKind::BadMediator, "3"),
                (ProblemKind::BadMediator, "4"),
                (ProblemKind::BadMediator, "5"),
                (ProblemKind::BadMediator, "6"),
                (ProblemKind::BadMediator, "7"),
            ]
        );
        assert!(report.errors().any(|p| p.detail.contains("律师") && p.detail.contains("legal_literate")));
        // A roster that leaves a village out is a warning on that village, not an error.
        let mut w = clean();
        w.mediators.truncate(1);
        let report = validate(&w, &Rules::default());
        assert!(report.is_valid());
        let warned: Vec<(ProblemKind, &str)> = report.warnings().map(|p| (p.kind, p.code.as_str())).collect();
        assert_eq!(warned, [(ProblemKind::VillageWithoutMediator, "620602001002")]);
    }

    #[test]
    fn departments_need_a_code_a_known_type_and_a_county_or_township_of_the_file() {
        assert_eq!(validate(&clean(), &Rules::default()).errors().count(), 0);
        let parts = clean().to_parts(&Rules::default()).unwrap();
        assert_eq!(parts.departments[0].kind, "justice", "a label is read as its type");
        assert_eq!(parts.departments[0].name_en, "某镇司法所", "no English name: the Chinese one");
        let mut w = clean();
        let d = w.departments[0].clone();
        w.departments.push(d.clone());
        w.departments.push(DepartmentRecord { code: "a b".into(), ..d.clone() });
        w.departments.push(DepartmentRecord { code: "army-1".into(), kind: "army".into(), ..d.clone() });
        w.departments.push(DepartmentRecord { code: "v-1".into(), region_code: "620602001001".into(), ..d.clone() });
        w.departments.push(DepartmentRecord { code: "x-1".into(), region_code: "620699000000".into(), ..d });
        let report = validate(&w, &Rules::default());
        let found: Vec<(ProblemKind, &str)> =
            report.errors().filter(|p| p.layer == Layer::Departments).map(|p| (p.kind, p.code.as_str())).collect();
        assert_eq!(
            found,
            [
                (ProblemKind::DuplicateCode, "justice-620602001"),
                (ProblemKind::BadDepartment, "a b"),
                (ProblemKind::BadDepartment, "army-1"),
                (ProblemKind::BadDepartment, "v-1"),
                (ProblemKind::BadDepartment, "x-1"),
            ]
        );
        assert!(report.errors().any(|p| p.detail.contains("army") && p.detail.contains("law_enforcement")));
    }

    fn kinds(world: &WorldFile) -> Vec<(ProblemKind, String)> {
        validate(world, &Rules::default()).problems.into_iter().map(|p| (p.kind, p.code)).collect()
    }

    #[test]
    fn a_clean_world_has_no_problem_and_becomes_parts() {
        let w = clean();
        assert_eq!(kinds(&w), vec![]);
        let parts = w.to_parts(&Rules::default()).unwrap();
        assert_eq!((parts.regions.len(), parts.cells.len(), parts.resources.len()), (5, 4, 7));
        // Back to a file and again to parts: the same world.
        assert_eq!(WorldFile::from_parts(&parts).to_parts(&Rules::default()).unwrap(), parts);
    }

    #[test]
    fn each_kind_of_error_is_found_with_its_code_and_place() {
        let mut w = clean();
        // A bow-tie cell: invalid geometry.
        w.cells[3].boundary = MultiPolygon::new(vec![polygon![
            (x: 102.63, y: 37.90), (x: 102.64, y: 37.92), (x: 102.64, y: 37.90), (x: 102.63, y: 37.92)
        ]]);
        // Cell 2 pushed 0.001° (about 88 m) into cell 1: an overlap.
        w.cells[1].boundary = square(102.609, 37.90, 102.62, 37.92);
        // A duplicate region code and a cell of a missing village.
        w.regions.push(region("620602001002", square(102.62, 37.90, 102.64, 37.92)));
        w.cells.push(cell("620602001009001", square(102.70, 37.90, 102.71, 37.91)));
        // A code not nested: a village whose parent_code is another township.
        w.regions[3].parent_code = "620602002000".into();
        // A resource outside every village; an officer on a missing village; a grid worker on a
        // missing cell; a resource kind nobody knows.
        w.resources[1].point = Point::new(103.5, 38.5);
        w.officers[0].villages.push("620602001007".into());
        w.grid_workers[0].cell_code = "620602001001099".into();
        w.resources.push(ResourceRecord { kind: "飞碟".into(), id: 3, ..w.resources[0].clone() });
        // A camera in village 1 that names village 2: it would show in the wrong jurisdiction.
        w.resources.push(ResourceRecord { id: 4, point: Point::new(102.605, 37.905), ..w.resources[1].clone() });
        let report = validate(&w, &Rules::default());
        let found: Vec<(ProblemKind, &str)> = report.errors().map(|p| (p.kind, p.code.as_str())).collect();
        for want in [
            (ProblemKind::InvalidGeometry, "620602001002002"),
            (ProblemKind::OverlappingCells, "620602001001001"),
            (ProblemKind::DuplicateCode, "620602001002"),
            (ProblemKind::UnknownParent, "620602001009001"),
            (ProblemKind::CodeNotNested, "620602001001"),
            (ProblemKind::ResourceOutside, "2"),
            (ProblemKind::UnknownVillage, "1"),
            (ProblemKind::UnknownCell, "10"),
            (ProblemKind::UnknownKind, "3"),
            (ProblemKind::ResourceOutsideItsRegion, "4"),
        ] {
            assert!(found.contains(&want), "{want:?} not in {found:?}");
        }
        let overlap = report.problems.iter().find(|p| p.kind == ProblemKind::OverlappingCells).unwrap();
        // 0.001° × 0.02° at 37.9°N: about 88 m × 2,224 m.
        let area = overlap.area_m2.unwrap();
        assert!((190_000.0..200_000.0).contains(&area), "{area}");
        assert_eq!(overlap.other.as_deref(), Some("620602001001002"));
        let (lon, lat) = (overlap.lon.unwrap(), overlap.lat.unwrap());
        assert!((102.609..=102.61).contains(&lon) && (37.90..=37.92).contains(&lat), "{lon},{lat}");
        assert!(!report.is_valid());
    }

    #[test]
    fn gaps_and_cells_outside_their_village_are_measured_and_slivers_are_not() {
        let mut w = clean();
        // Cell 1 shrinks by 0.002° in the east: a gap of about 176 m × 2,224 m in village 1.
        w.cells[1].boundary = square(102.61, 37.90, 102.618, 37.92);
        // Cell 4 reaches 0.001° east of village 2.
        w.cells[3].boundary = square(102.63, 37.90, 102.641, 37.92);
        let report = validate(&w, &Rules::default());
        let gap = report.problems.iter().find(|p| p.kind == ProblemKind::GapInVillage).unwrap();
        assert_eq!(gap.code, "620602001001");
        assert!((380_000.0..400_000.0).contains(&gap.area_m2.unwrap()), "{gap:?}");
        let outside = report.problems.iter().find(|p| p.kind == ProblemKind::CellOutsideVillage).unwrap();
        assert_eq!((outside.code.as_str(), outside.other.as_deref()), ("620602001002002", Some("620602001002")));
        // A 1e-6° (9 cm) strip is a sliver, however long: no problem.
        let mut w = clean();
        w.cells[1].boundary = square(102.61, 37.90, 102.619_999, 37.92);
        assert_eq!(kinds(&w), vec![]);
        // Unless the tolerance says every piece counts.
        let strict = Rules { tolerance_m2: 0.0, sliver_width_m: 0.0, ..Rules::default() };
        assert!(validate(&w, &strict).problems.iter().any(|p| p.kind == ProblemKind::GapInVillage));
    }

    #[test]
    fn warnings_do_not_stop_a_world() {
        let mut w = clean();
        w.officers[0].villages.truncate(1);
        w.grid_workers.truncate(3);
        w.resources[1].heading_deg = None;
        w.cells[0].boundary = square(102.60, 37.90, 102.61, 37.92);
        // Two parts overlapping by 1e-7° (about 20 m², as a reprojection leaves them): merged.
        let mut parts = square(102.62, 37.90, 102.625, 37.92);
        parts.0.extend(square(102.624_999_9, 37.90, 102.63, 37.92).0);
        w.cells[2].boundary = parts;
        let rules = Rules { large_cell_m2: 1_000_000.0, ..Rules::default() };
        let report = validate(&w, &rules);
        assert!(report.is_valid(), "{report:?}");
        let warned: Vec<(ProblemKind, &str)> = report.warnings().map(|p| (p.kind, p.code.as_str())).collect();
        for want in [
            (ProblemKind::VillageWithoutOfficer, "620602001002"),
            (ProblemKind::CellWithoutGridWorker, "620602001002002"),
            (ProblemKind::CameraWithoutDirection, "2"),
            (ProblemKind::LargeCell, "620602001001001"),
            (ProblemKind::RepairedGeometry, "620602001002001"),
        ] {
            assert!(warned.contains(&want), "{want:?} not in {warned:?}");
        }
        // The world keeps the geometry as given: the repair only lets the checks measure it.
        let parts = w.to_parts(&rules).unwrap();
        assert_eq!(parts.cells[2].boundary.0.len(), 2);
        // The same overlap over a 0.001° strip (about 195,000 m²) is no sliver: an error.
        w.cells[2].boundary.0[1] = square(102.624, 37.90, 102.63, 37.92).0[0].clone();
        assert!(validate(&w, &rules).errors().any(|p| p.kind == ProblemKind::InvalidGeometry));
    }

    #[test]
    fn a_world_with_errors_does_not_become_parts() {
        let mut w = clean();
        w.cells[0].code = "62060200100100".into();
        // The malformed code, the gap its cell leaves in the village, and its grid worker's cell.
        let found: Vec<ProblemKind> = validate(&w, &Rules::default()).errors().map(|p| p.kind).collect();
        assert_eq!(found, [ProblemKind::GapInVillage, ProblemKind::CodeNotNested, ProblemKind::UnknownCell]);
        assert_eq!(w.to_parts(&Rules::default()), Err(crate::Invalid { errors: 3 }));
    }
}
