//! Edits to the grid and the resources where the world is wrong (网格划分调整): merge two
//! adjacent cells, split a cell along a drawn line, change a cell's name or population, add,
//! move, change or remove a point resource. An edit turns one [`WorldFile`] into the next; the
//! result is validated and published like an imported file, so an edit can never save what
//! validation refuses.

use crate::validate::area_m2;
use crate::{CellRecord, ResourceRecord, WorldFile, point_kind};
use geo::{BooleanOps, BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use model::{CellCode, RegionCode, RegionLevel, ResourceKind};

/// The longest line a split accepts, vertices.
pub const MAX_LINE_VERTICES: usize = 1_000;

pub use model::api::world::Edit;

/// Why an edit cannot be made. `field` names the edit's member at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EditError {
    /// The member of the edit (`keep`, `line`, `lon`, …).
    pub field: &'static str,
    /// What is wrong, in English.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> EditError {
    EditError { field, message: message.into() }
}

/// `world` with `edit` made. The result is not validated here: publish validates it.
pub fn apply(world: &WorldFile, edit: &Edit) -> Result<WorldFile, EditError> {
    let mut next = world.clone();
    match edit {
        Edit::MergeCells { keep, absorb } => merge_cells(&mut next, keep, absorb)?,
        Edit::SplitCell { code, line } => split_cell(&mut next, code, line)?,
        Edit::EditCell { code, name, population } => {
            let cell = cell_mut(&mut next, code, "code")?;
            if let Some(name) = name {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > 100 {
                    return Err(err("name", "a cell's name has 1 to 100 characters"));
                }
                cell.name = name.to_owned();
            }
            if let Some(p) = population {
                if *p > 10_000_000 {
                    return Err(err("population", "a cell's population is at most 10,000,000"));
                }
                cell.population = *p;
            }
        }
        Edit::AddResource { kind, name, lon, lat, subtype, heading_deg, fov_deg, range_m } => {
            let kind_of = point_kind(kind).ok_or_else(|| {
                err("kind", format!("{kind:?} is not station, checkpoint, key_place, camera or alarm"))
            })?;
            let point = point_of(*lon, *lat)?;
            let name = resource_name(name)?;
            let view = camera_view(kind_of, *heading_deg, *fov_deg, *range_m)?;
            let region_code = region_of(&next, kind_of, point)?;
            let id = next_id(&next);
            next.resources.push(ResourceRecord {
                id,
                kind: kind_of.as_str().to_owned(),
                name,
                region_code,
                subtype: subtype.clone().filter(|s| !s.trim().is_empty()),
                heading_deg: view.0,
                fov_deg: view.1,
                range_m: view.2,
                point,
            });
        }
        Edit::UpdateResource { id, name, lon, lat, heading_deg, fov_deg, range_m } => {
            let i = next
                .resources
                .iter()
                .position(|r| r.id == *id)
                .ok_or_else(|| err("id", format!("there is no resource {id}")))?;
            let kind = point_kind(&next.resources[i].kind)
                .ok_or_else(|| err("id", format!("resource {id} has an unknown kind")))?;
            let moved = match (lon, lat) {
                (Some(lon), Some(lat)) => Some(point_of(*lon, *lat)?),
                (None, None) => None,
                (Some(_), None) => return Err(err("lat", "a move gives both lon and lat")),
                (None, Some(_)) => return Err(err("lon", "a move gives both lon and lat")),
            };
            let region = moved.map(|p| region_of(&next, kind, p)).transpose()?;
            let old = next.resources[i].clone();
            let view =
                camera_view(kind, heading_deg.or(old.heading_deg), fov_deg.or(old.fov_deg), range_m.or(old.range_m))?;
            let r = &mut next.resources[i];
            if let Some(name) = name {
                r.name = resource_name(name)?;
            }
            if let (Some(p), Some(code)) = (moved, region) {
                r.point = p;
                r.region_code = code;
            }
            (r.heading_deg, r.fov_deg, r.range_m) = view;
        }
        Edit::RemoveResource { id } => {
            let before = next.resources.len();
            next.resources.retain(|r| r.id != *id);
            if next.resources.len() == before {
                return Err(err("id", format!("there is no resource {id}")));
            }
        }
    }
    Ok(next)
}

