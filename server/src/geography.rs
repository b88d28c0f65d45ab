//! The governance hierarchy in memory: regions and grid cells sorted by code, a point locator over
//! cells, prevention resources and officers. Built once from the store at start-up.
//!
//! Invariant: `cells` are sorted by code, so every region's cells form one contiguous index range
//! (`cell_range`), which is how region filters become integer range checks.

use crate::incident_index::CellScope;
use analytics::{PolygonIndex, TransverseMercator};
use geo::Coord;
use model::scope::Scope;
use model::{CellCode, CellShape, Officer, Placement, RegionCode, RegionLevel, RegionShape, Resource, ResourceKind};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::ops::Range;
use store::GeographyData;

/// Index of a cell in [`Geography::cells`].
pub type CellIdx = u32;

/// Regions, cells, resources and officers, with lookups.
pub struct Geography {
    regions: Vec<RegionShape>,
    cells: Vec<CellShape>,
    cell_codes: Vec<u64>,
    locator: PolygonIndex,
    resources: Vec<Resource>,
    /// Resources as lon/lat points, for bounding-box lookups.
    resource_points: RTree<GeomWithData<[f64; 2], usize>>,
    officers: Vec<Officer>,
    departments: Vec<model::department::Department>,
    /// The villages' mediator rosters, sorted by village and id.
    mediators: Vec<model::desk::Mediator>,
    /// The UTM zone of the area's centre: metres for distances, bands and routes.
    projection: TransverseMercator,
}

impl Geography {
    /// Builds the lookups (sorts by code; bulk-loads the cell locator).
    pub fn new(mut data: GeographyData) -> Geography {
        data.regions.sort_by_key(|r| r.region.code);
        data.cells.sort_by_key(|c| c.cell.code);
        let cell_codes = data.cells.iter().map(|c| c.cell.code.as_u64()).collect();
        let locator = PolygonIndex::new(data.cells.iter().map(|c| c.boundary.clone()).collect());
        let resource_points = RTree::bulk_load(
            data.resources.iter().enumerate().map(|(i, r)| GeomWithData::new([r.lon, r.lat], i)).collect(),
        );
        let projection = projection_of(&data.cells);
        Geography {
            projection,
            resource_points,
            regions: data.regions,
            cells: data.cells,
            cell_codes,
            locator,
            resources: data.resources,
            officers: data.officers,
            departments: data.departments,
            mediators: {
                let mut m = data.mediators;
                m.sort_by_key(|m| (m.village, m.id));
                m
            },
        }
    }

    /// The projection distances are measured in: the UTM zone of the area's centre (zone 48N for
    /// Wuwei), so another city's data gets its own zone.
    pub fn projection(&self) -> TransverseMercator {
        self.projection
    }

    /// All regions, sorted by code.
    pub fn regions(&self) -> &[RegionShape] {
        &self.regions
    }

    /// The region with this code.
    pub fn region(&self, code: RegionCode) -> Option<&RegionShape> {
        self.regions.binary_search_by_key(&code, |r| r.region.code).ok().map(|i| &self.regions[i])
    }

    /// The top of the hierarchy (the city), if loaded.
    pub fn city(&self) -> Option<&RegionShape> {
        self.regions.iter().find(|r| r.region.level == RegionLevel::City)
    }

    /// Regions at `level`, optionally only those inside `parent`.
    pub fn regions_at(&self, level: RegionLevel, parent: Option<RegionCode>) -> impl Iterator<Item = &RegionShape> {
        self.regions.iter().filter(move |r| {
            r.region.level == level && parent.is_none_or(|p| p != r.region.code && p.contains(r.region.code))
        })
    }

    /// All cells, sorted by code.
    pub fn cells(&self) -> &[CellShape] {
        &self.cells
    }

    /// The cell with this code and its index.
    pub fn cell(&self, code: CellCode) -> Option<(CellIdx, &CellShape)> {
        self.cell_codes.binary_search(&code.as_u64()).ok().map(|i| (i as CellIdx, &self.cells[i]))
    }

    /// Indexes of the cells inside `region` (a contiguous range, possibly empty).
    pub fn cell_range(&self, region: RegionCode) -> Range<CellIdx> {
        let (lo, hi) = region.cell_range();
        let a = self.cell_codes.partition_point(|&c| c < lo);
        let b = self.cell_codes.partition_point(|&c| c < hi);
        a as CellIdx..b as CellIdx
    }

    /// The cells inside `scope`, as ranges of cell indexes for the incident index.
    pub fn cells_in(&self, scope: &Scope) -> CellScope {
        if scope.is_everything() {
            return CellScope::all();
        }
        let subtrees = scope.roots().iter().map(|r| self.cell_range(*r));
        let cells = scope.cells().iter().filter_map(|c| {
            let i = self.cell_codes.binary_search(&c.as_u64()).ok()? as CellIdx;
            Some(i..i + 1)
        });
        CellScope::of(subtrees.chain(cells).collect())
    }

