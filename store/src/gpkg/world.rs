//! The world (regions, cells, resources, officers, the demo's record) written and read whole,
//! the layers' extents, and the store read or copied whole (snapshot, backup).

use super::blob::{decode_multipolygon, decode_point, encode_multipolygon, encode_point};
use super::incidents::{incident_from_row, insert_incident};
use super::live_log::read_events;
use super::users::{read_audit, user_from_row};
use super::{GpkgError, GpkgStore, corrupt, sql};
use crate::{AuditQuery, GeographyData, Photo, Publication, Snapshot, StoreError, StoredUser, WorldData, WorldVersion};
use model::resource::CameraView;
use model::{Cell, CellCode, CellShape, Officer, Region, RegionCode, RegionShape, Resource, ResourceKind};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

fn update_extent(tx: &rusqlite::Transaction<'_>, table: &str, points: bool) -> Result<(), GpkgError> {
    use geo::BoundingRect;
    let mut stmt = tx.prepare(&sql!("scan_geometries").replace("{table}", table)).map_err(sql("scan extent"))?;
    let mut rows = stmt.query([]).map_err(sql("scan extent"))?;
    let (mut min_x, mut min_y, mut max_x, mut max_y) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    while let Some(r) = rows.next().map_err(sql("scan extent"))? {
        let b = r.get_ref(0).map_err(sql("scan extent"))?.as_blob().map_err(|e| corrupt("geometry", e))?;
        let rect = if points {
            decode_point(b).ok().map(|p| (p.x(), p.y(), p.x(), p.y()))
        } else {
            decode_multipolygon(b)
                .ok()
                .and_then(|m| m.bounding_rect())
                .map(|r| (r.min().x, r.min().y, r.max().x, r.max().y))
        };
        if let Some((a, b, c, d)) = rect {
            (min_x, min_y, max_x, max_y) = (min_x.min(a), min_y.min(b), max_x.max(c), max_y.max(d));
        }
    }
    if min_x.is_finite() {
        tx.execute(sql!("update_extent"), params![min_x, min_y, max_x, max_y, table]).map_err(sql("update extent"))?;
    }
    Ok(())
}

fn write_geography(tx: &rusqlite::Transaction<'_>, geography: &GeographyData) -> Result<(), GpkgError> {
    {
        let mut st = tx.prepare(sql!("insert_region")).map_err(sql("prepare insert region"))?;
        for r in &geography.regions {
            let g = &r.region;
            st.execute(params![
                encode_multipolygon(&r.boundary),
                g.code.to_string(),
                g.name,
                g.level.as_str(),
                g.parent_code.map(|c| c.to_string()),
                g.population as i64,
                g.households as i64,
                g.synthetic
            ])
            .map_err(sql("insert region"))?;
        }
        let mut st = tx.prepare(sql!("insert_cell")).map_err(sql("prepare insert cell"))?;
        for c in &geography.cells {
            st.execute(params![
                encode_multipolygon(&c.boundary),
                c.cell.code.to_string(),
                c.cell.code.village().to_string(),
                c.cell.name,
                c.cell.population as i64,
                c.cell.synthetic
            ])
            .map_err(sql("insert cell"))?;
        }
        let mut st = tx.prepare(sql!("insert_resource")).map_err(sql("prepare insert resource"))?;
        for r in &geography.resources {
            st.execute(params![
                r.id as i64,
                encode_point(r.lon, r.lat),
                r.kind.as_str(),
                r.kind.prevention_name(),
                r.name,
                r.region_code.to_string(),
                r.subtype,
                r.camera.map(|c| c.heading_deg),
                r.camera.map(|c| c.fov_deg),
                r.camera.map(|c| c.range_m)
            ])
            .map_err(sql("insert resource"))?;
        }
        let mut st = tx.prepare(sql!("insert_officer")).map_err(sql("prepare insert officer"))?;
        let mut sv = tx.prepare(sql!("insert_officer_village")).map_err(sql("prepare insert officer village"))?;
        for o in &geography.officers {
            st.execute(params![o.id as i64, o.name, o.badge, o.station_id as i64]).map_err(sql("insert officer"))?;
            for v in &o.villages {
                sv.execute(params![o.id as i64, v.to_string()]).map_err(sql("insert officer village"))?;
            }
        }
        let mut st = tx.prepare(sql!("insert_department")).map_err(sql("prepare insert department"))?;
        for d in &geography.departments {
            st.execute(params![d.code.as_str(), d.kind, d.name_zh, d.name_en, d.region.to_string()])
                .map_err(sql("insert department"))?;
        }
        let mut st = tx.prepare(sql!("insert_mediator")).map_err(sql("prepare insert mediator"))?;
        for m in &geography.mediators {
            st.execute(params![m.id as i64, m.name, m.role.as_str(), m.village.to_string(), m.phone])
                .map_err(sql("insert mediator"))?;
        }
    }
    Ok(())
}

