//! Patrol plans and prevention coverage through the API: a plan keeps the patrol rules and its
//! units and stops inside the jurisdiction, beats the nearest-first baseline, honours pins and
//! exclusions, exports as GeoJSON and CSV; bad plans are 4xx naming the field; coverage scores
//! follow their definition and the camera shares agree with a brute-force scan; blind spots and
//! site suggestions.

use analytics::TransverseMercator;
use analytics::coverage::CameraSector;
use chrono::{DateTime, Duration, Utc};
use model::auth::Role;
use model::{CellCode, ResourceKind};
use serde_json::{Value, json};
use tests::TestWorld;

/// Patrol units whose station lies in `region`.
fn units_in(w: &TestWorld, region: &str) -> Vec<u64> {
    let region: model::RegionCode = region.parse().unwrap();
    w.state
        .geography
        .resources()
        .iter()
        .filter(|r| r.kind == ResourceKind::PatrolUnit && region.contains(r.region_code))
        .map(|r| r.id)
        .collect()
}

fn shift_start(w: &TestWorld) -> DateTime<Utc> {
    w.state.clock.now() + Duration::hours(1)
}

async fn plan_as(w: &TestWorld, role: Role, body: Value) -> (u16, Value) {
    let (s, v) = w.post_as(role, "/api/plans", body.to_string()).await;
    (s.as_u16(), v)
}