fn cell_mut<'a>(world: &'a mut WorldFile, code: &str, field: &'static str) -> Result<&'a mut CellRecord, EditError> {
    world.cells.iter_mut().find(|c| c.code == code).ok_or_else(|| err(field, format!("there is no cell {code}")))
}

fn point_of(lon: f64, lat: f64) -> Result<Point<f64>, EditError> {
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(err("lon", "longitude is a number from -180 to 180"));
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(err("lat", "latitude is a number from -90 to 90"));
    }
    Ok(Point::new(lon, lat))
}

fn resource_name(name: &str) -> Result<String, EditError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(err("name", "a resource's name has 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

type View = (Option<f64>, Option<f64>, Option<f64>);

/// A camera's heading, field of view and range, checked; none for other kinds.
fn camera_view(
    kind: ResourceKind,
    heading: Option<f64>,
    fov: Option<f64>,
    range: Option<f64>,
) -> Result<View, EditError> {
    if kind != ResourceKind::Camera {
        return Ok((None, None, None));
    }
    if heading.is_some_and(|h| !(h.is_finite() && (0.0..360.0).contains(&h))) {
        return Err(err("heading_deg", "a heading is from 0 to under 360 degrees"));
    }
    if fov.is_some_and(|f| !(f.is_finite() && f > 0.0 && f <= 360.0)) {
        return Err(err("fov_deg", "a field of view is over 0 and at most 360 degrees"));
    }
    if range.is_some_and(|r| !(r.is_finite() && r > 0.0 && r <= 5_000.0)) {
        return Err(err("range_m", "a camera's range is over 0 and at most 5,000 m"));
    }
    // A direction needs all three; a camera without one is a warning of validation.
    Ok(match heading {
        Some(h) => (Some(h), Some(fov.unwrap_or(60.0)), Some(range.unwrap_or(80.0))),
        None => (None, None, None),
    })
}

/// The region a resource at `point` serves: the township for a station, the village otherwise.
fn region_of(world: &WorldFile, kind: ResourceKind, point: Point<f64>) -> Result<String, EditError> {
    let level = if kind == ResourceKind::Station { RegionLevel::Township } else { RegionLevel::Village };
    world
        .regions
        .iter()
        .filter(|r| RegionCode::parse(r.code.trim()).is_ok_and(|c| c.level() == level))
        .find(|r| r.boundary.contains(&point))
        .map(|r| r.code.clone())
        .ok_or_else(|| err("lon", "the point lies in no village of the world"))
}

/// The next free id of the layers that share ids (resources, officers, grid workers, units).
fn next_id(world: &WorldFile) -> u64 {
    let ids = world
        .resources
        .iter()
        .map(|r| r.id)
        .chain(world.officers.iter().map(|o| o.id))
        .chain(world.grid_workers.iter().map(|g| g.id))
        .chain(world.units.iter().map(|u| u.id));
    ids.max().map_or(1, |m| m + 1)
}

fn merge_cells(world: &mut WorldFile, keep: &str, absorb: &str) -> Result<(), EditError> {
    if keep == absorb {
        return Err(err("absorb", "a cell cannot be merged with itself"));
    }
    let a = world
        .cells
        .iter()
        .position(|c| c.code == keep)
        .ok_or_else(|| err("keep", format!("there is no cell {keep}")))?;
    let b = world
        .cells
        .iter()
        .position(|c| c.code == absorb)
        .ok_or_else(|| err("absorb", format!("there is no cell {absorb}")))?;
    let village = |c: &CellRecord| CellCode::parse(c.code.trim()).map(|c| c.village()).ok();
    if village(&world.cells[a]).is_none() || village(&world.cells[a]) != village(&world.cells[b]) {
        return Err(err("absorb", format!("{absorb} is not in the village of {keep}")));
    }
    let union = world.cells[a].boundary.union(&world.cells[b].boundary);
    // Cells that share an edge become one polygon; slivers of rounding are not parts.
    let parts = union.0.iter().filter(|p| area_m2(&MultiPolygon::new(vec![(*p).clone()])) > 1.0).count();
    if parts != 1 {
        return Err(err("absorb", format!("{absorb} does not share an edge with {keep}")));
    }
    let gone = world.cells.remove(b);
    let a = if b < a { a - 1 } else { a };
    let kept = &mut world.cells[a];
    kept.boundary = union;
    kept.population += gone.population;
    kept.households += gone.households;
    kept.synthetic &= gone.synthetic;
    for g in &mut world.grid_workers {
        if g.cell_code == gone.code {
            g.cell_code = kept.code.clone();
        }
    }
    Ok(())
}

fn split_cell(world: &mut WorldFile, code: &str, line: &[[f64; 2]]) -> Result<(), EditError> {
    if line.len() < 2 || line.len() > MAX_LINE_VERTICES {
        return Err(err("line", format!("a cut has 2 to {MAX_LINE_VERTICES} vertices")));
    }
    for &[lon, lat] in line {
        point_of(lon, lat).map_err(|e| err("line", e.message))?;
    }
    let i = world
        .cells
        .iter()
        .position(|c| c.code == code)
        .ok_or_else(|| err("code", format!("there is no cell {code}")))?;
    let cell_code = CellCode::parse(code.trim()).map_err(|e| err("code", e.to_string()))?;
    let village = cell_code.village();
    let (start, end) = village.cell_range();
    let taken: Vec<u64> = world
        .cells
        .iter()
        .filter_map(|c| CellCode::parse(c.code.trim()).ok())
        .map(CellCode::as_u64)
        .filter(|c| (start..end).contains(c))
        .collect();
    let new_code = (start + 1..end)
        .find(|c| !taken.contains(c))
        .ok_or_else(|| err("code", format!("village {village} has no free cell code left")))?;
    let new_code = CellCode::parse(&format!("{new_code:015}")).map_err(|e| err("code", e.to_string()))?;

    let shape = world.cells[i].boundary.clone();
    let coords: Vec<Coord<f64>> = line.iter().map(|&[x, y]| Coord { x, y }).collect();
    let side = left_side(&shape, &coords).ok_or_else(|| err("line", "the cut has no length"))?;
    let left = shape.intersection(&side);
    let right = shape.difference(&side);
    let whole_m2 = area_m2(&shape);
    let (left_m2, right_m2) = (area_m2(&left), area_m2(&right));
    let least_m2 = (whole_m2 * 0.001).max(1.0);
    if left_m2 < least_m2 || right_m2 < least_m2 {
        return Err(err("line", "the line does not cut across the cell"));
    }
    let pieces = |m: &MultiPolygon<f64>| {
        m.0.iter().filter(|p| area_m2(&MultiPolygon::new(vec![(*p).clone()])) >= least_m2).count()
    };
    if pieces(&left) != 1 || pieces(&right) != 1 {
        return Err(err("line", "the line must cut the cell into exactly two pieces"));
    }
    let old = world.cells[i].clone();
    let share = left_m2 / (left_m2 + right_m2);
    let keep_pop = (old.population as f64 * share).round() as u64;
    let keep_hh = (old.households as f64 * share).round() as u64;
    world.cells[i].boundary = left;
    world.cells[i].population = keep_pop;
    world.cells[i].households = keep_hh;
    let new_cell = CellRecord {
        code: new_code.to_string(),
        name: format!("{}-2", old.name),
        village_code: old.village_code.clone(),
        population: old.population - keep_pop,
        households: old.households - keep_hh,
        synthetic: old.synthetic,
        boundary: right,
    };
    for g in &mut world.grid_workers {
        if g.cell_code == old.code && g.point.is_some_and(|p| new_cell.boundary.contains(&p)) {
            g.cell_code = new_cell.code.clone();
        }
    }
    world.cells.insert(i + 1, new_cell);
    Ok(())
}

/// The area left of `line` within a box around `shape` and the line: the line extended straight
/// at both ends to the box, closed along the box's edge counter-clockwise.
fn left_side(shape: &MultiPolygon<f64>, line: &[Coord<f64>]) -> Option<MultiPolygon<f64>> {
    let n = line.len();
    let mut bounds = shape.bounding_rect()?;
    for c in line {
        bounds = Rect::new(
            Coord { x: bounds.min().x.min(c.x), y: bounds.min().y.min(c.y) },
            Coord { x: bounds.max().x.max(c.x), y: bounds.max().y.max(c.y) },
        );
    }
    let margin = (bounds.width().max(bounds.height()) * 0.5).max(1e-4);
    let b = Rect::new(
        Coord { x: bounds.min().x - margin, y: bounds.min().y - margin },
        Coord { x: bounds.max().x + margin, y: bounds.max().y + margin },
    );
    let first = exit(line[0], line[0] - line[1], &b)?;
    let last = exit(line[n - 1], line[n - 1] - line[n - 2], &b)?;
    let mut ring = vec![first];
    ring.extend_from_slice(line);
    ring.push(last);
    // From the last exit, counter-clockwise along the box's edge to the first.
    let corners = [b.min(), Coord { x: b.max().x, y: b.min().y }, b.max(), Coord { x: b.min().x, y: b.max().y }];
    let (from, to) = (perimeter_position(last, &b), perimeter_position(first, &b));
    let to = if to <= from { to + 4.0 } else { to };
    for k in 1..=8 {
        let at = k as f64;
        if at > from && at < to {
            ring.push(corners[k % 4]);
        }
    }
    ring.push(first);
    Some(MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]))
}

