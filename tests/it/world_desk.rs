//! The base-data desk over HTTP: an uploaded world file checked (report, problem features,
//! difference) and published; grid edits checked and published as versions; who may, inside
//! which jurisdiction, and a publication decided on an old version refused.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use model::auth::Role;
use serde_json::{Value, json};
use server::base_data::export;
use server::config::WorldExportArgs;
use store::NewUser;
use tests::TestWorld;
use world::WorldFile;

/// POST raw `bytes` to `uri` with `token`.
async fn post_bytes(w: &TestWorld, token: &str, uri: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(bytes))
        .unwrap();
    tests::call(w.app(), req).await
}

async fn post_json(w: &TestWorld, token: &str, uri: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    tests::call(w.app(), req).await
}

/// A command-centre user whose jurisdiction is only `region`, signed in: their token.
async fn narrow_city_user(w: &TestWorld, region: &str) -> String {
    w.sign_in_new(NewUser {
        username: format!("city-{region}"),
        password_hash: String::new(),
        role: Role::City,
        jurisdiction: Some(region.parse().unwrap()),
        officer_id: None,
        department: None,
        grid_worker_id: None,
    })
    .await
}

/// The published world as the store holds it.
async fn published(w: &TestWorld) -> WorldFile {
    server::base_data::published_world(w.state.store.as_ref()).await.unwrap().1
}

/// Two cells of one village sharing an edge, the first under `prefix`.
fn neighbours(world: &WorldFile, prefix: &str) -> (String, String) {
    use geo::BooleanOps;
    for (i, a) in world.cells.iter().enumerate().filter(|(_, c)| c.code.starts_with(prefix)) {
        for b in &world.cells[i + 1..] {
            if a.code[..12] == b.code[..12] && a.boundary.union(&b.boundary).0.len() == 1 {
                return (a.code.clone(), b.code.clone());
            }
        }
    }
    panic!("no adjacent cells under {prefix}");
}

fn layer<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["changes"].as_array().unwrap().iter().find(|l| l["layer"] == name).unwrap()
}