#[tokio::test]
async fn a_plan_keeps_the_rules_stays_in_the_jurisdiction_and_beats_nearest_first() {
    let w = TestWorld::new(6_000).await;
    let units = units_in(&w, "620602000000");
    assert!(units.len() >= 4, "demo has patrol units in Liangzhou");
    let units = &units[..4];
    let start = shift_start(&w);
    let (s, p) = plan_as(&w, Role::County, json!({"shift_start": start, "shift_hours": 6, "units": units})).await;
    assert_eq!(s, 200, "{p}");
    let (coverage, naive) = (p["coverage"].as_f64().unwrap(), p["naive_coverage"].as_f64().unwrap());
    assert!(coverage > 0.0 && coverage <= 1.0, "{coverage}");
    assert!(coverage >= naive, "planned {coverage} < nearest-first {naive}");
    let end = start + Duration::hours(6);
    let mut owners = std::collections::HashMap::new();
    let mut visited = 0;
    for u in p["units"].as_array().unwrap() {
        let stops = u["stops"].as_array().unwrap();
        let mut last: DateTime<Utc> = start;
        let mut first_visit: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
        for st in stops {
            let code = st["cell_code"].as_str().unwrap().to_owned();
            assert!(code.starts_with("620602"), "stop outside the county: {st}");
            let arrive: DateTime<Utc> = st["arrive"].as_str().unwrap().parse().unwrap();
            let leave: DateTime<Utc> = st["leave"].as_str().unwrap().parse().unwrap();
            assert_eq!(leave - arrive, Duration::minutes(15));
            assert!(arrive >= last && leave <= end, "{st}");
            if let Some(prev) = first_visit.insert(code.clone(), arrive) {
                assert!(arrive - prev >= Duration::minutes(120), "revisit too soon: {st}");
            }
            assert_eq!(*owners.entry(code).or_insert(u["unit"].clone()), u["unit"]);
            last = leave;
            visited += 1;
        }
        assert!(u["route"].as_array().unwrap().len() >= 2);
        let back: DateTime<Utc> = u["back_at"].as_str().unwrap().parse().unwrap();
        assert!(back <= end && back >= last);
    }
    assert!(visited > 0);
    // The same request plans the same (the seed comes from the shift start); GeoJSON and CSV.
    let body = json!({"shift_start": start, "shift_hours": 6, "units": units});
    let (_, again) = plan_as(&w, Role::County, body.clone()).await;
    assert_eq!(again["units"], p["units"]);
    let (s, g) = w.post_as(Role::County, "/api/plans?format=geojson", body.to_string()).await;
    assert_eq!(s, 200);
    let feats = g["features"].as_array().unwrap();
    assert_eq!(feats.iter().filter(|f| f["geometry"]["type"] == "LineString").count(), 4);
    assert_eq!(feats.iter().filter(|f| f["geometry"]["type"] == "Point").count(), visited);
    let (s, csv) = w.post_as(Role::County, "/api/plans?format=csv", body.to_string()).await;
    assert_eq!(s, 200);
    assert_eq!(csv.as_str().unwrap().trim_end().lines().count(), visited + 1);
    // Pins and exclusions: a quiet cell pinned is visited, the riskiest stop excluded is not.
    let riskiest = p["units"][0]["stops"][0]["cell_code"].as_str().unwrap().to_owned();
    let quiet = w.state.geography.cells()[w.state.geography.cell_range("620602001000".parse().unwrap()).start as usize]
        .cell
        .code
        .to_string();
    let (s, q) = plan_as(
        &w,
        Role::County,
        json!({"shift_start": start, "shift_hours": 6, "units": units, "pinned": [quiet], "excluded": [riskiest]}),
    )
    .await;
    assert_eq!(s, 200, "{q}");
    let codes: Vec<&str> = q["units"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["stops"].as_array().unwrap())
        .map(|s| s["cell_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&quiet.as_str()), "pinned {quiet} not visited");
    assert!(!codes.contains(&riskiest.as_str()), "excluded {riskiest} visited");
}

#[tokio::test]
async fn bad_plans_are_refused_naming_the_field() {
    let w = TestWorld::new(1_000).await;
    let inside = units_in(&w, "620602001000");
    let outside = units_in(&w, "620623000000");
    let start = shift_start(&w);
    let cases = [
        (json!({"shift_start": start, "units": []}), 422, "units"),
        (json!({"shift_start": start, "units": [987_654_321]}), 422, "units[0]"),
        (json!({"shift_start": start, "units": [inside[0], outside[0]]}), 422, "units[1]"),
        (json!({"shift_start": start, "units": [inside[0], inside[0]]}), 422, "units[1]"),
        (json!({"shift_start": start - Duration::hours(5), "units": [inside[0]]}), 422, "shift_start"),
        (json!({"shift_start": start, "shift_hours": 0, "units": [inside[0]]}), 422, "shift_hours"),
        (json!({"shift_start": start, "dwell_min": 0, "units": [inside[0]]}), 422, "dwell_min"),
        (json!({"shift_start": start, "units": [inside[0]], "pinned": ["620623100001001"]}), 422, "pinned[0]"),
        (json!({"shift_start": start, "units": [inside[0]], "colour": "red"}), 422, "colour"),
        (json!({"units": [inside[0]]}), 422, "shift_start"),
    ];
    for (body, status, field) in cases {
        let (s, e) = plan_as(&w, Role::Township, body.clone()).await;
        assert_eq!((s, e["error"]["field"].as_str()), (status, Some(field)), "{body}: {e}");
    }
    let (s, _) = plan_as(&w, Role::Analyst, json!({"shift_start": start, "units": [inside[0]]})).await;
    assert_eq!(s, 403, "analysts do not plan");
    let (s, _) = w
        .post_as(
            Role::Township,
            "/api/plans?format=pdf",
            json!({"shift_start": start, "units": [inside[0]]}).to_string(),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn coverage_scores_follow_their_definition_and_cameras_agree_with_a_scan() {
    let w = TestWorld::new(6_000).await;
    let (s, c) = w.get("/api/coverage?region=620602000000").await;
    assert_eq!(s, 200, "{c}");
    let feats = c["features"].as_array().unwrap();
    assert_eq!(feats.len() as u32, {
        let r = w.state.geography.cell_range("620602000000".parse().unwrap());
        r.end - r.start
    });
    let busiest = feats.iter().map(|f| f["properties"]["incidents"].as_u64().unwrap()).max().unwrap();
    assert!(busiest > 0);
    for f in feats {
        let p = &f["properties"];
        let (risk, strength, gap) =
            (p["risk"].as_f64().unwrap(), p["strength"].as_f64().unwrap(), p["gap"].as_f64().unwrap());
        let legs = [p["human"].as_f64().unwrap(), p["physical"].as_f64().unwrap(), p["technical"].as_f64().unwrap()];
        assert!(legs.iter().all(|l| (0.0..=1.0).contains(l)), "{p}");
        assert!((strength - legs.iter().sum::<f64>() / 3.0).abs() < 1e-9, "{p}");
        assert!((risk - p["incidents"].as_f64().unwrap() / busiest as f64).abs() < 1e-9, "{p}");
        assert!((gap - risk * (1.0 - strength)).abs() < 1e-9, "{p}");
        // 物防 is checkpoints alone: key places are places to protect.
        let checkpoints = p["counts"]["checkpoints"].as_f64().unwrap();
        assert!((legs[1] - (1.0 - (-checkpoints).exp())).abs() < 1e-12, "{p}");
    }
    let places_alone = feats
        .iter()
        .filter(|f| f["properties"]["counts"]["key_places"].as_u64() > Some(0))
        .filter(|f| f["properties"]["counts"]["checkpoints"] == 0)
        .count();
    assert!(places_alone > 0, "some cell has key places and no checkpoint, and its 物防 is 0");
    let (_, places) = w.get("/api/resources?kind=key_place&region=620602000000").await;
    let first = &places["features"][0]["properties"];
    assert_eq!((first["kind"].as_str(), &first["prevention"]), (Some("key_place"), &Value::Null), "{first}");
    // The camera incident share against a linear scan over every camera of the city.
    let utm = TransverseMercator::utm(48, true);
    let cameras: Vec<CameraSector> = w
        .state
        .geography
        .resources()
        .iter()
        .filter_map(|r| {
            let v = r.camera?;
            let (x_m, y_m) = utm.forward(r.lon, r.lat);
            Some(CameraSector { x_m, y_m, heading_deg: v.heading_deg, fov_deg: v.fov_deg, range_m: v.range_m })
        })
        .collect();
    let now = w.state.clock.now();
    let rows = w.state.store.load_incident_rows().await.unwrap();
    let mut checked = 0;
    for f in feats.iter().filter(|f| f["properties"]["incidents"].as_u64().unwrap() > 0).take(40) {
        let code: CellCode = f["properties"]["cell_code"].as_str().unwrap().parse().unwrap();
        let recent: Vec<_> = rows
            .iter()
            .filter(|r| {
                r.cell_code == code
                    && r.occurred_s >= (now - Duration::days(90)).timestamp()
                    && r.occurred_s < now.timestamp()
            })
            .collect();
        assert_eq!(recent.len() as u64, f["properties"]["incidents"].as_u64().unwrap(), "{code}");
        let seen = recent
            .iter()
            .filter(|r| {
                let (x, y) = utm.forward(r.lon, r.lat);
                cameras.iter().any(|c| c.contains(x, y))
            })
            .count();
        let share = f["properties"]["camera_incident_share"].as_f64().unwrap();
        assert!((share - seen as f64 / recent.len() as f64).abs() < 1e-9, "{code}: {share} vs {seen}/{}", recent.len());
        checked += 1;
    }
    assert!(checked > 0);
    // Planned visits strengthen the human leg of their cell.
    let code = feats[0]["properties"]["cell_code"].as_str().unwrap();
    let (_, with) = w.get(&format!("/api/coverage?region={code}&planned={code},{code}")).await;
    let before = feats[0]["properties"]["human"].as_f64().unwrap();
    let after = with["features"][0]["properties"]["human"].as_f64().unwrap();
    assert!(after > before, "{before} → {after}");
    assert_eq!(with["features"][0]["properties"]["counts"]["planned_visits"], 2);
    let (s, e) = w.get("/api/coverage?planned=12x").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("planned")));
}

#[tokio::test]
async fn blind_spots_are_unwatched_hot_spots_and_suggestions_cover_unprotected_incidents() {
    let w = TestWorld::new(6_000).await;
    let (_, c) = w.get("/api/coverage").await;
    let hot: Vec<&Value> =
        c["features"].as_array().unwrap().iter().filter(|f| f["properties"]["hot_spot"] == true).collect();
    assert!(!hot.is_empty());
    let expected: Vec<&str> = hot
        .iter()
        .filter(|f| f["properties"]["camera_incident_share"] == json!(0.0))
        .map(|f| f["properties"]["cell_code"].as_str().unwrap())
        .collect();
    let (s, b) = w.get("/api/coverage/blind-spots").await;
    assert_eq!(s, 200);
    let mut got: Vec<&str> =
        b["features"].as_array().unwrap().iter().map(|f| f["properties"]["cell_code"].as_str().unwrap()).collect();
    let mut want = expected.clone();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    for kind in ["camera", "checkpoint"] {
        let (s, g) = w.get(&format!("/api/coverage/suggestions?kind={kind}&n=5")).await;
        assert_eq!(s, 200, "{g}");
        let feats = g["features"].as_array().unwrap();
        assert!(!feats.is_empty() && feats.len() <= 5, "{kind}");
        let covers: Vec<f64> = feats.iter().map(|f| f["properties"]["covers_incidents"].as_f64().unwrap()).collect();
        assert!(covers.windows(2).all(|p| p[0] >= p[1]), "greedy gains never grow: {covers:?}");
        assert!(covers[0] >= 1.0);
    }
    let (s, e) = w.get("/api/coverage/suggestions?kind=drone").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("kind")));
    let (s, e) = w.get("/api/coverage/suggestions?n=0").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("n")));
}