pub(super) fn write_world(conn: &mut Connection, world: &WorldData) -> Result<(), GpkgError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    for t in [
        "mediators",
        "departments",
        "officer_villages",
        "officers",
        "resources",
        "desk_photos",
        "live_events",
        "incidents",
        "incident_parts",
        "cells",
        "regions",
    ] {
        tx.execute(&sql!("clear_table").replace("{table}", t), []).map_err(sql("clear table"))?;
    }
    tx.execute(sql!("clear_demo_truth"), []).map_err(sql("clear meta"))?;
    write_geography(&tx, &world.geography)?;
    // Every incident of the store is written here, so each part but the newest is packed from
    // the rows as written, without reading them back.
    let mut part = super::incident_parts::Packing::default();
    for (n, p) in &world.incidents {
        if let Some(id) = insert_incident(&tx, n, p)? {
            part.push(&tx, crate::IncidentRow::stored(id, n, p))?;
        }
    }
    if let Some(truth) = &world.demo_truth_json {
        tx.execute(sql!("insert_demo_truth"), [truth]).map_err(sql("write meta"))?;
    }
    for (table, points) in [("regions", false), ("cells", false), ("incidents", true), ("resources", true)] {
        update_extent(&tx, table, points)?;
    }
    tx.execute(&sql!("clear_table").replace("{table}", "world_versions"), []).map_err(sql("clear versions"))?;
    record_version(&tx, &Publication::whole_store(&world.geography))?;
    tx.commit().map_err(sql("commit world"))
}

fn record_version(tx: &rusqlite::Transaction<'_>, p: &Publication) -> Result<WorldVersion, GpkgError> {
    let version: i64 = tx.query_row(sql!("next_world_version"), [], |r| r.get(0)).map_err(sql("next version"))?;
    tx.execute(
        sql!("insert_world_version"),
        params![version, p.at, p.by, p.note, p.changes, crate::world_version::encode(&p.geography)],
    )
    .map_err(sql("insert version"))?;
    Ok(WorldVersion {
        version: version as u32,
        published_at: p.at.clone(),
        by: p.by.clone(),
        note: p.note.clone(),
        changes: p.changes.clone(),
    })
}

/// Publishes `p`: `Ok(Err(current))` when `p.follows` is not the latest version `current`.
pub(super) fn publish_world(conn: &mut Connection, p: &Publication) -> Result<Result<WorldVersion, u32>, GpkgError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    if let Some(follows) = p.follows {
        let next: i64 = tx.query_row(sql!("next_world_version"), [], |r| r.get(0)).map_err(sql("next version"))?;
        let current = (next - 1).max(0) as u32;
        if current != follows {
            return Ok(Err(current));
        }
    }
    for t in ["mediators", "departments", "officer_villages", "officers", "resources", "cells", "regions"] {
        tx.execute(&sql!("clear_table").replace("{table}", t), []).map_err(sql("clear table"))?;
    }
    write_geography(&tx, &p.geography)?;
    {
        let mut st = tx.prepare(sql!("place_incident")).map_err(sql("prepare place incident"))?;
        for (id, pl) in &p.placements {
            st.execute(params![
                pl.county_code.to_string(),
                pl.township_code.to_string(),
                pl.village_code.to_string(),
                pl.cell_code.to_string(),
                id.0 as i64
            ])
            .map_err(sql("place incident"))?;
        }
    }
    for (table, points) in [("regions", false), ("cells", false), ("resources", true)] {
        update_extent(&tx, table, points)?;
    }
    let version = record_version(&tx, p)?;
    tx.commit().map_err(sql("commit publication"))?;
    Ok(Ok(version))
}