#[tokio::test]
async fn grid_edits_are_checked_then_published_as_versions_inside_the_jurisdiction() {
    let w = TestWorld::new(2_000).await;
    let city = w.token(Role::City).to_owned();
    let world = published(&w).await;
    let (keep, absorb) = neighbours(&world, "620602");
    let merge = json!({"base_version": 1, "edits": [{"op": "merge_cells", "keep": keep, "absorb": absorb}]});

    // Only administrators and the command centre edit the base data.
    for role in [Role::County, Role::Township, Role::Village, Role::Analyst] {
        let (s, e) = post_json(&w, w.token(role), "/api/world/edits/check", &merge).await;
        assert_eq!(s, 403, "{role:?}: {e}");
        let (s, _) = w.get_as(role, "/api/world/versions").await;
        assert_eq!(s, 403, "{role:?}");
    }

    // The check: valid, what changes, nothing stored.
    let (s, check) = post_json(&w, &city, "/api/world/edits/check", &merge).await;
    assert_eq!(s, 200, "{check}");
    let check: model::api::world::WorldCheck = tests::typed(&check);
    assert!(check.valid, "{:?}", check.problems.iter().filter(|p| p.severity == "error").collect::<Vec<_>>());
    assert_eq!(check.base_version, 1);
    assert!(check.outside_jurisdiction.is_none());
    let cells = check.changes.iter().find(|l| l.layer == "cells").unwrap();
    assert_eq!((cells.changed.clone(), cells.removed.clone()), (vec![keep.clone()], vec![absorb.clone()]));
    assert_eq!(published(&w).await, world, "a check stores nothing");

    // Edits that cannot be made name the edit and its member.
    let bad = json!({"base_version": 1, "edits": [
        {"op": "edit_cell", "code": keep, "population": 5},
        {"op": "merge_cells", "keep": keep, "absorb": keep}]});
    let (s, e) = post_json(&w, &city, "/api/world/edits", &bad).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("edits[1].absorb")), "{e}");
    let (s, e) = post_json(&w, &city, "/api/world/edits", &json!({"base_version": 1, "edits": []})).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("edits")), "{e}");
    let (s, e) =
        post_json(&w, &city, "/api/world/edits", &json!({"base_version": 1, "edits": [{"op": "paint_cell"}]})).await;
    assert_eq!((s.as_u16(), e["error"]["code"].as_str()), (422, Some("validation")), "{e}");

    // A command centre limited to 民勤县 may look at a change in 凉州区, not publish it.
    let minqin = narrow_city_user(&w, "620621000000").await;
    let (s, check) = post_json(&w, &minqin, "/api/world/edits/check", &merge).await;
    assert_eq!(s, 200, "{check}");
    assert_eq!(check["outside_jurisdiction"]["code"], keep.as_str(), "{check}");
    let (s, e) = post_json(&w, &minqin, "/api/world/edits", &merge).await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(w.state.store.world_versions().await.unwrap().len(), 1, "nothing published");

    // Published: a new version by the user, the incidents of the absorbed cell now in the kept one.
    let (s, done) = post_json(&w, &city, "/api/world/edits", &merge).await;
    assert_eq!(s, 200, "{done}");
    let done: model::api::world::WorldPublished = tests::typed(&done);
    assert_eq!(done.version, 2);
    let now = published(&w).await;
    assert_eq!(now.cells.len(), world.cells.len() - 1);
    assert!(now.cells.iter().all(|c| c.code != absorb));
    let rows = w.state.store.load_incident_rows().await.unwrap();
    assert!(rows.iter().all(|r| r.cell_code.to_string() != absorb), "no incident left in the absorbed cell");
    let (s, versions) = w.get_as(Role::City, "/api/world/versions").await;
    assert_eq!(s, 200);
    assert_eq!(versions[1]["by"], "city", "{versions}");
    assert!(versions[1]["note"].as_str().unwrap().contains("merge_cells"), "{versions}");
    let (_, audit) = w.get_as(Role::Admin, "/api/audit?action=publish_world").await;
    let entry = audit.as_array().unwrap().iter().find(|a| a["action"] == "publish_world").unwrap();
    assert_eq!((entry["actor"].as_str(), entry["role"].as_str()), (Some("city"), Some("city")), "{entry}");

    // The same edits again, decided on version 1, are stale now.
    let (s, e) = post_json(&w, &city, "/api/world/edits", &merge).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (409, Some("base_version")), "{e}");

    // A camera added with its direction, then a split: each a version.
    let village = now.regions.iter().find(|r| r.code.starts_with("620602") && r.level == "village").unwrap();
    let at = geo::InteriorPoint::interior_point(&village.boundary).unwrap();
    let add = json!({"base_version": 2, "edits": [{"op": "add_resource", "kind": "camera", "name": "新增探头",
        "lon": at.x(), "lat": at.y(), "heading_deg": 135.0, "fov_deg": 70.0, "range_m": 120.0}]});
    let (s, done) = post_json(&w, &city, "/api/world/edits", &add).await;
    assert_eq!((s.as_u16(), done["version"].as_u64()), (200, Some(3)), "{done}");
    let cams = published(&w).await.resources.into_iter().filter(|r| r.name == "新增探头").collect::<Vec<_>>();
    assert_eq!(cams.len(), 1);
    assert_eq!((cams[0].heading_deg, cams[0].region_code.as_str()), (Some(135.0), village.code.as_str()));
    let (s, e) = post_json(
        &w,
        &city,
        "/api/world/edits",
        &json!({"base_version": 3, "edits": [
        {"op": "add_resource", "kind": "camera", "name": "x", "lon": 0.5, "lat": 0.5}]}),
    )
    .await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("edits[0].lon")), "{e}");
}

