//! The world file: a city's base data (regions, grid cells, prevention resources, officers, grid
//! workers, patrol units, departments, the villages' mediator rosters) as the eight layers
//! SafeGrid exchanges, whatever file they came in.
//!
//! Records keep codes and kinds as the file wrote them, so that [`validate`] can name every
//! fault with its layer, code and place; [`WorldFile::to_parts`] turns a valid file into the
//! model's types. Geometry is WGS84 lon/lat: readers convert other CRSs before building records.
//! Nothing here does IO.

pub mod difference;
pub mod edit;
pub mod validate;

pub use difference::{Difference, LayerDifference, difference};
pub use edit::{Edit, EditError, apply, apply_all};
pub use validate::{Problem, ProblemKind, Report, Rules, Severity, validate};

use geo::{InteriorPoint, MultiPolygon, Point};
use model::department::{Department, DepartmentCode};
use model::desk::{Mediator, MediatorRole};
use model::resource::CameraView;
use model::{Cell, CellCode, CellShape, Officer, Region, RegionCode, RegionShape, Resource, ResourceKind};
use serde::{Deserialize, Serialize};

/// The eight layers, in the order they are read, checked and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Regions: city, counties, townships, villages (polygons).
    Regions,
    /// Grid cells (polygons).
    Cells,
    /// Stations, checkpoints, key places, cameras, alarms (points).
    Resources,
    /// Village officers (no geometry).
    Officers,
    /// Grid workers (a point, or none: then the cell's interior point).
    GridWorkers,
    /// Patrol units at their home position (points).
    Units,
    /// Departments that take 综治 work orders (no geometry).
    Departments,
    /// The villages' mediator rosters (调解员名册, the 法治带头人; no geometry).
    Mediators,
}

impl Layer {
    /// Every layer.
    pub const ALL: [Layer; 8] = [
        Layer::Regions,
        Layer::Cells,
        Layer::Resources,
        Layer::Officers,
        Layer::GridWorkers,
        Layer::Units,
        Layer::Departments,
        Layer::Mediators,
    ];

    /// The layer's table or file name (`cells` → `cells.geojson`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Regions => "regions",
            Layer::Cells => "cells",
            Layer::Resources => "resources",
            Layer::Officers => "officers",
            Layer::GridWorkers => "grid_workers",
            Layer::Units => "units",
            Layer::Departments => "departments",
            Layer::Mediators => "mediators",
        }
    }

    /// Whether the layer's rows have a place (officers, departments and mediators have none).
    pub fn has_geometry(self) -> bool {
        !matches!(self, Layer::Officers | Layer::Departments | Layer::Mediators)
    }

    /// The layer of a table or file name.
    pub fn parse(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

/// A region as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRecord {
    /// 12-digit statistical division code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// `city`, `county`, `township` or `village` (empty: implied by the code).
    pub level: String,
    /// The enclosing region's code (empty for the city).
    pub parent_code: String,
    /// Resident population.
    pub population: u64,
    /// Households.
    pub households: u64,
    /// Whether the boundary was synthesised.
    pub synthetic: bool,
    /// Boundary, WGS84.
    pub boundary: MultiPolygon<f64>,
}

/// A grid cell as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellRecord {
    /// 15-digit code: the village's 12 digits and 3 more.
    pub code: String,
    /// Name.
    pub name: String,
    /// The village's code (empty: the code's first 12 digits).
    pub village_code: String,
    /// Resident population.
    pub population: u64,
    /// Households (read and checked; the model does not keep them per cell yet).
    pub households: u64,
    /// Whether the boundary was synthesised.
    pub synthetic: bool,
    /// Boundary, WGS84.
    pub boundary: MultiPolygon<f64>,
}

/// A point resource (station, checkpoint, key place, camera, alarm) as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRecord {
    /// Stable id within the world.
    pub id: u64,
    /// `station`, `checkpoint`, `key_place`, `camera` or `alarm`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// The region it serves (a township for stations, a village otherwise).
    pub region_code: String,
    /// Sub-type (`school`, `hospital`, `market`, `border`, …).
    pub subtype: Option<String>,
    /// A camera's heading, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// A camera's field of view, degrees.
    pub fov_deg: Option<f64>,
    /// A camera's range, metres.
    pub range_m: Option<f64>,
    /// Position, WGS84.
    pub point: Point<f64>,
}

