//! Vector tiles, decoded with an independent reader (mvt-reader) and with GDAL.

use axum::body::Body;
use axum::http::Request;
use geo_types::Geometry;
use http_body_util::BodyExt;
use mvt_reader::Reader;
use mvt_reader::feature::Value;
use server::tiles::TileId;
use std::collections::{BTreeMap, BTreeSet};
use tests::{TestWorld, tool};
use tower::ServiceExt;

/// Wuwei's centre (Liangzhou) at zoom `z`.
fn tile_at(z: u8, lon: f64, lat: f64) -> TileId {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat_r = lat.to_radians();
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    TileId { z, x, y }
}

async fn fetch(w: &TestWorld, uri: &str) -> (u16, String, Vec<u8>) {
    let req = Request::get(uri)
        .header("authorization", format!("Bearer {}", w.token(model::auth::Role::City)))
        .body(Body::empty())
        .unwrap();
    let res = w.app().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, cache, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

fn layer(reader: &Reader, name: &str) -> Vec<mvt_reader::feature::Feature> {
    let names = reader.get_layer_names().unwrap();
    match names.iter().position(|n| n == name) {
        Some(i) => reader.get_features(i).unwrap(),
        None => vec![],
    }
}

fn prop<'a>(f: &'a mvt_reader::feature::Feature, k: &str) -> &'a Value {
    f.properties.as_ref().and_then(|p| p.get(k)).unwrap_or(&Value::Null)
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::SInt(i) => *i,
        Value::UInt(u) => *u as i64,
        other => panic!("not an integer: {other:?}"),
    }
}

fn string(v: &Value) -> &str {
    match v {
        Value::String(s) => s,
        other => panic!("not a string: {other:?}"),
    }
}

const WINDOW: &str = "from=2025-11-01T04:00:00Z&to=2026-11-01T04:00:00Z";

#[tokio::test]
async fn incident_tiles_bin_at_low_zoom_and_carry_raw_points_when_zoomed_in() {
    let w = TestWorld::new(20_000).await;
    let rows = w.state.store.load_incident_rows().await.unwrap();
    // Low zoom: binned, and the bins add up to every incident inside the tile.
    let t = tile_at(8, 102.64, 37.93);
    let (status, cache, body) = fetch(&w, &format!("/tiles/incidents/{}/{}/{}.mvt?{WINDOW}", t.z, t.x, t.y)).await;
    assert_eq!(status, 200);
    assert!(cache.starts_with("private"), "{cache}");
    let reader = Reader::new(body).unwrap();
    let meta = reader.get_layer_metadata().unwrap();
    assert_eq!((meta[0].name.as_str(), meta[0].extent, meta[0].version), ("incidents", 4096, 2));
    let bins = layer(&reader, "incidents");
    assert!(bins.iter().all(|f| prop(f, "cluster") == &Value::Bool(true)));
    let b = t.bounds(0.0);
    let inside = rows.iter().filter(|r| b.contains(r.lon, r.lat)).count() as i64;
    let binned: i64 = bins.iter().map(|f| int(prop(f, "count"))).sum();
    // Points exactly on a tile edge may fall to the neighbour: allow a handful.
    assert!((binned - inside).abs() <= 3, "{binned} binned vs {inside} inside");
    // High zoom, one category: raw points, exactly the matching incidents in the buffered tile.
    let t = tile_at(15, 102.64, 37.93);
    let (_, _, body) =
        fetch(&w, &format!("/tiles/incidents/{}/{}/{}.mvt?{WINDOW}&category=criminal", t.z, t.x, t.y)).await;
    let reader = Reader::new(body).unwrap();
    let points = layer(&reader, "incidents");
    let got: BTreeSet<u64> = points.iter().map(|f| f.id.unwrap()).collect();
    let bb = t.bounds(64.0);
    let want: BTreeSet<u64> = rows
        .iter()
        .filter(|r| r.category == model::Category::CRIMINAL && bb.contains(r.lon, r.lat))
        .map(|r| r.id.0)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    for f in &points {
        assert_eq!(string(prop(f, "category")), "criminal");
        let p = match &f.geometry {
            Geometry::Point(p) => *p,
            Geometry::MultiPoint(m) if m.0.len() == 1 => m.0[0],
            other => panic!("not a point: {other:?}"),
        };
        assert!((-64.0..=4160.0).contains(&p.x()) && (-64.0..=4160.0).contains(&p.y()));
    }
}