pub(super) fn read_versions(conn: &Connection) -> Result<Vec<WorldVersion>, GpkgError> {
    let mut st = conn.prepare(sql!("world_versions")).map_err(sql("prepare versions"))?;
    let rows = st
        .query_map([], |r| {
            Ok(WorldVersion {
                version: r.get::<_, i64>(0)? as u32,
                published_at: r.get(1)?,
                by: r.get(2)?,
                note: r.get(3)?,
                changes: r.get(4)?,
            })
        })
        .map_err(sql("read versions"))?;
    rows.collect::<Result<_, _>>().map_err(sql("read versions"))
}

pub(super) fn read_world_of_version(conn: &Connection, version: u32) -> Result<Option<GeographyData>, GpkgError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(sql!("world_of_version"), [i64::from(version)], |r| r.get(0))
        .optional()
        .map_err(sql("read version"))?;
    bytes.map(|b| crate::world_version::decode(&b).map_err(|e| corrupt("version world", e))).transpose()
}

pub(super) fn read_geography(conn: &Connection) -> Result<GeographyData, GpkgError> {
    let mut regions = Vec::new();
    let mut st = conn.prepare(sql!("load_regions")).map_err(sql("prepare load regions"))?;
    let mut rows = st.query([]).map_err(sql("load regions"))?;
    while let Some(r) = rows.next().map_err(sql("load regions"))? {
        let blob: Vec<u8> = r.get(0).map_err(sql("load regions"))?;
        let code: String = r.get(1).map_err(sql("load regions"))?;
        let level: String = r.get(3).map_err(sql("load regions"))?;
        let parent: Option<String> = r.get(4).map_err(sql("load regions"))?;
        regions.push(RegionShape {
            region: Region {
                code: RegionCode::parse(&code).map_err(|e| corrupt("region code", e))?,
                name: r.get(2).map_err(sql("load regions"))?,
                level: level.parse().map_err(|()| corrupt("region level", &level))?,
                parent_code: parent
                    .map(|p| RegionCode::parse(&p))
                    .transpose()
                    .map_err(|e| corrupt("parent code", e))?,
                population: r.get::<_, i64>(5).map_err(sql("load regions"))? as u64,
                households: r.get::<_, i64>(6).map_err(sql("load regions"))? as u64,
                synthetic: r.get(7).map_err(sql("load regions"))?,
            },
            boundary: decode_multipolygon(&blob).map_err(|e| corrupt("region geometry", e))?,
        });
    }
    let mut cells = Vec::new();
    let mut st = conn.prepare(sql!("load_cells")).map_err(sql("prepare load cells"))?;
    let mut rows = st.query([]).map_err(sql("load cells"))?;
    while let Some(r) = rows.next().map_err(sql("load cells"))? {
        let blob: Vec<u8> = r.get(0).map_err(sql("load cells"))?;
        let code: String = r.get(1).map_err(sql("load cells"))?;
        cells.push(CellShape {
            cell: Cell {
                code: CellCode::parse(&code).map_err(|e| corrupt("cell code", e))?,
                name: r.get(2).map_err(sql("load cells"))?,
                population: r.get::<_, i64>(3).map_err(sql("load cells"))? as u64,
                synthetic: r.get(4).map_err(sql("load cells"))?,
            },
            boundary: decode_multipolygon(&blob).map_err(|e| corrupt("cell geometry", e))?,
        });
    }
    let mut resources = Vec::new();
    let mut st = conn.prepare(sql!("load_resources")).map_err(sql("prepare load resources"))?;
    let mut rows = st.query([]).map_err(sql("load resources"))?;
    while let Some(r) = rows.next().map_err(sql("load resources"))? {
        let blob: Vec<u8> = r.get(1).map_err(sql("load resources"))?;
        let p = decode_point(&blob).map_err(|e| corrupt("resource geometry", e))?;
        let kind: String = r.get(2).map_err(sql("load resources"))?;
        let region: String = r.get(4).map_err(sql("load resources"))?;
        let heading: Option<f64> = r.get(6).map_err(sql("load resources"))?;
        let fov: Option<f64> = r.get(7).map_err(sql("load resources"))?;
        let range: Option<f64> = r.get(8).map_err(sql("load resources"))?;
        resources.push(Resource {
            id: r.get::<_, i64>(0).map_err(sql("load resources"))? as u64,
            kind: ResourceKind::parse(&kind).ok_or_else(|| corrupt("resource kind", &kind))?,
            name: r.get(3).map_err(sql("load resources"))?,
            lon: p.x(),
            lat: p.y(),
            region_code: RegionCode::parse(&region).map_err(|e| corrupt("resource region", e))?,
            subtype: r.get(5).map_err(sql("load resources"))?,
            camera: match (heading, fov, range) {
                (Some(heading_deg), Some(fov_deg), Some(range_m)) => Some(CameraView { heading_deg, fov_deg, range_m }),
                _ => None,
            },
        });
    }
    let mut officers: Vec<Officer> = Vec::new();
    let mut st = conn.prepare(sql!("load_officers")).map_err(sql("prepare load officers"))?;
    let mut rows = st.query([]).map_err(sql("load officers"))?;
    while let Some(r) = rows.next().map_err(sql("load officers"))? {
        officers.push(Officer {
            id: r.get::<_, i64>(0).map_err(sql("load officers"))? as u64,
            name: r.get(1).map_err(sql("load officers"))?,
            badge: r.get(2).map_err(sql("load officers"))?,
            station_id: r.get::<_, i64>(3).map_err(sql("load officers"))? as u64,
            villages: Vec::new(),
        });
    }
    let mut st = conn.prepare(sql!("load_officer_villages")).map_err(sql("prepare load officer villages"))?;
    let mut rows = st.query([]).map_err(sql("load officer villages"))?;
    while let Some(r) = rows.next().map_err(sql("load officer villages"))? {
        let id = r.get::<_, i64>(0).map_err(sql("load officer villages"))? as u64;
        let v: String = r.get(1).map_err(sql("load officer villages"))?;
        let v = RegionCode::parse(&v).map_err(|e| corrupt("officer village", e))?;
        if let Ok(i) = officers.binary_search_by_key(&id, |o| o.id) {
            officers[i].villages.push(v);
        }
    }
    let mut departments = Vec::new();
    let mut st = conn.prepare(sql!("load_departments")).map_err(sql("prepare load departments"))?;
    let mut rows = st.query([]).map_err(sql("load departments"))?;
    while let Some(r) = rows.next().map_err(sql("load departments"))? {
        let code: String = r.get(0).map_err(sql("load departments"))?;
        let region: String = r.get(4).map_err(sql("load departments"))?;
        departments.push(model::department::Department {
            code: model::department::DepartmentCode::parse(&code).map_err(|e| corrupt("department code", e))?,
            kind: r.get(1).map_err(sql("load departments"))?,
            name_zh: r.get(2).map_err(sql("load departments"))?,
            name_en: r.get(3).map_err(sql("load departments"))?,
            region: RegionCode::parse(&region).map_err(|e| corrupt("department region", e))?,
        });
    }
    let mut mediators = Vec::new();
    let mut st = conn.prepare(sql!("load_mediators")).map_err(sql("prepare load mediators"))?;
    let mut rows = st.query([]).map_err(sql("load mediators"))?;
    while let Some(r) = rows.next().map_err(sql("load mediators"))? {
        let role: String = r.get(2).map_err(sql("load mediators"))?;
        let village: String = r.get(3).map_err(sql("load mediators"))?;
        mediators.push(model::desk::Mediator {
            id: r.get::<_, i64>(0).map_err(sql("load mediators"))? as u64,
            name: r.get(1).map_err(sql("load mediators"))?,
            role: model::desk::MediatorRole::parse(&role).ok_or_else(|| corrupt("mediator role", role.clone()))?,
            village: RegionCode::parse(&village).map_err(|e| corrupt("mediator village", e))?,
            phone: r.get(4).map_err(sql("load mediators"))?,
        });
    }
    Ok(GeographyData { regions, cells, resources, officers, departments, mediators })
}