/// A village officer (一村一警).
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerRecord {
    /// Stable id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Police number (警号).
    pub badge: String,
    /// The station (a resource id) the officer works from.
    pub station_id: u64,
    /// Codes of the villages the officer covers.
    pub villages: Vec<String>,
}

/// A grid worker (网格员).
#[derive(Debug, Clone, PartialEq)]
pub struct GridWorkerRecord {
    /// Stable id (shared with the resources' ids).
    pub id: u64,
    /// Name.
    pub name: String,
    /// The cell the worker serves.
    pub cell_code: String,
    /// Phone (read and checked; not kept until grid workers are users).
    pub phone: Option<String>,
    /// Whether the worker is the village's 网格长.
    pub leader: bool,
    /// Where the worker is placed on the map (none: the cell's interior point).
    pub point: Option<Point<f64>>,
}

/// A patrol unit (巡逻组) at its home position.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRecord {
    /// Stable id (shared with the resources' ids).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Unit type (`foot`, `car`, `motorcycle`, …), free text.
    pub unit_type: Option<String>,
    /// The township it patrols.
    pub region_code: String,
    /// Home position, WGS84.
    pub point: Point<f64>,
}

/// A department (部门) as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentRecord {
    /// Stable code (ASCII letters, digits, `-`, `_`).
    pub code: String,
    /// Its type: a code (or label) of the taxonomy's department types.
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name (empty: the Chinese one).
    pub name_en: String,
    /// The region it serves: a county or a township.
    pub region_code: String,
}

/// A person on a village's mediator roster (法治带头人) as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediatorRecord {
    /// Stable id among the mediators.
    pub id: u64,
    /// Name.
    pub name: String,
    /// `village_cadre`, `legal_literate`, `peoples_mediator` or `respected_local`, or the
    /// Chinese label (村干部, 法律明白人, 人民调解员, 乡贤).
    pub role: String,
    /// The village whose roster lists them.
    pub village_code: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A whole world file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorldFile {
    /// Regions.
    pub regions: Vec<RegionRecord>,
    /// Grid cells.
    pub cells: Vec<CellRecord>,
    /// Point resources.
    pub resources: Vec<ResourceRecord>,
    /// Village officers.
    pub officers: Vec<OfficerRecord>,
    /// Grid workers.
    pub grid_workers: Vec<GridWorkerRecord>,
    /// Patrol units.
    pub units: Vec<UnitRecord>,
    /// Departments.
    pub departments: Vec<DepartmentRecord>,
    /// Mediator rosters.
    pub mediators: Vec<MediatorRecord>,
}

/// A world in the model's types, ready to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorldParts {
    /// Regions, sorted by code.
    pub regions: Vec<RegionShape>,
    /// Cells, sorted by code.
    pub cells: Vec<CellShape>,
    /// Every resource (patrol units and grid workers included), sorted by id.
    pub resources: Vec<Resource>,
    /// Officers, sorted by id.
    pub officers: Vec<Officer>,
    /// Departments, by code.
    pub departments: Vec<Department>,
    /// Mediators, sorted by id.
    pub mediators: Vec<Mediator>,
}

/// Why a file cannot become a world: it has errors (see [`validate`]).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the world file has {errors} error(s); validate it for the list")]
pub struct Invalid {
    /// How many errors.
    pub errors: usize,
}

/// The resource kinds of the `resources` layer (patrol units and grid workers have their own).
pub const POINT_KINDS: [ResourceKind; 5] = [
    ResourceKind::Station,
    ResourceKind::Checkpoint,
    ResourceKind::KeyPlace,
    ResourceKind::Camera,
    ResourceKind::Alarm,
];

/// The resource kind of a `resources` row's `kind` (snake case or a Chinese name).
pub fn point_kind(kind: &str) -> Option<ResourceKind> {
    let k = kind.trim();
    POINT_KINDS.into_iter().find(|r| {
        r.as_str() == k
            || match r {
                ResourceKind::Station => ["派出所", "警务站"].contains(&k),
                ResourceKind::Checkpoint => ["卡口", "检查站", "卡点"].contains(&k),
                ResourceKind::KeyPlace => ["重点场所", "重点部位"].contains(&k),
                ResourceKind::Camera => ["摄像头", "视频监控", "监控"].contains(&k),
                ResourceKind::Alarm => ["报警装置", "一键报警"].contains(&k),
                _ => false,
            }
    })
}