#[tokio::test]
async fn cell_tiles_carry_the_api_counts_and_changes() {
    let w = TestWorld::new(6_000).await;
    let window = "from=2026-08-01T00:00:00Z&to=2026-11-01T00:00:00Z";
    let t = tile_at(11, 102.64, 37.93);
    // A box on the request does not narrow a cell's count (its incidents in the window), neither
    // for this request nor for the next, answered from the counts kept: asked first.
    let (status, _, boxed) =
        fetch(&w, &format!("/tiles/cells/{}/{}/{}.mvt?{window}&bbox=102.0,37.0,102.001,37.001", t.z, t.x, t.y)).await;
    assert_eq!(status, 200);
    let boxed = layer(&Reader::new(boxed).unwrap(), "cells");
    let (status, _, body) = fetch(&w, &format!("/tiles/cells/{}/{}/{}.mvt?{window}", t.z, t.x, t.y)).await;
    assert_eq!(status, 200);
    let cells = layer(&Reader::new(body).unwrap(), "cells");
    assert!(cells.len() > 10);
    let (_, api) = w.get(&format!("/api/cells?{window}")).await;
    let api_counts: BTreeMap<String, u64> = api["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["properties"]["code"].as_str().unwrap().to_owned(), f["properties"]["count"].as_u64().unwrap()))
        .collect();
    let mut with_prev = 0;
    assert_eq!(boxed.len(), cells.len());
    for f in boxed.iter().chain(&cells) {
        let code = string(prop(f, "code"));
        assert_eq!(int(prop(f, "count")) as u64, api_counts[code], "{code}");
        assert!(matches!(f.geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)));
        if let Value::Double(c) = prop(f, "change_pct_prev") {
            with_prev += 1;
            assert!(*c >= -100.0);
        }
    }
    assert!(with_prev > 0, "period-on-period change present");
    let total: i64 = cells.iter().map(|f| int(prop(f, "count"))).sum();
    let boxed_total: i64 = boxed.iter().map(|f| int(prop(f, "count"))).sum();
    assert!(total > 0 && boxed_total == total, "{boxed_total} counted under a box, {total} without");
    // The category filter changes the counts.
    let (_, _, body) = fetch(&w, &format!("/tiles/cells/{}/{}/{}.mvt?{window}&category=fire", t.z, t.x, t.y)).await;
    let fire: i64 = layer(&Reader::new(body).unwrap(), "cells").iter().map(|f| int(prop(f, "count"))).sum();
    let all: i64 = cells.iter().map(|f| int(prop(f, "count"))).sum();
    assert!(fire < all);
}

#[tokio::test]
async fn region_tiles_deepen_with_zoom() {
    let w = TestWorld::new(500).await;
    let levels = |body: Vec<u8>| -> BTreeSet<String> {
        layer(&Reader::new(body).unwrap(), "regions").iter().map(|f| string(prop(f, "level")).to_owned()).collect()
    };
    let t = tile_at(6, 102.64, 37.93);
    let (_, _, body) = fetch(&w, &format!("/tiles/regions/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    assert_eq!(levels(body.clone()), BTreeSet::from(["county".to_owned()]));
    let labels = layer(&Reader::new(body).unwrap(), "region_labels");
    let names: BTreeSet<&str> = labels.iter().map(|f| string(prop(f, "name"))).collect();
    assert!(names.contains("凉州区"), "{names:?}");
    let t = tile_at(11, 102.64, 37.93);
    let (_, _, body) = fetch(&w, &format!("/tiles/regions/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    assert!(levels(body).contains("village"));
}

#[tokio::test]
async fn bad_tile_requests_are_rejected() {
    let w = TestWorld::new(500).await;
    for (uri, status) in [
        ("/tiles/incidents/3/8/0.mvt", 400),
        ("/tiles/incidents/30/0/0.mvt", 400),
        ("/tiles/incidents/3/0/0.png", 400),
        ("/tiles/incidents/3/0/0.mvt?category=crime", 400),
        ("/tiles/incidents/3/0/0.mvt?colour=red", 400),
        ("/tiles/roads/3/0/0.mvt", 404),
    ] {
        let (s, body) = w.get(uri).await;
        assert_eq!(s.as_u16(), status, "{uri}: {body}");
        assert!(body["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn gdal_reads_our_tiles() {
    if !tool("ogrinfo") {
        return;
    }
    let w = TestWorld::new(3_000).await;
    let t = tile_at(12, 102.64, 37.93);
    let (_, _, body) = fetch(&w, &format!("/tiles/cells/{}/{}/{}.mvt?{WINDOW}", t.z, t.x, t.y)).await;
    let n = layer(&Reader::new(body.clone()).unwrap(), "cells").len();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}-{}-{}.mvt", t.z, t.x, t.y));
    std::fs::write(&path, &body).unwrap();
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", "-al", "-oo"])
        .arg(format!("Z={}", t.z))
        .args(["-oo", &format!("X={}", t.x), "-oo", &format!("Y={}", t.y)])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Layer name: cells"), "{text}");
    assert!(text.contains(&format!("Feature Count: {n}")), "{n} features expected in\n{text}");
    // GDAL georeferences the tile in EPSG:3857: around x = 102.64° × 111,319.49 m ≈ 11,425,833 m.
    let extent = text.lines().find_map(|l| l.strip_prefix("Extent: (")).unwrap();
    let min_x: f64 = extent.split(',').next().unwrap().trim().parse().unwrap();
    assert!((11_400_000.0..11_430_000.0).contains(&min_x), "{extent}");
}