#[tokio::test]
async fn an_uploaded_file_shows_its_problems_and_difference_before_it_is_published() {
    let w = TestWorld::new(1_000).await;
    let admin = w.token(Role::Admin).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.gpkg");
    export(WorldExportArgs { store: tests::store_args(w.dir.path()), out: file.clone() }).await.unwrap();

    // The published world itself: valid, nothing to publish.
    let bytes = std::fs::read(&file).unwrap();
    let (s, check) = post_bytes(&w, &admin, "/api/world/check?name=world.gpkg", bytes.clone()).await;
    assert_eq!(s, 200, "{check}");
    assert_eq!((check["valid"].as_bool(), check["errors"].as_u64()), (Some(true), Some(0)), "{check}");
    assert!(
        check["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["added"] == json!([]) && l["changed"] == json!([]) && l["removed"] == json!([]))
    );
    let (s, e) = post_bytes(&w, &admin, "/api/world/publish?name=world.gpkg&base_version=1", bytes).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("file")), "{e}");

    // One layer with two overlapping cells: refused, every problem named and drawn.
    let world = published(&w).await;
    let (a, b) = (&world.cells[0], &world.cells[1]);
    let feature = |code: &str, c: &world::CellRecord| {
        json!({"type": "Feature", "properties": {"code": code, "name": c.name, "population": 10},
            "geometry": server::api::features::multipolygon_json(&c.boundary)})
    };
    let broken = json!({"type": "FeatureCollection", "features": [feature(&a.code, a), feature(&b.code, a)]});
    let (s, check) =
        post_bytes(&w, &admin, "/api/world/check?name=cells.geojson", broken.to_string().into_bytes()).await;
    assert_eq!(s, 200, "{check}");
    let check: model::api::world::WorldCheck = tests::typed(&check);
    assert!(!check.valid);
    assert_eq!(check.layers, ["cells"]);
    let overlap = check.problems.iter().find(|p| p.kind == "overlapping_cells").expect("the overlap is named");
    assert!([&a.code, &b.code].contains(&&overlap.code), "{overlap:?}");
    assert!(overlap.area_m2.unwrap() > 0.0 && overlap.lon.is_some() && !overlap.label_zh.is_empty());
    assert!(check.problems.iter().any(|p| p.kind == "gap_in_village"), "the other cells are missing");
    let drawn = check.highlights["features"].as_array().unwrap();
    assert!(
        drawn
            .iter()
            .any(|f| f["properties"]["code"] == overlap.code.as_str() && f["geometry"]["type"] == "MultiPolygon")
    );
    assert!(layer(&serde_json::to_value(&check).unwrap(), "cells")["removed"].as_array().unwrap().len() > 100);
    let (s, e) =
        post_bytes(&w, &admin, "/api/world/publish?name=cells.geojson&base_version=1", broken.to_string().into_bytes())
            .await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("file")), "{e}");

    // The GeoPackage with one cell renamed: that change, then published.
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute("UPDATE cells SET name = '城东新网格' WHERE code = ?1", [&a.code]).unwrap();
    drop(conn);
    let bytes = std::fs::read(&file).unwrap();
    let (s, check) = post_bytes(&w, &admin, "/api/world/check?name=world.gpkg", bytes.clone()).await;
    assert_eq!(s, 200, "{check}");
    assert_eq!(layer(&check, "cells")["changed"], json!([a.code]), "{check}");
    let (s, done) =
        post_bytes(&w, &admin, "/api/world/publish?name=world.gpkg&base_version=1&note=renamed", bytes.clone()).await;
    assert_eq!((s.as_u16(), done["version"].as_u64()), (200, Some(2)), "{done}");
    assert!(published(&w).await.cells.iter().any(|c| c.name == "城东新网格"));
    let (s, e) = post_bytes(&w, &admin, "/api/world/publish?name=world.gpkg&base_version=1", bytes).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (409, Some("base_version")), "{e}");

    // Names and bytes that are not a world file.
    let (s, e) = post_bytes(&w, &admin, "/api/world/check?name=../../etc/passwd", b"x".to_vec()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("name")), "{e}");
    let (s, e) = post_bytes(&w, &admin, "/api/world/check?name=world.gpkg", b"not a database".to_vec()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("file")), "{e}");
    let (s, e) = post_bytes(&w, &admin, "/api/world/check", b"{}".to_vec()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("name")), "{e}");
    let (s, _) = post_bytes(&w, w.token(Role::County), "/api/world/check?name=world.gpkg", b"x".to_vec()).await;
    assert_eq!(s, 403);
}