#[tokio::test]
async fn with_a_road_network_routes_follow_the_roads_and_dispatch_measures_along_them() {
    let mut w = TestWorld::new(6_000).await;
    let units = units_in(&w, "620602000000");
    let unit = units[0];
    let start = shift_start(&w);
    let body = json!({"shift_start": start, "shift_hours": 6, "units": [unit]});
    let (s, straight) = plan_as(&w, Role::County, body.clone()).await;
    assert_eq!(s, 200, "{straight}");
    // Roads from the station to each planned stop through a bend 0.05° (5.5 km) to the north.
    let station = &straight["units"][0]["station"];
    let (sx, sy) = (station[0].as_f64().unwrap(), station[1].as_f64().unwrap());
    let mut lines = Vec::new();
    let mut bends = Vec::new();
    for st in straight["units"][0]["stops"].as_array().unwrap() {
        let (x, y) = (st["lon"].as_f64().unwrap(), st["lat"].as_f64().unwrap());
        let bend = [(sx + x) / 2.0, (sy + y) / 2.0 + 0.05];
        bends.push(bend);
        lines.push(json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[sx, sy], bend, [x, y]]}}));
    }
    let text = json!({"type": "FeatureCollection", "features": lines}).to_string();
    let roads = server::roads::parse(&text, "test roads", w.state.geography.projection()).unwrap();
    w.state.settings = std::sync::Arc::new(server::live::LiveSettings {
        roads: Some(std::sync::Arc::new(roads)),
        ..(*w.state.settings).clone()
    });
    let (s, on_roads) = plan_as(&w, Role::County, body).await;
    assert_eq!(s, 200, "{on_roads}");
    let route = on_roads["units"][0]["route"].as_array().unwrap();
    let near = |p: &Value, b: &[f64; 2]| {
        (p[0].as_f64().unwrap() - b[0]).abs() < 1e-4 && (p[1].as_f64().unwrap() - b[1]).abs() < 1e-4
    };
    assert!(route.iter().any(|p| bends.iter().any(|b| near(p, b))), "the route follows a road through a bend");
    // Dispatch: the unit's ETA to its first stop is measured along the road (longer than the
    // straight line × detour would be for this bent road).
    let first = &straight["units"][0]["stops"][0];
    let (lon, lat) = (first["lon"].as_f64().unwrap(), first["lat"].as_f64().unwrap());
    let f = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"category": "traffic", "occurred_at": (w.state.clock.now() - Duration::minutes(5)).to_rfc3339()}});
    let (s, created) = w.post("/api/incidents", f.to_string()).await;
    assert_eq!(s, 201, "{created}");
    let (s, d) = w.get(&format!("/api/incidents/{}/dispatch?k=50", created["id"])).await;
    assert_eq!(s, 200, "{d}");
    let mine = d["units"].as_array().unwrap().iter().find(|u| u["unit"] == json!(unit)).expect("the unit is suggested");
    let (road_m, distance_m) = (mine["road_m"].as_f64().unwrap(), mine["distance_m"].as_f64().unwrap());
    assert!(road_m > distance_m * 1.4, "along the bent road: {road_m} m vs straight {distance_m} m");
}
