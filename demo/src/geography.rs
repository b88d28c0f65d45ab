//! Synthetic township, village and grid-cell boundaries partitioning the real counties.
//!
//! Sites for the Voronoi partitions are placed where settlements are plausible: streets (街道)
//! and communities (社区) cluster around their county seat or township centre, villages spread out
//! with a minimum spacing. Cells are small and many in urban communities, large and few in the
//! Minqin desert.

use crate::sample::{normal, point_in};
use crate::sources::{Division, Sources};
use analytics::PolygonIndex;
use analytics::partition::voronoi_partition;
use geo::{Area, BooleanOps, Contains, Coord, MultiPolygon, Point};
use model::{Cell, CellCode, Region, RegionCode, RegionLevel};
use model::{CellShape, RegionShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// County seats (WGS84, approximate town centres).
const SEATS: [(u64, [f64; 2]); 4] = [
    (620602, [102.638, 37.928]), // 凉州区
    (620621, [103.088, 38.624]), // 民勤县
    (620622, [102.895, 37.470]), // 古浪县
    (620623, [103.139, 36.970]), // 天祝藏族自治县
];

/// How urban a cell is: drives population density, incident rates and resources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Setting {
    /// A community (社区) of a street (街道): the city proper.
    UrbanCore,
    /// A community in a town.
    TownCentre,
    /// A village in a street's fringe.
    Periurban,
    /// A rural village.
    Rural,
}

impl Setting {
    pub fn urban_factor(self) -> f64 {
        match self {
            Setting::UrbanCore => 1.0,
            Setting::TownCentre => 0.6,
            Setting::Periurban => 0.3,
            Setting::Rural => 0.12,
        }
    }
}

/// Per-cell facts the later stages need.
#[derive(Debug, Clone)]
pub struct CellInfo {
    pub setting: Setting,
    /// A spot inside the cell where activity concentrates (a market, a crossroads).
    pub focus: Coord<f64>,
}

pub struct Geography {
    pub regions: Vec<RegionShape>,
    pub cells: Vec<CellShape>,
    pub cell_info: Vec<CellInfo>,
    pub cell_index: PolygonIndex,
    /// Township code → the site its station stands on.
    pub township_sites: Vec<(RegionCode, Coord<f64>)>,
    /// Setting of each village (by code), for officer and key-place placement.
    pub village_settings: Vec<(RegionCode, Setting)>,
}

fn is_street(name: &str) -> bool {
    name.ends_with("街道")
}

