//! World files: the demo world exported, validated, changed, imported as a new version and rolled
//! back, with its incidents following the grid; broken files refused with every problem named;
//! other coordinate systems read back to the same places (GDAL reprojects, GCJ-02 by our inverse).

use geo::{BooleanOps, CoordsIter};
use server::base_data::{check_placements, export, import, rollback, validate_file};
use server::config::{
    CliLang, ReportFormat, WorldExportArgs, WorldFileArgs, WorldImportArgs, WorldRollbackArgs, WorldValidateArgs,
};
use std::path::{Path, PathBuf};
use store::Store;
use store::gpkg::GpkgStore;
use store::gpkg::blob::encode_multipolygon;
use store::world_file::read_world;
use tests::tool;
use world::{Rules, WorldFile, difference, validate};

fn file_args(file: &Path) -> WorldFileArgs {
    WorldFileArgs { file: file.to_owned(), crs: None, tolerance_m2: 100.0, sliver_width_m: 2.0, lang: CliLang::En }
}

async fn exported(dir: &Path) -> PathBuf {
    let out = dir.join("world.gpkg");
    export(WorldExportArgs { store: tests::store_args(dir), out: out.clone() }).await.unwrap();
    out
}

fn validated(file: &Path) -> (bool, String) {
    let mut out = Vec::new();
    let ok = validate_file(WorldValidateArgs { file: file_args(file), format: ReportFormat::Text }, &mut out).unwrap();
    (ok, String::from_utf8(out).unwrap())
}

async fn imported(dir: &Path, file: &Path, dry_run: bool) -> (bool, String) {
    let mut out = Vec::new();
    let ok = import(WorldImportArgs { store: tests::store_args(dir), file: file_args(file), dry_run }, &mut out)
        .await
        .unwrap();
    (ok, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn the_demo_world_exports_validates_and_comes_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    tests::demo_store(dir.path()).await;
    let file = exported(dir.path()).await;
    let (ok, report) = validated(&file);
    assert!(ok, "{report}");
    assert!(report.contains("0 error(s)"), "{report}");
    // Read back, the file is the stored world exactly, and a dry run changes nothing.
    let store = GpkgStore::open(dir.path()).unwrap();
    let g = store.load_geography().await.unwrap();
    let parts = world::WorldParts {
        regions: g.regions,
        cells: g.cells,
        resources: g.resources,
        officers: g.officers,
        departments: g.departments,
        mediators: g.mediators,
    };
    let read = read_world(&file, None).unwrap();
    assert_eq!(read.layers.len(), world::Layer::ALL.len());
    assert!(difference(&WorldFile::from_parts(&parts), &read.world).is_empty());
    assert_eq!(read.world.to_parts(&Rules::default()).unwrap(), parts, "export then import changes nothing");
    let (ok, out) = imported(dir.path(), &file, true).await;
    assert!(ok, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.ends_with("0 added, 0 changed, 0 removed")).count(),
        world::Layer::ALL.len(),
        "{out}"
    );
    // A second export refuses to overwrite the first.
    let again = export(WorldExportArgs { store: tests::store_args(dir.path()), out: file.clone() }).await.unwrap_err();
    assert!(format!("{again:#}").contains("exists"), "{again:#}");
}