/// Where the ray from `p` along `d` leaves the box `b` (`p` inside it).
fn exit(p: Coord<f64>, d: Coord<f64>, b: &Rect<f64>) -> Option<Coord<f64>> {
    let mut s = f64::INFINITY;
    if d.x > 0.0 {
        s = s.min((b.max().x - p.x) / d.x);
    } else if d.x < 0.0 {
        s = s.min((b.min().x - p.x) / d.x);
    }
    if d.y > 0.0 {
        s = s.min((b.max().y - p.y) / d.y);
    } else if d.y < 0.0 {
        s = s.min((b.min().y - p.y) / d.y);
    }
    s.is_finite().then_some(Coord { x: p.x + s * d.x, y: p.y + s * d.y })
}

/// A point's position along the box's edge, counter-clockwise from the lower-left corner:
/// 0–1 bottom, 1–2 right, 2–3 top, 3–4 left.
fn perimeter_position(p: Coord<f64>, b: &Rect<f64>) -> f64 {
    let (w, h) = (b.width(), b.height());
    let distances =
        [(p.y - b.min().y).abs(), (p.x - b.max().x).abs(), (p.y - b.max().y).abs(), (p.x - b.min().x).abs()];
    let edge = (0..4).min_by(|&i, &j| distances[i].total_cmp(&distances[j])).unwrap_or(0);
    match edge {
        0 => (p.x - b.min().x) / w,
        1 => 1.0 + (p.y - b.min().y) / h,
        2 => 2.0 + (b.max().x - p.x) / w,
        _ => 3.0 + (b.max().y - p.y) / h,
    }
}

