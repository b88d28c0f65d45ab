//! Prevention resources and village officers: a station per township, about a thousand cameras
//! concentrated in towns, checkpoints on county borders, patrol units, a grid worker per cell,
//! key places, alarms, and officers covering one to three villages each with a few left uncovered.

use crate::geography::{Geography, Setting};
use crate::names;
use crate::sample::{Weighted, point_in};
use geo::{Centroid, Coord};
use model::resource::CameraView;
use model::{Officer, RegionCode, RegionLevel, Resource, ResourceKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CAMERAS: usize = 1_000;
const ALARMS: usize = 150;
const CHECKPOINTS_PER_COUNTY: usize = 6;
const UNCOVERED_VILLAGES: usize = 12;

pub fn generate(geo: &Geography, seed: u64) -> (Vec<Resource>, Vec<Officer>, Vec<RegionCode>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e_50_c3);
    let mut out: Vec<Resource> = Vec::new();
    // Ids are positions in `out` plus one.
    let push =
        |out: &mut Vec<Resource>, kind, name: String, at: Coord<f64>, region_code, subtype: Option<&str>, camera| {
            out.push(Resource {
                id: out.len() as u64 + 1,
                kind,
                name,
                lon: (at.x * 1e7).round() / 1e7,
                lat: (at.y * 1e7).round() / 1e7,
                region_code,
                subtype: subtype.map(str::to_owned),
                camera,
            });
        };
    let name_of = |code: RegionCode| {
        geo.regions
            .binary_search_by_key(&code, |r| r.region.code)
            .map(|i| geo.regions[i].region.name.clone())
            .unwrap_or_default()
    };
    let village_at = |c: Coord<f64>| geo.cell_index.locate(c).map(|i| geo.cells[i].cell.code.village());

    // Stations and patrol units.
    let mut station_of_township = Vec::new();
    for (township, site) in &geo.township_sites {
        let short =
            name_of(*township).trim_end_matches("街道").trim_end_matches('镇').trim_end_matches('乡').to_owned();
        let station_id = out.len() as u64 + 1;
        push(&mut out, ResourceKind::Station, format!("{short}派出所"), *site, *township, None, None);
        station_of_township.push((*township, station_id));
        let street = name_of(*township).ends_with("街道");
        for k in 0..if street { 2 } else { 1 } {
            push(&mut out, ResourceKind::PatrolUnit, format!("{short}巡逻{}组", k + 1), *site, *township, None, None);
        }
    }

    // Grid workers, one per cell.
    for (i, c) in geo.cells.iter().enumerate() {
        let at = point_in(&c.boundary, &mut rng).unwrap_or(geo.cell_info[i].focus);
        push(
            &mut out,
            ResourceKind::GridWorker,
            format!("{}网格员{}", c.cell.name, names::person(&mut rng)),
            at,
            c.cell.code.village(),
            None,
            None,
        );
    }

    // Cameras and alarms, concentrated where people are.
    let busy = Weighted::new(
        geo.cells
            .iter()
            .enumerate()
            .map(|(i, c)| (c.cell.population as f64 + 100.0) * geo.cell_info[i].setting.urban_factor().powi(2)),
    );
    for k in 0..CAMERAS + ALARMS {
        let i = busy.pick(&mut rng);
        let c = &geo.cells[i];
        let at = if rng.random::<f64>() < 0.5 {
            geo.cell_info[i].focus
        } else {
            point_in(&c.boundary, &mut rng).unwrap_or(geo.cell_info[i].focus)
        };
        if k < CAMERAS {
            let view = CameraView {
                heading_deg: f64::from(rng.random_range(0..360)),
                fov_deg: f64::from(rng.random_range(6..=11) * 10),
                range_m: f64::from(rng.random_range(5..=15) * 10),
            };
            push(
                &mut out,
                ResourceKind::Camera,
                format!("{}监控{:04}", c.cell.name, k + 1),
                at,
                c.cell.code.village(),
                None,
                Some(view),
            );
        } else {
            push(
                &mut out,
                ResourceKind::Alarm,
                format!("{}一键报警{:03}", c.cell.name, k - CAMERAS + 1),
                at,
                c.cell.code.village(),
                None,
                None,
            );
        }
    }

    // Checkpoints near county borders: points on the boundary pulled 300 m towards the centre.
    for county in geo.regions.iter().filter(|r| r.region.level == RegionLevel::County) {
        let Some(centre) = county.boundary.centroid() else {
            continue;
        };
        let Some(ring) = county.boundary.0.iter().max_by_key(|p| p.exterior().0.len()).map(|p| p.exterior()) else {
            continue;
        };
        let n = ring.0.len();
        for k in 0..CHECKPOINTS_PER_COUNTY {
            let v =
                ring.0[(k * n / CHECKPOINTS_PER_COUNTY + rng.random_range(0..n / CHECKPOINTS_PER_COUNTY.max(1))) % n];
            let (dx, dy) = (centre.x() - v.x, centre.y() - v.y);
            let len = (dx * dx + dy * dy).sqrt().max(1e-9);
            let at = Coord { x: v.x + dx / len * 0.004, y: v.y + dy / len * 0.003 };
            if let Some(village) = village_at(at) {
                push(
                    &mut out,
                    ResourceKind::Checkpoint,
                    format!("{}检查站{}", county.region.name, k + 1),
                    at,
                    village,
                    Some("border"),
                    None,
                );
            }
        }
    }

    // Key places: a school and a market per township, a hospital per county seat town and every third township.
    for (n, (township, site)) in geo.township_sites.iter().enumerate() {
        let short = name_of(*township);
        let townships_villages: Vec<&(RegionCode, Setting)> =
            geo.village_settings.iter().filter(|(v, _)| township.contains(*v)).collect();
        let mut places = vec![("school", "中心小学"), ("market", "农贸市场")];
        if n % 3 == 0 || short.ends_with("街道") {
            places.push(("hospital", "卫生院"));
        }
        if short.ends_with("街道") {
            places.push(("school", "中学"));
        }
        for (subtype, suffix) in places {
            let near =
                Coord { x: site.x + rng.random_range(-0.004..0.004), y: site.y + rng.random_range(-0.003..0.003) };
            let at = if village_at(near).is_some() { near } else { *site };
            let village = village_at(at).or_else(|| townships_villages.first().map(|v| v.0)).unwrap_or(*township);
            push(&mut out, ResourceKind::KeyPlace, format!("{short}{suffix}"), at, village, Some(subtype), None);
        }
    }

    // Officers: one to three villages each (consecutive codes in one township), a few villages left uncovered.
    let villages: Vec<RegionCode> = geo.village_settings.iter().map(|v| v.0).collect();
    let mut uncovered: Vec<RegionCode> = Vec::new();
    while uncovered.len() < UNCOVERED_VILLAGES.min(villages.len()) {
        let v = villages[rng.random_range(0..villages.len())];
        if !uncovered.contains(&v) {
            uncovered.push(v);
        }
    }
    uncovered.sort_unstable();
    let mut officers = Vec::new();
    let mut i = 0;
    while i < villages.len() {
        let township = villages[i].truncate(RegionLevel::Township);
        let setting = geo.village_settings[i].1;
        let want = match setting {
            Setting::UrbanCore | Setting::TownCentre => 1,
            _ => rng.random_range(1..=3),
        };
        let mut mine = Vec::new();
        while mine.len() < want && i < villages.len() && villages[i].truncate(RegionLevel::Township) == township {
            if !uncovered.contains(&villages[i]) {
                mine.push(villages[i]);
            }
            i += 1;
        }
        if mine.is_empty() {
            continue;
        }
        let station_id = station_of_township.iter().find(|(t, _)| *t == township).map(|(_, s)| *s).unwrap_or(0);
        let id = officers.len() as u64 + 1;
        officers.push(Officer {
            id,
            name: names::person(&mut rng),
            badge: format!("62{:04}", 1000 + id),
            station_id,
            villages: mine,
        });
    }
    (out, officers, uncovered)
}
