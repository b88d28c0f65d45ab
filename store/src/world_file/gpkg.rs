//! World files as GeoPackages: read any GeoPackage whose tables are named after the layers (or
//! their Chinese names), write SafeGrid's own.

use super::fields::{Row, Shape, Value, layer_of, match_columns, push};
use super::transform::{SourceCrs, choose};
use super::{WorldFileError, WorldRead};
use crate::gpkg::blob::{decode_multipolygon, decode_point, encode_multipolygon, encode_point};
use geo::BoundingRect;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params, types::ValueRef};
use std::collections::HashMap;
use std::path::Path;
use world::{Layer, WorldFile};

fn sql<'a>(path: &'a Path, op: &'static str) -> impl Fn(rusqlite::Error) -> WorldFileError + 'a {
    move |source| WorldFileError::Sql { path: path.to_path_buf(), op, source }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(super) fn read(path: &Path, crs: Option<analytics::crs::Crs>) -> Result<WorldRead, WorldFileError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql(path, "open"))?;
    let tables: Vec<String> = {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")
            .map_err(sql(path, "list tables"))?;
        st.query_map([], |r| r.get::<_, String>(0))
            .map_err(sql(path, "list tables"))?
            .collect::<Result<_, _>>()
            .map_err(sql(path, "list tables"))?
    };
    let mut out = WorldRead::default();
    for layer in Layer::ALL {
        let Some(table) = tables.iter().find(|t| layer_of(t) == Some(layer)) else {
            continue;
        };
        read_layer(&conn, path, layer, table, crs, &mut out)?;
        out.layers.push(layer);
    }
    Ok(out)
}

fn read_layer(
    conn: &Connection,
    path: &Path,
    layer: Layer,
    table: &str,
    crs: Option<analytics::crs::Crs>,
    out: &mut WorldRead,
) -> Result<(), WorldFileError> {
    let geometry: Option<(String, i64)> = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?1)",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql(path, "read gpkg_geometry_columns"))?;
    let transform = match &geometry {
        None => None,
        Some((_, srs_id)) => {
            let said: Option<(String, i64)> = conn
                .query_row(
                    "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                    [srs_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql(path, "read gpkg_spatial_ref_sys"))?;
            let in_file = match said {
                Some((org, code)) if org.eq_ignore_ascii_case("EPSG") => {
                    Some(SourceCrs::of_epsg(code).ok_or(format!("EPSG:{code}")))
                }
                Some((org, _)) if org.eq_ignore_ascii_case("NONE") => None,
                Some((org, code)) => Some(Err(format!("{org}:{code}"))),
                None => None,
            };
            let (t, note) = choose(layer.as_str(), in_file, crs, false)?;
            out.notes.push(note);
            Some(t)
        }
    };
    let geometry_column = geometry.as_ref().map(|(c, _)| c.to_ascii_lowercase());
    let mut st = conn.prepare(&format!("SELECT rowid, * FROM {}", quoted(table))).map_err(sql(path, "read layer"))?;
    let columns: Vec<String> = st.column_names().iter().skip(1).map(|c| (*c).to_owned()).collect();
    let fields = match_columns(layer, &columns);
    let mut rows = st.query([]).map_err(sql(path, "read layer"))?;
    while let Some(r) = rows.next().map_err(sql(path, "read layer"))? {
        let number: i64 = r.get(0).map_err(sql(path, "read rowid"))?;
        let mut row = Row { layer, number: number.max(0) as u64, values: HashMap::new() };
        let mut shape = Shape::None;
        for (k, column) in columns.iter().enumerate() {
            let v = r.get_ref(k + 1).map_err(sql(path, "read value"))?;
            if geometry_column.as_deref() == Some(column.to_ascii_lowercase().as_str()) {
                let ValueRef::Blob(b) = v else { continue };
                let bad = |e: crate::gpkg::blob::BlobError| WorldFileError::Field {
                    layer: layer.as_str(),
                    row: row.number,
                    field: "geom",
                    message: e.to_string(),
                };
                let t = transform.as_ref();
                shape = match layer {
                    Layer::Regions | Layer::Cells => {
                        let mp = decode_multipolygon(b).map_err(bad)?;
                        Shape::Area(t.map_or(mp.clone(), |t| t.geometry(&mp)))
                    }
                    _ => {
                        let p = decode_point(b).map_err(bad)?;
                        Shape::Point(t.map_or(p, |t| t.geometry(&p)))
                    }
                };
                continue;
            }
            let Some(field) = fields[k] else { continue };
            let value = match v {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(x) => Value::Real(x),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Value::Null,
            };
            row.values.insert(field, value);
        }
        push(&mut out.world, &row, shape)?;
    }
    Ok(())
}