impl WorldFile {
    /// The model's world, when [`validate`] finds no error.
    pub fn to_parts(&self, rules: &Rules) -> Result<WorldParts, Invalid> {
        let report = validate(self, rules);
        let errors = report.errors().count();
        if errors > 0 {
            return Err(Invalid { errors });
        }
        Ok(self.parts_unchecked())
    }

    /// The model's world; rows that do not parse are left out (call after validation).
    fn parts_unchecked(&self) -> WorldParts {
        let mut regions: Vec<RegionShape> = self
            .regions
            .iter()
            .filter_map(|r| {
                let code = RegionCode::parse(&r.code).ok()?;
                Some(RegionShape {
                    region: Region {
                        code,
                        name: r.name.clone(),
                        level: code.level(),
                        parent_code: code.parent(),
                        population: r.population,
                        households: r.households,
                        synthetic: r.synthetic,
                    },
                    boundary: r.boundary.clone(),
                })
            })
            .collect();
        regions.sort_by_key(|r| r.region.code);
        let mut cells: Vec<CellShape> = self
            .cells
            .iter()
            .filter_map(|c| {
                Some(CellShape {
                    cell: Cell {
                        code: CellCode::parse(&c.code).ok()?,
                        name: c.name.clone(),
                        population: c.population,
                        synthetic: c.synthetic,
                    },
                    boundary: c.boundary.clone(),
                })
            })
            .collect();
        cells.sort_by_key(|c| c.cell.code);
        let mut resources: Vec<Resource> = Vec::new();
        for r in &self.resources {
            let (Some(kind), Ok(region_code)) = (point_kind(&r.kind), RegionCode::parse(&r.region_code)) else {
                continue;
            };
            let camera = match (kind, r.heading_deg, r.fov_deg, r.range_m) {
                (ResourceKind::Camera, Some(heading_deg), Some(fov_deg), Some(range_m)) => {
                    Some(CameraView { heading_deg, fov_deg, range_m })
                }
                _ => None,
            };
            resources.push(Resource {
                id: r.id,
                kind,
                name: r.name.clone(),
                lon: r.point.x(),
                lat: r.point.y(),
                region_code,
                subtype: r.subtype.clone(),
                camera,
            });
        }
        for u in &self.units {
            let Ok(region_code) = RegionCode::parse(&u.region_code) else { continue };
            resources.push(Resource {
                id: u.id,
                kind: ResourceKind::PatrolUnit,
                name: u.name.clone(),
                lon: u.point.x(),
                lat: u.point.y(),
                region_code,
                subtype: u.unit_type.clone(),
                camera: None,
            });
        }
        for g in &self.grid_workers {
            let Ok(cell_code) = CellCode::parse(&g.cell_code) else { continue };
            let Some(point) = g.point.or_else(|| {
                let i = cells.binary_search_by_key(&cell_code, |c| c.cell.code).ok()?;
                cells[i].boundary.interior_point()
            }) else {
                continue;
            };
            resources.push(Resource {
                id: g.id,
                kind: ResourceKind::GridWorker,
                name: g.name.clone(),
                lon: point.x(),
                lat: point.y(),
                region_code: cell_code.village(),
                subtype: g.leader.then(|| GRID_LEADER.to_owned()),
                camera: None,
            });
        }
        resources.sort_by_key(|r| r.id);
        let mut officers: Vec<Officer> = self
            .officers
            .iter()
            .map(|o| Officer {
                id: o.id,
                name: o.name.clone(),
                badge: o.badge.clone(),
                station_id: o.station_id,
                villages: o.villages.iter().filter_map(|v| RegionCode::parse(v).ok()).collect(),
            })
            .collect();
        officers.sort_by_key(|o| o.id);
        let mut departments: Vec<Department> = self
            .departments
            .iter()
            .filter_map(|d| {
                Some(Department {
                    code: DepartmentCode::parse(d.code.trim()).ok()?,
                    kind: department_type(&d.kind)?,
                    name_zh: d.name_zh.clone(),
                    name_en: if d.name_en.trim().is_empty() { d.name_zh.clone() } else { d.name_en.clone() },
                    region: RegionCode::parse(d.region_code.trim()).ok()?,
                })
            })
            .collect();
        departments.sort_by(|a, b| a.code.cmp(&b.code));
        let mut mediators: Vec<Mediator> = self
            .mediators
            .iter()
            .filter_map(|m| {
                Some(Mediator {
                    id: m.id,
                    name: m.name.trim().to_owned(),
                    role: MediatorRole::parse_label(&m.role)?,
                    village: RegionCode::parse(m.village_code.trim()).ok()?,
                    phone: m.phone.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
                })
            })
            .collect();
        mediators.sort_by_key(|m| m.id);
        WorldParts { regions, cells, resources, officers, departments, mediators }
    }