fn is_community(code: RegionCode) -> bool {
    code.as_u64() % 1000 < 200
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let kx = a.y.to_radians().cos();
    (((a.x - b.x) * kx).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Places `n` sites in `area`: the first `clustered` near `centre` (σ in degrees), the rest
/// uniformly with a minimum spacing that relaxes until they fit.
fn place_sites(
    area: &MultiPolygon<f64>,
    n: usize,
    clustered: usize,
    centre: Option<Coord<f64>>,
    sigma_deg: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<Coord<f64>> {
    let mut sites: Vec<Coord<f64>> = Vec::with_capacity(n);
    let area_deg2 = area.unsigned_area() * 0.8;
    let mut spacing = (area_deg2 / n.max(1) as f64).sqrt() * 0.55;
    let near_spacing = sigma_deg * 0.35;
    let mut tries = 0u32;
    while sites.len() < n {
        tries += 1;
        if tries.is_multiple_of(200) {
            spacing *= 0.85;
        }
        let clustered_now = sites.len() < clustered;
        let candidate = match (clustered_now, centre) {
            (true, Some(c)) => {
                Coord { x: c.x + normal(rng) * sigma_deg / c.y.to_radians().cos(), y: c.y + normal(rng) * sigma_deg }
            }
            _ => match point_in(area, rng) {
                Some(c) => c,
                None => break,
            },
        };
        if !area.contains(&Point::from(candidate)) {
            continue;
        }
        let min_d = if clustered_now { near_spacing.min(spacing) } else { spacing };
        let too_close = sites.iter().any(|s| dist(*s, candidate) < min_d)
            || (!clustered_now && clustered > 0 && centre.is_some_and(|c| dist(c, candidate) < sigma_deg * 2.5));
        if too_close && tries < 20_000 {
            continue;
        }
        sites.push(candidate);
    }
    sites
}

fn population_of(setting: Setting, county: u64, rng: &mut ChaCha8Rng) -> u64 {
    let (lo, hi): (f64, f64) = match setting {
        Setting::UrbanCore => (2500.0, 6500.0),
        Setting::TownCentre => (1500.0, 4000.0),
        Setting::Periurban => (900.0, 2000.0),
        Setting::Rural => match county {
            620621 => (350.0, 1000.0),
            620623 => (300.0, 900.0),
            _ => (500.0, 1300.0),
        },
    };
    rng.random_range(lo..hi).round() as u64
}

fn cells_for(setting: Setting, county: u64, rng: &mut ChaCha8Rng) -> usize {
    match setting {
        Setting::UrbanCore => rng.random_range(5..=8),
        Setting::TownCentre => rng.random_range(3..=5),
        Setting::Periurban => rng.random_range(2..=4),
        Setting::Rural if county == 620621 => rng.random_range(1..=2),
        Setting::Rural => rng.random_range(1..=3),
    }
}

fn children(divisions: &[Division], parent: RegionCode, level: RegionLevel) -> Vec<&Division> {
    divisions.iter().filter(|d| d.level == level && parent.contains(d.code) && d.code != parent).collect()
}

pub fn build(sources: &Sources, seed: u64) -> Geography {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e0_6eed);
    let mut regions: Vec<RegionShape> = Vec::new();
    let mut cells: Vec<CellShape> = Vec::new();
    let mut cell_info: Vec<CellInfo> = Vec::new();
    let mut township_sites = Vec::new();
    let mut village_settings = Vec::new();

    let city = sources.divisions.iter().find(|d| d.level == RegionLevel::City);
    let mut city_boundary = MultiPolygon::new(vec![]);
    for (county_code, county_shape) in &sources.counties {
        city_boundary = city_boundary.union(county_shape);
        let county_num = county_code.as_u64() / 1_000_000;
        let seat = SEATS
            .iter()
            .find(|(c, _)| *c == county_num)
            .map(|(_, [x, y])| Coord { x: *x, y: *y })
            .filter(|c| county_shape.contains(&Point::from(*c)));
        let townships = children(&sources.divisions, *county_code, RegionLevel::Township);
        // Streets first so they take the clustered sites near the seat.
        let mut ordered: Vec<&Division> = townships.iter().copied().filter(|d| is_street(&d.name)).collect();
        let n_streets = ordered.len();
        ordered.extend(townships.iter().copied().filter(|d| !is_street(&d.name)));
        let sites = place_sites(county_shape, ordered.len(), n_streets, seat, 0.018, &mut rng);
        let parts = voronoi_partition(county_shape, &sites);
        let mut county_pop = 0;
        for ((township, site), shape) in ordered.iter().zip(&sites).zip(parts) {
            township_sites.push((township.code, *site));
            let street = is_street(&township.name);
            let villages = children(&sources.divisions, township.code, RegionLevel::Village);
            let n_comm = villages.iter().filter(|v| is_community(v.code)).count();
            let mut v_ordered: Vec<&Division> = villages.iter().copied().filter(|v| is_community(v.code)).collect();
            v_ordered.extend(villages.iter().copied().filter(|v| !is_community(v.code)));
            let v_sites =
                place_sites(&shape, v_ordered.len(), n_comm, Some(*site), if street { 0.006 } else { 0.004 }, &mut rng);
            let v_parts = if v_ordered.is_empty() { vec![] } else { voronoi_partition(&shape, &v_sites) };
            let mut township_pop = 0;
            for (village, v_shape) in v_ordered.iter().zip(v_parts) {
                let setting = match (street, is_community(village.code)) {
                    (true, true) => Setting::UrbanCore,
                    (false, true) => Setting::TownCentre,
                    (true, false) => Setting::Periurban,
                    (false, false) => Setting::Rural,
                };
                village_settings.push((village.code, setting));
                let pop = population_of(setting, county_num, &mut rng);
                township_pop += pop;
                let k = cells_for(setting, county_num, &mut rng);
                let c_sites = place_sites(&v_shape, k, 0, None, 0.0, &mut rng);
                let c_parts = voronoi_partition(&v_shape, &c_sites);
                // The village is exactly its cells: clipping each cell separately leaves slivers
                // (up to 2 m wide along tens of kilometres in the largest villages) that a GIS
                // officer's validation would rightly call gaps.
                let v_shape = c_parts.iter().fold(MultiPolygon::new(vec![]), |acc, c| acc.union(c));
                let shares: Vec<f64> = (0..c_parts.len()).map(|_| rng.random_range(0.5..1.5)).collect();
                let share_sum: f64 = shares.iter().sum();
                let short = village
                    .name
                    .trim_end_matches("居民委员会")
                    .trim_end_matches("委员会")
                    .trim_end_matches("居委会")
                    .trim_end_matches("村委会");
                for (n, c_shape) in c_parts.into_iter().enumerate() {
                    let Some(code) = CellCode::new(village.code, (n + 1) as u16) else {
                        continue;
                    };
                    let focus = point_in(&c_shape, &mut rng).unwrap_or(c_sites[n]);
                    cells.push(CellShape {
                        cell: Cell {
                            code,
                            name: format!("{short}第{}网格", n + 1),
                            population: (pop as f64 * shares[n] / share_sum).round() as u64,
                            synthetic: true,
                        },
                        boundary: c_shape,
                    });
                    cell_info.push(CellInfo { setting, focus });
                }
                regions.push(RegionShape {
                    region: Region {
                        code: village.code,
                        name: village.name.clone(),
                        level: RegionLevel::Village,
                        parent_code: village.code.parent(),
                        population: pop,
                        households: (pop as f64 / 2.8).round() as u64,
                        synthetic: true,
                    },
                    boundary: v_shape,
                });
            }
            county_pop += township_pop;
            regions.push(RegionShape {
                region: Region {
                    code: township.code,
                    name: township.name.clone(),
                    level: RegionLevel::Township,
                    parent_code: township.code.parent(),
                    population: township_pop,
                    households: (township_pop as f64 / 2.8).round() as u64,
                    synthetic: true,
                },
                boundary: shape,
            });
        }
        let name =
            sources.divisions.iter().find(|d| d.code == *county_code).map(|d| d.name.clone()).unwrap_or_default();
        regions.push(RegionShape {
            region: Region {
                code: *county_code,
                name,
                level: RegionLevel::County,
                parent_code: county_code.parent(),
                population: county_pop,
                households: (county_pop as f64 / 2.8).round() as u64,
                synthetic: false,
            },
            boundary: county_shape.clone(),
        });
    }
    if let Some(city) = city {
        let pop: u64 =
            regions.iter().filter(|r| r.region.level == RegionLevel::County).map(|r| r.region.population).sum();
        regions.push(RegionShape {
            region: Region {
                code: city.code,
                name: city.name.clone(),
                level: RegionLevel::City,
                parent_code: None,
                population: pop,
                households: (pop as f64 / 2.8).round() as u64,
                synthetic: false,
            },
            boundary: city_boundary,
        });
    }
    regions.sort_by_key(|r| r.region.code);
    // Cells were pushed village by village in placement order; sort by code, keeping info aligned.
    let mut paired: Vec<(CellShape, CellInfo)> = cells.into_iter().zip(cell_info).collect();
    paired.sort_by_key(|(c, _)| c.cell.code);
    let (cells, cell_info): (Vec<CellShape>, Vec<CellInfo>) = paired.into_iter().unzip();
    let cell_index = PolygonIndex::new(cells.iter().map(|c| c.boundary.clone()).collect());
    township_sites.sort_by_key(|t| t.0);
    village_settings.sort_by_key(|v| v.0);
    Geography { regions, cells, cell_info, cell_index, township_sites, village_settings }
}