#[tokio::test]
async fn a_broken_world_is_refused_with_every_problem_named_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    tests::demo_store(dir.path()).await;
    let file = exported(dir.path()).await;
    let conn = rusqlite::Connection::open(&file).unwrap();
    let (first, second): (String, String) = conn
        .query_row("SELECT a.code, b.code FROM cells a, cells b WHERE b.fid = a.fid + 1 AND a.fid = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    // The second cell takes the first's code; a camera moves to Beijing; an officer covers a
    // village that does not exist.
    conn.execute("UPDATE cells SET code = ?1 WHERE code = ?2", [&first, &second]).unwrap();
    let camera: i64 =
        conn.query_row("SELECT id FROM resources WHERE kind = 'camera' LIMIT 1", [], |r| r.get(0)).unwrap();
    conn.execute(
        "UPDATE resources SET geom = ?1 WHERE id = ?2",
        rusqlite::params![store::gpkg::blob::encode_point(116.4, 39.9), camera],
    )
    .unwrap();
    conn.execute("UPDATE officers SET villages = villages || ',620602999999' WHERE fid = 1", []).unwrap();
    drop(conn);
    let (ok, report) = validated(&file);
    assert!(!ok);
    let line = |kind: &str, code: &str| {
        report.lines().any(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            f.len() == 5 && f[0] == "error" && f[2] == code && f[3] == kind
        })
    };
    assert!(line("duplicate code", &first), "{report}");
    assert!(line("resource outside every region", &camera.to_string()), "{report}");
    assert!(line("officer linked to a missing village or station", "1") || report.contains("620602999999"), "{report}");
    let camera_line = report.lines().find(|l| l.contains("resource outside")).unwrap();
    assert!(camera_line.ends_with("@ 116.400000,39.900000"), "{camera_line}");
    // Importing it is refused with the same report, and the store keeps its world.
    let (ok, out) = imported(dir.path(), &file, false).await;
    assert!(!ok && out.contains("duplicate code"), "{out}");
    let store = GpkgStore::open(dir.path()).unwrap();
    assert_eq!(store.world_versions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_import_publishes_a_version_moving_incidents_and_a_rollback_restores_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    tests::demo_store(dir.path()).await;
    let store = GpkgStore::open(dir.path()).unwrap();
    let rows = store.load_incident_rows().await.unwrap();
    // Merge the busiest cell into its village's other cell (网格划分调整).
    let mut counts = std::collections::HashMap::new();
    for r in &rows {
        *counts.entry(r.cell_code).or_insert(0) += 1;
    }
    let g = store.load_geography().await.unwrap();
    let (gone, kept) = g
        .cells
        .windows(2)
        .filter(|w| w[0].cell.code.village() == w[1].cell.code.village())
        .map(|w| (w[1].cell.code, w[0].cell.code))
        .max_by_key(|(gone, _)| counts.get(gone).copied().unwrap_or(0))
        .unwrap();
    let moving = counts[&gone];
    assert!(moving > 0);
    let file = exported(dir.path()).await;
    let conn = rusqlite::Connection::open(&file).unwrap();
    let shape = |code: model::CellCode| g.cells.iter().find(|c| c.cell.code == code).unwrap().boundary.clone();
    let merged = shape(kept).union(&shape(gone));
    conn.execute(
        "UPDATE cells SET geom = ?1, name = '合并网格' WHERE code = ?2",
        rusqlite::params![encode_multipolygon(&merged), kept.to_string()],
    )
    .unwrap();
    conn.execute("DELETE FROM cells WHERE code = ?1", [gone.to_string()]).unwrap();
    conn.execute("UPDATE grid_workers SET cell_code = ?1 WHERE cell_code = ?2", [kept.to_string(), gone.to_string()])
        .unwrap();
    drop(conn);
    // The dry run names exactly what changes, and changes nothing.
    let (ok, out) = imported(dir.path(), &file, true).await;
    assert!(ok, "{out}");
    assert!(out.contains("cells: 0 added, 1 changed, 1 removed"), "{out}");
    assert!(out.contains(&format!("  ~ {kept}")) && out.contains(&format!("  - {gone}")), "{out}");
    // And how many stored incidents would move, before anyone publishes.
    assert!(out.contains(&format!("dry run: {moving} stored incident(s) would move to another cell\n")), "{out}");
    assert_eq!(store.world_versions().await.unwrap().len(), 1);
    // Published: version 2, every incident of the removed cell now in the merged one.
    let (ok, out) = imported(dir.path(), &file, false).await;
    assert!(ok && out.contains("published version 2"), "{out}");
    let after = GpkgStore::open(dir.path()).unwrap();
    let rows_after = after.load_incident_rows().await.unwrap();
    assert_eq!(rows_after.len(), rows.len(), "no incident lost");
    assert_eq!(rows_after.iter().filter(|r| r.cell_code == gone).count(), 0);
    let in_kept = |rs: &[store::IncidentRow]| rs.iter().filter(|r| r.cell_code == kept).count();
    assert_eq!(in_kept(&rows_after), in_kept(&rows) + moving);
    assert!(after.load_geography().await.unwrap().cells.iter().all(|c| c.cell.code != gone));
    let versions = after.world_versions().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert!(
        versions[1].note.contains("world.gpkg") && versions[1].changes.contains(r#""cells":[0,1,1]"#),
        "{versions:?}"
    );
    let audit = after
        .audit(store::AuditQuery { action: Some("publish_world".into()), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    // Rolled back to version 1: a third version with the old grid, incidents back in their cells.
    let mut out = Vec::new();
    rollback(WorldRollbackArgs { store: tests::store_args(dir.path()), to: 1 }, &mut out).await.unwrap();
    let said = String::from_utf8(out).unwrap();
    assert!(said.contains("已发布第 3 版") && said.contains("published version 3"), "{said}");
    let back = GpkgStore::open(dir.path()).unwrap();
    assert_eq!(back.world_versions().await.unwrap().len(), 3);
    let rows_back = back.load_incident_rows().await.unwrap();
    assert_eq!(
        rows_back.iter().map(|r| (r.id, r.cell_code)).collect::<Vec<_>>(),
        rows.iter().map(|r| (r.id, r.cell_code)).collect::<Vec<_>>()
    );
    assert_eq!(back.load_geography().await.unwrap().cells, g.cells);
    let missing = rollback(WorldRollbackArgs { store: tests::store_args(dir.path()), to: 9 }, &mut Vec::new()).await;
    assert!(format!("{:#}", missing.unwrap_err()).contains("no version 9"));
    // `world placements`: every incident in its stored cell; then one stored in the wrong one.
    let placements = || async {
        let mut out = Vec::new();
        let ok = check_placements(tests::store_args(dir.path()), &mut out).await.unwrap();
        (ok, String::from_utf8(out).unwrap())
    };
    let (ok, said) = placements().await;
    let located = format!("located {} incident(s)", rows.len());
    assert!(
        ok && said.contains(&located) && said.contains("0 lie in another cell than stored, 0 in no cell"),
        "{said}"
    );
    drop(back);
    let conn = rusqlite::Connection::open(dir.path().join("safegrid.gpkg")).unwrap();
    let wrong = rows.iter().find(|r| r.cell_code != kept).unwrap().id.0;
    conn.execute(
        "UPDATE incidents SET cell_code = ?1 WHERE fid = ?2",
        rusqlite::params![kept.to_string(), wrong as i64],
    )
    .unwrap();
    drop(conn);
    let (ok, said) = placements().await;
    assert!(
        !ok && said.contains("1 lie in another cell than stored") && said.contains(&format!("  {wrong} -> ")),
        "{said}"
    );
}

/// Largest coordinate difference between two worlds' cells, degrees.
fn max_shift(a: &WorldFile, b: &WorldFile) -> f64 {
    assert_eq!(a.cells.len(), b.cells.len());
    a.cells
        .iter()
        .zip(&b.cells)
        .flat_map(|(x, y)| x.boundary.coords_iter().zip(y.boundary.coords_iter()))
        .map(|(p, q)| (p.x - q.x).abs().max((p.y - q.y).abs()))
        .fold(0.0, f64::max)
}

#[tokio::test]
async fn other_coordinate_systems_read_back_to_the_same_places() {
    let dir = tempfile::tempdir().unwrap();
    tests::demo_store(dir.path()).await;
    let file = exported(dir.path()).await;
    let original = read_world(&file, None).unwrap().world;
    if tool("ogr2ogr") {
        // GDAL (PROJ) reprojects to a CGCS2000 Gauss-Krüger zone and to CGCS2000 geographic.
        for epsg in ["EPSG:4543", "EPSG:4522", "EPSG:4490"] {
            let out = dir.path().join(format!("{}.gpkg", epsg.replace(':', "_")));
            let status = std::process::Command::new("ogr2ogr")
                .args(["-f", "GPKG", "-t_srs", epsg])
                .arg(&out)
                .arg(&file)
                .status()
                .unwrap();
            assert!(status.success(), "ogr2ogr to {epsg}");
            let read = read_world(&out, None).unwrap();
            assert!(read.notes.iter().any(|n| n.contains(epsg)), "{:?}", read.notes);
            let shift = max_shift(&original, &read.world);
            assert!(shift < 1e-7, "{epsg}: cells moved by {shift}°");
            let report = validate(&read.world, &Rules::default());
            assert!(report.is_valid(), "{epsg}: {:?}", report.errors().take(3).collect::<Vec<_>>());
        }
    }
    // A folder of GeoJSON layers with Chinese field names, in GCJ-02, saying nothing of it.
    let folder = dir.path().join("gcj02");
    std::fs::create_dir(&folder).unwrap();
    let gcj = |c: geo::Coord<f64>| {
        let (x, y) = analytics::crs::wgs84_to_gcj02(c.x, c.y);
        serde_json::json!([x, y])
    };
    let features: Vec<serde_json::Value> = original
        .cells
        .iter()
        .map(|c| {
            let polygons: Vec<serde_json::Value> = c
                .boundary
                .0
                .iter()
                .map(|p| {
                    serde_json::json!(
                        std::iter::once(p.exterior())
                            .chain(p.interiors())
                            .map(|r| r.0.iter().map(|c| gcj(*c)).collect::<Vec<_>>())
                            .collect::<Vec<_>>()
                    )
                })
                .collect();
            serde_json::json!({"type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                "properties": {"网格编码": c.code, "网格名称": c.name, "人口": c.population, "户数": c.households}})
        })
        .collect();
    std::fs::write(
        folder.join("cells.geojson"),
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let read = read_world(&folder, Some(analytics::crs::Crs::Gcj02)).unwrap();
    assert_eq!(read.layers, [world::Layer::Cells]);
    let mut cells_only = original.clone();
    cells_only.cells.iter_mut().for_each(|c| c.village_code.clear());
    let shift = max_shift(&cells_only, &read.world);
    assert!(shift < 1e-6, "GCJ-02 cells moved by {shift}°");
    assert_eq!(read.world.cells[0].name, original.cells[0].name);
    // Without --crs it is read as GeoJSON's WGS84, hundreds of metres off: the note says so.
    let plain = read_world(&folder, None).unwrap();
    assert!(plain.notes[0].contains("GeoJSON default"), "{:?}", plain.notes);
    assert!(max_shift(&original, &plain.world) > 1e-3);
    // A GeoPackage that does not say its system needs --crs.
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute("UPDATE gpkg_geometry_columns SET srs_id = 0 WHERE table_name = 'cells'", []).unwrap();
    drop(conn);
    let err = read_world(&file, None).unwrap_err().to_string();
    assert!(err.contains("cells") && err.contains("--crs"), "{err}");
    assert!(read_world(&file, Some(analytics::crs::Crs::Cgcs2000)).is_ok());
}

#[test]
fn the_readme_names_every_field_of_every_layer_with_an_alias() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme.split("## The city's base data").nth(1).expect("the README has the world-file section");
    for layer in world::Layer::ALL {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", layer.as_str())))
            .unwrap_or_else(|| panic!("no README row for {}", layer.as_str()));
        for f in store::world_file::fields(layer) {
            assert!(row.contains(&format!("`{}`", f.name)), "README row {} lacks {}", layer.as_str(), f.name);
            if let Some(alias) = f.aliases.iter().find(|a| !a.is_ascii()) {
                assert!(row.contains(alias), "README row {} lacks the alias {alias} of {}", layer.as_str(), f.name);
            }
        }
    }
}

#[tokio::test]
async fn administrators_and_the_command_centre_read_the_versions_over_http() {
    let w = tests::TestWorld::new(1_000).await;
    let (status, versions) = w.get_as(model::auth::Role::Admin, "/api/world/versions").await;
    assert_eq!(status, 200, "{versions}");
    let read: Vec<store::WorldVersion> = tests::typed(&versions);
    assert_eq!(read.iter().map(|v| v.version).collect::<Vec<_>>(), [1], "the whole-store write is version 1");
    assert_eq!(
        w.get_as(model::auth::Role::City, "/api/world/versions").await.0,
        200,
        "the command centre edits the base data"
    );
    assert_eq!(w.get_as(model::auth::Role::County, "/api/world/versions").await.0, 403);
    assert_eq!(w.get_as(model::auth::Role::Admin, "/api/world/versions?x=1").await.0, 400);
}

/// Zips the Shapefile parts GDAL wrote into `dir` as `out`.
fn zip_dir(dir: &Path, out: &Path) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        zip.start_file(p.file_name().unwrap().to_string_lossy(), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&std::fs::read(&p).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[tokio::test]
async fn zipped_shapefiles_in_gbk_and_a_gauss_kruger_zone_read_back_to_the_same_world() {
    if !tool("ogr2ogr") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    tests::demo_store(dir.path()).await;
    let file = exported(dir.path()).await;
    let original = read_world(&file, None).unwrap().world;
    // As a surveying bureau delivers them: cells in CGCS2000 / 3-degree Gauss-Krüger CM 102E with
    // GBK attributes, regions and resources in WGS84 with UTF-8 ones, all in one zip.
    let shp = dir.path().join("shp");
    std::fs::create_dir(&shp).unwrap();
    for (layer, srs, encoding) in
        [("cells", "EPSG:4543", "GBK"), ("regions", "EPSG:4326", "UTF-8"), ("resources", "EPSG:4326", "UTF-8")]
    {
        let status = std::process::Command::new("ogr2ogr")
            .args(["-f", "ESRI Shapefile", "-t_srs", srs, "-lco", &format!("ENCODING={encoding}")])
            .arg(shp.join(format!("{layer}.shp")))
            .arg(&file)
            .arg(layer)
            .status()
            .unwrap();
        assert!(status.success(), "ogr2ogr {layer}");
    }
    let zipped = dir.path().join("city.zip");
    zip_dir(&shp, &zipped);
    let read = read_world(&zipped, None).unwrap();
    assert_eq!(read.layers, [world::Layer::Regions, world::Layer::Cells, world::Layer::Resources]);
    assert!(read.notes.iter().any(|n| n.starts_with("cells:") && n.contains("102°E")), "{:?}", read.notes);
    // Names in Chinese survive GBK; places survive the projection (within 1e-7°, about 1 cm).
    assert_eq!(
        read.world.cells.iter().map(|c| (&c.code, &c.name)).collect::<Vec<_>>(),
        original.cells.iter().map(|c| (&c.code, &c.name)).collect::<Vec<_>>()
    );
    let shift = max_shift(&original, &read.world);
    assert!(shift < 1e-7, "cells moved by {shift}°");
    assert_eq!(read.world.regions.len(), original.regions.len());
    assert_eq!(read.world.regions[5].parent_code, original.regions[5].parent_code, "parent_cod is parent_code");
    let camera = |w: &WorldFile| w.resources.iter().find(|r| r.kind == "camera").cloned().unwrap();
    assert_eq!(camera(&read.world).heading_deg, camera(&original).heading_deg, "heading_de is heading_deg");
    // Merged over the stored world (the other layers kept), it is valid and changes nothing.
    let merged = store::world_file::merged(&original, &read);
    assert!(validate(&merged, &Rules::default()).is_valid());
    let d = difference(&original, &merged);
    assert!(d.is_empty(), "a projection's round trip and the Shapefile's windings change nothing: {d:?}");
}