    /// The file of a stored world (what `safegrid world export` writes). A grid worker's cell is
    /// the cell holding its point (or, outside every cell, the first cell of its village).
    pub fn from_parts(parts: &WorldParts) -> WorldFile {
        use geo::Contains;
        let regions = parts
            .regions
            .iter()
            .map(|r| RegionRecord {
                code: r.region.code.to_string(),
                name: r.region.name.clone(),
                level: r.region.level.as_str().to_owned(),
                parent_code: r.region.parent_code.map(|c| c.to_string()).unwrap_or_default(),
                population: r.region.population,
                households: r.region.households,
                synthetic: r.region.synthetic,
                boundary: r.boundary.clone(),
            })
            .collect();
        let cells = parts
            .cells
            .iter()
            .map(|c| CellRecord {
                code: c.cell.code.to_string(),
                name: c.cell.name.clone(),
                village_code: c.cell.code.village().to_string(),
                population: c.cell.population,
                households: 0,
                synthetic: c.cell.synthetic,
                boundary: c.boundary.clone(),
            })
            .collect();
        let mut file = WorldFile { regions, cells, ..WorldFile::default() };
        for r in &parts.resources {
            let point = Point::new(r.lon, r.lat);
            match r.kind {
                ResourceKind::PatrolUnit => file.units.push(UnitRecord {
                    id: r.id,
                    name: r.name.clone(),
                    unit_type: r.subtype.clone(),
                    region_code: r.region_code.to_string(),
                    point,
                }),
                ResourceKind::GridWorker => {
                    let (start, end) = r.region_code.cell_range();
                    let in_village =
                        parts.cells.iter().filter(|c| (start..end).contains(&c.cell.code.as_u64())).collect::<Vec<_>>();
                    let cell = in_village
                        .iter()
                        .find(|c| c.boundary.contains(&point))
                        .or(in_village.first())
                        .map(|c| c.cell.code.to_string())
                        .unwrap_or_default();
                    file.grid_workers.push(GridWorkerRecord {
                        id: r.id,
                        name: r.name.clone(),
                        cell_code: cell,
                        phone: None,
                        leader: r.subtype.as_deref() == Some(GRID_LEADER),
                        point: Some(point),
                    });
                }
                kind => file.resources.push(ResourceRecord {
                    id: r.id,
                    kind: kind.as_str().to_owned(),
                    name: r.name.clone(),
                    region_code: r.region_code.to_string(),
                    subtype: r.subtype.clone(),
                    heading_deg: r.camera.map(|c| c.heading_deg),
                    fov_deg: r.camera.map(|c| c.fov_deg),
                    range_m: r.camera.map(|c| c.range_m),
                    point,
                }),
            }
        }
        file.officers = parts
            .officers
            .iter()
            .map(|o| OfficerRecord {
                id: o.id,
                name: o.name.clone(),
                badge: o.badge.clone(),
                station_id: o.station_id,
                villages: o.villages.iter().map(|v| v.to_string()).collect(),
            })
            .collect();
        file.departments = parts
            .departments
            .iter()
            .map(|d| DepartmentRecord {
                code: d.code.to_string(),
                kind: d.kind.clone(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                region_code: d.region.to_string(),
            })
            .collect();
        file.mediators = parts
            .mediators
            .iter()
            .map(|m| MediatorRecord {
                id: m.id,
                name: m.name.clone(),
                role: m.role.as_str().to_owned(),
                village_code: m.village.to_string(),
                phone: m.phone.clone(),
            })
            .collect();
        file
    }
}

/// The taxonomy's department type a file names by its code or either label (`司法所`,
/// `justice`); `None` when the taxonomy in force has no such type.
pub fn department_type(name: &str) -> Option<String> {
    let name = name.trim();
    model::taxonomy::taxonomy()
        .department_types
        .iter()
        .find(|t| t.code == name || t.zh == name || t.en.eq_ignore_ascii_case(name))
        .map(|t| t.code.clone())
}

/// The `subtype` that marks a grid worker as the village's 网格长.
pub const GRID_LEADER: &str = "grid_leader";