/// Everything in the store, read in one transaction (a consistent view while writes go on).
pub(super) fn snapshot(c: &mut Connection) -> Result<Snapshot, GpkgError> {
    let tx = c.transaction().map_err(sql("begin snapshot"))?;
    let geography = read_geography(&tx)?;
    let mut incidents = Vec::new();
    let mut st = tx.prepare(concat!(sql!("select_incident"), sql!("order_by_fid"))).map_err(sql("prepare snapshot"))?;
    let mut rows = st.query([]).map_err(sql("snapshot incidents"))?;
    while let Some(r) = rows.next().map_err(sql("snapshot incidents"))? {
        incidents.push(incident_from_row(r)?);
    }
    drop(rows);
    drop(st);
    let mut users = Vec::new();
    let mut st = tx.prepare(sql!("snapshot_users")).map_err(sql("prepare snapshot users"))?;
    let mut rows = st.query([]).map_err(sql("snapshot users"))?;
    while let Some(r) = rows.next().map_err(sql("snapshot users"))? {
        let (user, password_hash) = user_from_row(r)?;
        users.push(StoredUser { user, password_hash, created_at: r.get(9).map_err(sql("snapshot users"))? });
    }
    drop(rows);
    drop(st);
    let audit =
        read_audit(&tx, &AuditQuery { limit: usize::MAX >> 1, ..AuditQuery::default() })?.into_iter().rev().collect();
    let mut meta = Vec::new();
    let mut st = tx.prepare(sql!("snapshot_meta")).map_err(sql("prepare meta"))?;
    let mut rows = st.query([]).map_err(sql("snapshot meta"))?;
    while let Some(r) = rows.next().map_err(sql("snapshot meta"))? {
        meta.push((r.get(0).map_err(sql("snapshot meta"))?, r.get(1).map_err(sql("snapshot meta"))?));
    }
    drop(rows);
    drop(st);
    let events = read_events(&tx, sql!("events_in_order"), &[])?;
    let mut photos = Vec::new();
    let mut st = tx.prepare(sql!("snapshot_photos")).map_err(sql("prepare photos"))?;
    let mut rows = st.query([]).map_err(sql("snapshot photos"))?;
    while let Some(r) = rows.next().map_err(sql("snapshot photos"))? {
        let seq: i64 = r.get(0).map_err(sql("snapshot photos"))?;
        let photo = Photo {
            content_type: r.get(1).map_err(sql("snapshot photos"))?,
            bytes: r.get(2).map_err(sql("snapshot photos"))?,
        };
        photos.push((seq as u64, photo));
    }
    drop(rows);
    drop(st);
    Ok(Snapshot { geography, incidents, users, audit, meta, events, photos })
}

/// Writes a consistent copy of the store to `to` (SQLite `VACUUM INTO`: safe while the
/// server is running and writing; the copy is a compacted, valid GeoPackage). `to` must not
/// exist.
pub(super) async fn backup(store: &GpkgStore, to: &Path) -> Result<(), StoreError> {
    // A new, empty owner-only file first (never an existing file or a link's target): SQLite
    // writes into it and keeps its mode.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(to).map_err(|source| GpkgError::File { path: to.to_owned(), source })?;
    let to = to.to_string_lossy().into_owned();
    store.read(move |c| c.execute(sql!("backup"), [to]).map(drop).map_err(sql("backup"))).await
}

/// [`Store::has_world`](crate::Store::has_world).
pub(super) fn has_world(c: &Connection) -> Result<bool, GpkgError> {
    c.query_row(sql!("has_world"), [], |r| r.get::<_, bool>(0)).map_err(sql("check world"))
}

/// [`Store::meta`](crate::Store::meta): the metadata entry `key`.
pub(super) fn meta(c: &Connection, key: &str) -> Result<Option<String>, GpkgError> {
    c.query_row(sql!("meta"), [key], |r| r.get(0)).optional().map_err(sql("read meta"))
}