    /// A grid worker's jurisdiction in this world: a village's 网格长 (leader) sees the village,
    /// every other grid worker the cell of their village that holds their map point (a world
    /// file's `cell_code` places the point in that cell when it gives none). Nothing for an id
    /// that is not a grid worker here.
    pub fn grid_worker_scope(&self, grid_worker_id: u64) -> Scope {
        let Some(worker) = self.resources.iter().find(|r| r.id == grid_worker_id && r.kind == ResourceKind::GridWorker)
        else {
            return Scope::of(Vec::new());
        };
        if worker.subtype.as_deref() == Some(world::GRID_LEADER) {
            return Scope::of(vec![worker.region_code]);
        }
        let in_village = self.cell_range(worker.region_code);
        let cell = self.locate(worker.lon, worker.lat).filter(|i| in_village.contains(i)).or_else(|| {
            // A point placed outside the village: its first cell, as the world file's export does.
            (!in_village.is_empty()).then_some(in_village.start)
        });
        Scope::of_cells(cell.map(|i| self.cell_code(i)).into_iter().collect())
    }

    /// Whether cell `idx` lies inside `scope`.
    pub fn scope_allows_cell(&self, scope: &Scope, idx: CellIdx) -> bool {
        scope.allows_cell(self.cell_code(idx))
    }

    /// The cell containing a WGS84 point, if any.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<CellIdx> {
        self.locator.locate(Coord { x: lon, y: lat }).map(|i| i as CellIdx)
    }

    /// Cells whose bounding box meets `[min, max]` (a prefilter).
    pub fn cells_in_box(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = CellIdx> + '_ {
        self.locator.candidates_in_box(min, max).map(|i| i as CellIdx)
    }

    /// Code of cell `idx`.
    pub fn cell_code(&self, idx: CellIdx) -> CellCode {
        self.cells[idx as usize].cell.code
    }

    /// County, township, village and cell of cell `idx`.
    pub fn placement(&self, idx: CellIdx) -> Placement {
        Placement::of_cell(self.cell_code(idx))
    }

    /// Prevention resources.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// Resources of `kind` within `radius_m` of a WGS84 point, by a lon/lat box (a prefilter:
    /// the caller measures the exact distance).
    pub fn resources_near(
        &self,
        kind: ResourceKind,
        lon: f64,
        lat: f64,
        radius_m: f64,
    ) -> impl Iterator<Item = &Resource> {
        let dlat = radius_m / 110_000.0;
        let dlon = radius_m / (110_000.0 * lat.to_radians().cos().max(0.01));
        let envelope = rstar::AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        self.resource_points
            .locate_in_envelope(envelope)
            .map(|p| &self.resources[p.data])
            .filter(move |r| r.kind == kind)
    }

    /// The officer with this id (the roster: who they are; which villages they cover now is the
    /// desk's, [`model::desk_book::DeskBook`], held by `live::Live::desk`).
    pub fn officer(&self, id: u64) -> Option<&Officer> {
        self.officers.iter().find(|o| o.id == id)
    }

    /// All officers; their `villages` are the roster loaded at start-up, not the current
    /// assignments (see [`Geography::officer`]).
    pub fn officers(&self) -> &[Officer] {
        &self.officers
    }

    /// The departments that take work orders, by code.
    pub fn departments(&self) -> &[model::department::Department] {
        &self.departments
    }

    /// The mediators on `village`'s roster.
    pub fn mediators_of(&self, village: RegionCode) -> &[model::desk::Mediator] {
        let start = self.mediators.partition_point(|m| m.village < village);
        let end = self.mediators.partition_point(|m| m.village <= village);
        &self.mediators[start..end]
    }

    /// The mediators on the rosters of the villages `scope` reaches (a grid worker's: the
    /// villages of their cells), by village.
    pub fn mediators_in(&self, scope: &Scope) -> impl Iterator<Item = &model::desk::Mediator> {
        self.mediators.iter().filter(move |m| scope.allows_path_to(m.village))
    }

    /// The department with `code`.
    pub fn department(&self, code: &model::department::DepartmentCode) -> Option<&model::department::Department> {
        self.departments.iter().find(|d| d.code == *code)
    }
}

/// The UTM zone of the centre of the cells' bounding box (the zone of 0°E, 0°N for no cells).
fn projection_of(cells: &[CellShape]) -> TransverseMercator {
    use geo::BoundingRect;
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for r in cells.iter().filter_map(|c| c.boundary.bounding_rect()) {
        lo = [lo[0].min(r.min().x), lo[1].min(r.min().y)];
        hi = [hi[0].max(r.max().x), hi[1].max(r.max().y)];
    }
    if lo[0] > hi[0] {
        return TransverseMercator::utm_for(0.0, 0.0);
    }
    TransverseMercator::utm_for((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};
    use model::Cell;

    fn cell(code: &str, lon: f64, lat: f64) -> CellShape {
        let square = polygon![(x: lon, y: lat), (x: lon + 0.01, y: lat), (x: lon + 0.01, y: lat + 0.01), (x: lon, y: lat + 0.01)];
        CellShape {
            cell: Cell { code: code.parse().unwrap(), name: code.into(), population: 0, synthetic: true },
            boundary: MultiPolygon(vec![square]),
        }
    }

    #[test]
    fn the_projection_is_the_utm_zone_of_the_data() {
        let at = |lon, lat| {
            let data = GeographyData { cells: vec![cell("620602001001001", lon, lat)], ..GeographyData::default() };
            Geography::new(data).projection().central_meridian_deg()
        };
        assert_eq!(at(102.64, 37.93), 105.0, "Wuwei: zone 48N");
        assert_eq!(at(87.6, 43.8), 87.0, "Ürümqi: zone 45N");
        assert_eq!(at(121.47, 31.23), 123.0, "Shanghai: zone 51N");
        assert_eq!(Geography::new(GeographyData::default()).projection().central_meridian_deg(), 3.0);
    }
}