pub(super) fn write(path: &Path, world: &WorldFile) -> Result<(), WorldFileError> {
    let mut conn = Connection::open(path).map_err(sql(path, "create"))?;
    conn.execute_batch(include_str!("../gpkg/sql/core.sql")).map_err(sql(path, "create GeoPackage core"))?;
    conn.execute_batch(include_str!("sql/schema.sql")).map_err(sql(path, "create tables"))?;
    let tx = conn.transaction().map_err(sql(path, "begin"))?;
    let mut extents: HashMap<&str, [f64; 4]> = HashMap::new();
    let mut grow = |layer: &'static str, r: Option<geo::Rect<f64>>| {
        if let Some(r) = r {
            let e =
                extents.entry(layer).or_insert([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY]);
            *e = [e[0].min(r.min().x), e[1].min(r.min().y), e[2].max(r.max().x), e[3].max(r.max().y)];
        }
    };
    {
        let mut st = tx
            .prepare("INSERT INTO regions (geom, code, name, level, parent_code, population, households, synthetic) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .map_err(sql(path, "prepare regions"))?;
        for r in &world.regions {
            grow("regions", r.boundary.bounding_rect());
            let parent = Some(r.parent_code.as_str()).filter(|p| !p.is_empty());
            st.execute(params![
                encode_multipolygon(&r.boundary),
                r.code,
                r.name,
                r.level,
                parent,
                r.population as i64,
                r.households as i64,
                r.synthetic
            ])
            .map_err(sql(path, "write regions"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO cells (geom, code, name, village_code, population, households, synthetic) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .map_err(sql(path, "prepare cells"))?;
        for c in &world.cells {
            grow("cells", c.boundary.bounding_rect());
            st.execute(params![
                encode_multipolygon(&c.boundary),
                c.code,
                c.name,
                c.village_code,
                c.population as i64,
                c.households as i64,
                c.synthetic
            ])
            .map_err(sql(path, "write cells"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO resources (geom, id, kind, name, region_code, subtype, heading_deg, fov_deg, range_m) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
            .map_err(sql(path, "prepare resources"))?;
        for r in &world.resources {
            grow("resources", r.point.bounding_rect().into());
            st.execute(params![
                encode_point(r.point.x(), r.point.y()),
                r.id as i64,
                r.kind,
                r.name,
                r.region_code,
                r.subtype,
                r.heading_deg,
                r.fov_deg,
                r.range_m
            ])
            .map_err(sql(path, "write resources"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO officers (id, name, badge, station_id, villages) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql(path, "prepare officers"))?;
        for o in &world.officers {
            st.execute(params![o.id as i64, o.name, o.badge, o.station_id as i64, o.villages.join(",")])
                .map_err(sql(path, "write officers"))?;
        }
        let mut st = tx
            .prepare(
                "INSERT INTO grid_workers (geom, id, name, cell_code, phone, leader) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sql(path, "prepare grid workers"))?;
        for g in &world.grid_workers {
            if let Some(p) = g.point {
                grow("grid_workers", p.bounding_rect().into());
            }
            st.execute(params![
                g.point.map(|p| encode_point(p.x(), p.y())),
                g.id as i64,
                g.name,
                g.cell_code,
                g.phone,
                g.leader
            ])
            .map_err(sql(path, "write grid workers"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO units (geom, id, name, type, region_code) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql(path, "prepare units"))?;
        for u in &world.units {
            grow("units", u.point.bounding_rect().into());
            st.execute(params![
                encode_point(u.point.x(), u.point.y()),
                u.id as i64,
                u.name,
                u.unit_type,
                u.region_code
            ])
            .map_err(sql(path, "write units"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO departments (code, kind, name_zh, name_en, region_code) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql(path, "prepare departments"))?;
        for d in &world.departments {
            st.execute(params![d.code, d.kind, d.name_zh, d.name_en, d.region_code])
                .map_err(sql(path, "write departments"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO mediators (id, name, role, village_code, phone) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql(path, "prepare mediators"))?;
        for m in &world.mediators {
            st.execute(params![m.id as i64, m.name, m.role, m.village_code, m.phone])
                .map_err(sql(path, "write mediators"))?;
        }
        let mut st = tx
            .prepare("UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4 WHERE table_name = ?5")
            .map_err(sql(path, "prepare extents"))?;
        for (table, e) in &extents {
            st.execute(params![e[0], e[1], e[2], e[3], table]).map_err(sql(path, "write extents"))?;
        }
    }
    tx.commit().map_err(sql(path, "commit"))
}