/// Applies `edits` in order; the first that fails is named by its position.
pub fn apply_all(world: &WorldFile, edits: &[Edit]) -> Result<WorldFile, (usize, EditError)> {
    let mut next = world.clone();
    for (i, e) in edits.iter().enumerate() {
        next = apply(&next, e).map_err(|err| (i, err))?;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rules, WorldParts, validate};
    use geo::InteriorPoint;

    fn demo_world() -> WorldFile {
        let end = chrono::DateTime::parse_from_rfc3339("2026-11-01T04:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let demo =
            demo::generate(&demo::DemoParams { base_incidents: 100, ..demo::DemoParams::new(2024, end) }).unwrap();
        WorldFile::from_parts(&WorldParts {
            regions: demo.regions,
            cells: demo.cells,
            resources: demo.resources,
            officers: demo.officers,
            departments: demo.departments,
            mediators: demo.mediators,
        })
    }

    /// Two cells of one village that share an edge.
    fn neighbours(w: &WorldFile) -> (String, String) {
        for (i, a) in w.cells.iter().enumerate() {
            for b in &w.cells[i + 1..] {
                if a.code[..12] == b.code[..12] && a.boundary.union(&b.boundary).0.len() == 1 {
                    return (a.code.clone(), b.code.clone());
                }
            }
        }
        panic!("no adjacent cells in the demo");
    }

    fn total_m2(w: &WorldFile) -> f64 {
        w.cells.iter().map(|c| area_m2(&c.boundary)).sum()
    }

    #[test]
    fn merging_neighbours_keeps_the_area_and_people_and_validates() {
        let w = demo_world();
        let (keep, absorb) = neighbours(&w);
        let pop: u64 = w.cells.iter().filter(|c| c.code == keep || c.code == absorb).map(|c| c.population).sum();
        let next = apply(&w, &Edit::MergeCells { keep: keep.clone(), absorb: absorb.clone() }).unwrap();
        assert_eq!(next.cells.len(), w.cells.len() - 1);
        assert!(next.cells.iter().all(|c| c.code != absorb));
        let merged = next.cells.iter().find(|c| c.code == keep).unwrap();
        assert_eq!(merged.population, pop);
        assert!((total_m2(&next) - total_m2(&w)).abs() < 1.0, "{} vs {}", total_m2(&next), total_m2(&w));
        assert!(next.grid_workers.iter().all(|g| g.cell_code != absorb));
        let report = validate(&next, &Rules::default());
        assert!(report.is_valid(), "{:?}", report.errors().collect::<Vec<_>>());
    }

    #[test]
    fn merging_cells_apart_or_of_two_villages_is_refused() {
        let w = demo_world();
        let first = &w.cells[0];
        let far =
            w.cells.iter().find(|c| c.code[..12] == first.code[..12] && first.boundary.union(&c.boundary).0.len() > 1);
        if let Some(far) = far {
            let e = apply(&w, &Edit::MergeCells { keep: first.code.clone(), absorb: far.code.clone() }).unwrap_err();
            assert_eq!(e.field, "absorb");
        }
        let other_village = w.cells.iter().find(|c| c.code[..12] != first.code[..12]).unwrap();
        let e =
            apply(&w, &Edit::MergeCells { keep: first.code.clone(), absorb: other_village.code.clone() }).unwrap_err();
        assert!(e.message.contains("not in the village"), "{e}");
        let e = apply(&w, &Edit::MergeCells { keep: "620602".into(), absorb: first.code.clone() }).unwrap_err();
        assert_eq!(e.field, "keep");
    }

    /// A horizontal cut through the middle of a cell's bounding box, reaching past both sides.
    fn cut_across(c: &CellRecord) -> Vec<[f64; 2]> {
        let b = c.boundary.bounding_rect().unwrap();
        let y = c.boundary.interior_point().unwrap().y();
        vec![[b.min().x - 0.001, y], [b.center().x, y], [b.max().x + 0.001, y]]
    }

    #[test]
    fn splitting_a_cell_makes_two_that_cover_it_exactly_and_validates() {
        let w = demo_world();
        let cell = w.cells.iter().max_by(|a, b| area_m2(&a.boundary).total_cmp(&area_m2(&b.boundary))).unwrap();
        let next = apply(&w, &Edit::SplitCell { code: cell.code.clone(), line: cut_across(cell) }).unwrap();
        assert_eq!(next.cells.len(), w.cells.len() + 1);
        let i = next.cells.iter().position(|c| c.code == cell.code).unwrap();
        let (a, b) = (&next.cells[i], &next.cells[i + 1]);
        assert_eq!(b.code[..12], cell.code[..12], "the new cell is in the same village");
        assert!(!w.cells.iter().any(|c| c.code == b.code), "the new code is free");
        assert_eq!(a.population + b.population, cell.population);
        // Plane areas (degrees²) add up exactly; the spherical formula does not when an edge
        // gains a vertex where the cut crosses it.
        use geo::Area;
        let (whole, pa, pb) = (cell.boundary.unsigned_area(), a.boundary.unsigned_area(), b.boundary.unsigned_area());
        assert!((pa + pb - whole).abs() < 1e-9 * whole, "{pa} + {pb} vs {whole}");
        assert!(pa > 0.05 * whole && pb > 0.05 * whole, "both pieces are real: {pa} {pb} of {whole}");
        assert!(a.boundary.intersection(&b.boundary).unsigned_area() < 1e-9 * whole);
        let report = validate(&next, &Rules::default());
        assert!(report.is_valid(), "{:?}", report.errors().collect::<Vec<_>>());
        // The line drawn the other way round keeps the other piece under the old code.
        let mut back = cut_across(cell);
        back.reverse();
        let other = apply(&w, &Edit::SplitCell { code: cell.code.clone(), line: back }).unwrap();
        let kept = other.cells.iter().find(|c| c.code == cell.code).unwrap();
        assert!((kept.boundary.unsigned_area() - pb).abs() < 1e-9 * whole);
    }

    #[test]
    fn a_line_that_misses_the_cell_or_is_too_short_is_refused() {
        let w = demo_world();
        let cell = &w.cells[0];
        let b = cell.boundary.bounding_rect().unwrap();
        let below = b.min().y - 0.01;
        let e = apply(
            &w,
            &Edit::SplitCell {
                code: cell.code.clone(),
                line: vec![[b.min().x - 0.01, below], [b.max().x + 0.01, below]],
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "line");
        let e = apply(&w, &Edit::SplitCell { code: cell.code.clone(), line: vec![[b.min().x, below]] }).unwrap_err();
        assert_eq!(e.field, "line");
        let e = apply(&w, &Edit::SplitCell { code: cell.code.clone(), line: vec![[f64::NAN, 1.0], [1.0, 1.0]] })
            .unwrap_err();
        assert_eq!(e.field, "line");
    }

    #[test]
    fn resources_are_added_moved_and_removed_in_their_village() {
        let w = demo_world();
        let village = w
            .regions
            .iter()
            .find(|r| r.code.len() == 12 && RegionCode::parse(&r.code).unwrap().level() == RegionLevel::Village)
            .unwrap();
        let at = village.boundary.interior_point().unwrap();
        let camera = |kind: &str, lon: f64, lat: f64, heading_deg: Option<f64>| Edit::AddResource {
            kind: kind.into(),
            name: "新增探头".into(),
            lon,
            lat,
            subtype: None,
            heading_deg,
            fov_deg: None,
            range_m: None,
        };
        let add = camera("摄像头", at.x(), at.y(), Some(90.0));
        let next = apply(&w, &add).unwrap();
        let added = next.resources.last().unwrap();
        assert_eq!(added.kind, "camera");
        assert_eq!(added.region_code, village.code);
        assert_eq!((added.heading_deg, added.fov_deg, added.range_m), (Some(90.0), Some(60.0), Some(80.0)));
        assert!(w.resources.iter().all(|r| r.id != added.id) && w.grid_workers.iter().all(|g| g.id != added.id));
        assert!(validate(&next, &Rules::default()).is_valid());
        let id = added.id;
        let other = w
            .regions
            .iter()
            .rev()
            .find(|r| RegionCode::parse(&r.code).unwrap().level() == RegionLevel::Village)
            .unwrap();
        let there = other.boundary.interior_point().unwrap();
        let moved = apply(
            &next,
            &Edit::UpdateResource {
                id,
                name: None,
                lon: Some(there.x()),
                lat: Some(there.y()),
                heading_deg: Some(180.0),
                fov_deg: None,
                range_m: None,
            },
        )
        .unwrap();
        let r = moved.resources.iter().find(|r| r.id == id).unwrap();
        assert_eq!((r.region_code.as_str(), r.heading_deg, r.fov_deg), (other.code.as_str(), Some(180.0), Some(60.0)));
        let removed = apply(&moved, &Edit::RemoveResource { id }).unwrap();
        assert_eq!(removed, w);
        assert_eq!(apply(&removed, &Edit::RemoveResource { id }).unwrap_err().field, "id");
        let e = apply(&w, &camera("camera", 0.0, 0.0, None)).unwrap_err();
        assert!(e.message.contains("no village"), "{e}");
        let e = apply(&w, &camera("camera", at.x(), at.y(), Some(400.0))).unwrap_err();
        assert_eq!(e.field, "heading_deg");
        let e = apply(&w, &camera("tank", at.x(), at.y(), None)).unwrap_err();
        assert_eq!(e.field, "kind");
    }

    #[test]
    fn edits_read_from_json_and_refuse_unknown_members() {
        let e: Edit = serde_json::from_str(r#"{"op":"edit_cell","code":"620602001001001","population":12}"#).unwrap();
        assert_eq!(e, Edit::EditCell { code: "620602001001001".into(), name: None, population: Some(12) });
        assert!(serde_json::from_str::<Edit>(r#"{"op":"edit_cell","code":"1","colour":"red"}"#).is_err());
        let w = demo_world();
        let code = w.cells[3].code.clone();
        let next = apply_all(
            &w,
            &[Edit::EditCell { code: code.clone(), name: Some(" 东关一网格 ".into()), population: Some(321) }],
        )
        .unwrap();
        let c = next.cells.iter().find(|c| c.code == code).unwrap();
        assert_eq!((c.name.as_str(), c.population), ("东关一网格", 321));
        let (i, e) = apply_all(
            &w,
            &[
                Edit::EditCell { code: code.clone(), name: None, population: None },
                Edit::RemoveResource { id: u64::MAX },
            ],
        )
        .unwrap_err();
        assert_eq!((i, e.field), (1, "id"));
    }
}
