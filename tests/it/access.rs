//! The access matrix: every route of the router (taken from the router's own list, so a new
//! route cannot escape) × every role and the anonymous caller × a target inside and one outside
//! the caller's jurisdiction. Fails if any answer shows data outside the jurisdiction.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::FutureExt;
use geo::InteriorPoint;
use model::auth::Role;
use model::scope::Scope;
use serde_json::{Value, json};
use server::api::{Access, route_list};
use std::collections::BTreeSet;
use store::IncidentRow;
use tests::{TEST_PASSWORD, TestWorld, call};

/// Tianzhu county: outside every restricted test user's jurisdiction.
const OUTSIDE_COUNTY: &str = "620623000000";

struct Probe<'a> {
    w: &'a TestWorld,
    requests: usize,
}

impl Probe<'_> {
    async fn send(&mut self, role: Option<Role>, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.requests += 1;
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(r) = role {
            req = req.header("authorization", format!("Bearer {}", self.w.token(r)));
        }
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        call(self.w.app(), req.body(body).unwrap()).await
    }
}

fn tile_of(z: u8, lon: f64, lat: f64) -> (u8, u32, u32) {
    let n = f64::from(1u32 << z);
    let lat_r = lat.to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (z, x, y)
}

fn codes(fc: &Value, key: &str) -> Vec<String> {
    fc["features"]
        .as_array()
        .map_or(vec![], |a| a.iter().map(|f| f["properties"][key].as_str().unwrap_or("").to_owned()).collect())
}

fn mvt_features(body: &[u8]) -> Vec<mvt_reader::feature::Feature> {
    let reader = mvt_reader::Reader::new(body.to_vec()).unwrap();
    let n = reader.get_layer_names().unwrap().len();
    (0..n).flat_map(|i| reader.get_features(i).unwrap()).collect()
}

#[tokio::test]
async fn no_route_shows_data_outside_the_callers_jurisdiction() {
    let w = TestWorld::new(4_000).await;
    let users = w.state.store.users().await.unwrap();
    // Every jurisdiction holds at least one incident (a village officer's villages may have none).
    for u in users.iter().filter(|u| u.role.sees_situation()) {
        let scope = server::auth::scope_of(u, &w.state.live.desk(), &w.state.geography);
        // The first cell of the jurisdiction: of its first region, or its first single cell.
        let first = match scope.roots().first() {
            Some(root) => w.state.geography.cell_range(*root).start,
            None => w.state.geography.cells_in(&scope).ranges().unwrap()[0].start,
        };
        let cell = &w.state.geography.cells()[first as usize];
        let pt = cell.boundary.interior_point().unwrap();
        let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                          "properties": {"category": "dispute", "occurred_at": "2026-10-30T08:00:00Z",
                                         "reporter_name": "王五", "reporter_phone": "13912345678"}});
        assert_eq!(w.post("/api/incidents", body.to_string()).await.0, 201);
    }
    // An alert in Tianzhu (outside every restricted user): an incident at one of its key places.
    let place = w
        .state
        .geography
        .resources()
        .iter()
        .find(|r| {
            r.kind == model::ResourceKind::KeyPlace
                && r.region_code.to_string().starts_with("620623")
                && w.state.geography.locate(r.lon, r.lat).is_some()
        })
        .unwrap();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                      "properties": {"category": "public_order", "occurred_at": "2026-11-01T03:00:00Z"}});
    assert_eq!(w.post("/api/incidents", body.to_string()).await.0, 201);
    let (_, alerts) = w.get("/api/alerts").await;
    let outside_alert =
        alerts.as_array().unwrap().iter().find(|a| a["kind"] == "geofence").unwrap()["id"].as_u64().unwrap();
    // Desk records outside every restricted user: a dispute, a visit with a photo, an officer.
    let g = &w.state.geography;
    let outside_village = g
        .regions()
        .iter()
        .find(|r| r.region.level == model::RegionLevel::Village && r.region.code.to_string().starts_with("620623"))
        .unwrap()
        .region
        .code;
    let outside_officer = g
        .officers()
        .iter()
        .find(|o| g.resources().iter().any(|r| r.id == o.station_id && r.region_code.to_string().starts_with("620623")))
        .unwrap()
        .id;
    let dispute = json!({"village": outside_village.to_string(), "kind": "land", "title": "草场边界",
                         "parties": "甲户、乙户", "mediator": "调委会"});
    let (s, d) = w.post("/api/disputes", dispute.to_string()).await;
    assert_eq!(s, 201, "{d}");
    let outside_dispute = d["id"].as_u64().unwrap();
    let petition = json!({"village": outside_village.to_string(), "channel": "visit", "kind": "land",
                          "petitioners": [{"name": "马某", "phone": "13900001111"}], "matter": "草场承包"});
    let (s, pt) = w.post("/api/petitions", petition.to_string()).await;
    assert_eq!(s, 201, "{pt}");
    let outside_petition = pt["id"].as_u64().unwrap();
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let visit = model::desk_book::Visit {
        officer: outside_officer,
        village: outside_village,
        visited_at: w.state.clock.now(),
        place: "牧户".into(),
        people_met: "户主".into(),
        notes: String::new(),
        lon: None,
        lat: None,
        photo: Some("image/png".into()),
        by: "city".into(),
        at: w.state.clock.now(),
    };
    let event = server::desk_records::desk_event(
        model::live::LiveKind::Visit,
        outside_officer,
        "city",
        w.state.clock.now(),
        &visit,
    );
    let photo = store::Photo { content_type: "image/png".into(), bytes: png };
    let outside_visit =
        server::desk_records::record(&w.state, event, store::DeskCheck::Nothing, Some(photo)).await.unwrap().seq;
    w.leave_open(OUTSIDE_COUNTY, 40).await;
    let (_, board) = w.get(&format!("/api/backlog?region={OUTSIDE_COUNTY}")).await;
    let outside_case =
        board["cases"].as_array().unwrap().iter().find(|c| c["origin"] == "event").unwrap()["id"].as_u64().unwrap();
    // 综治 work orders: one in 凉州区 given to the demo department (its staff's only incident),
    // one in Tianzhu (outside every restricted user).
    let order_at = |lon: f64, lat: f64| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"category": "city_management", "occurred_at": "2026-10-31T09:00:00Z",
                              "reporter_name": "赵六", "reporter_phone": "13811112222"}})
    };
    let liangzhou =
        g.cells()[g.cell_range("620602000000".parse().unwrap()).start as usize].boundary.interior_point().unwrap();
    let (s, f) = w.post("/api/incidents", order_at(liangzhou.x(), liangzhou.y()).to_string()).await;
    assert_eq!(s, 201, "{f}");
    let own_order = f["id"].as_u64().unwrap();
    let body = json!({"department": server::boot::DEMO_DEPARTMENT}).to_string();
    let (s, a) = w.post(&format!("/api/incidents/{own_order}/assign"), body).await;
    assert_eq!(s, 200, "{a}");
    let tianzhu =
        g.cells()[g.cell_range(OUTSIDE_COUNTY.parse().unwrap()).start as usize].boundary.interior_point().unwrap();
    let (s, f) = w.post("/api/incidents", order_at(tianzhu.x(), tianzhu.y()).to_string()).await;
    assert_eq!(s, 201, "{f}");
    let outside_order = f["id"].as_u64().unwrap();
    let mut police_call = order_at(tianzhu.x(), tianzhu.y());
    police_call["properties"]["category"] = json!("assistance");
    let (s, f) = w.post("/api/incidents", police_call.to_string()).await;
    assert_eq!(s, 201, "{f}");
    let outside_call = f["id"].as_u64().unwrap();
    // A campaign in Tianzhu (outside every restricted user).
    let campaign = |region: &str| {
        json!({"name": "整治", "region": region, "start": "2026-10-01", "end": "2026-10-20"}).to_string()
    };
    let (s, c) = w.post("/api/campaigns", campaign(OUTSIDE_COUNTY)).await;
    assert_eq!(s, 201, "{c}");
    let outside_campaign = c["id"].as_u64().unwrap();
    let now = w.state.clock.now().timestamp();
    let mut p = Probe { w: &w, requests: 0 };
    let roles: Vec<Option<Role>> = std::iter::once(None).chain(Role::ALL.iter().copied().map(Some)).collect();
    let mut covered = BTreeSet::new();
    let mut failures: Vec<String> = Vec::new();
    for route in route_list() {
        // Read afresh: the POST probes add incidents.
        let rows: Vec<IncidentRow> = w.state.store.load_incident_rows().await.unwrap();
        for &role in &roles {
            let probe = format!("{} {} as {:?}", route.method, route.path, role);
            // Each probe runs to its end or its first failed assertion; a failure is listed and
            // the matrix goes on, so one broken route does not hide the others.
            let outcome = std::panic::AssertUnwindSafe(async {
                let user = role.map(|r| users.iter().find(|u| u.role == r).unwrap().clone());
                let scope = user.as_ref().map_or(Scope::of(vec![]), |u| server::auth::scope_of(u, &w.state.live.desk(), &w.state.geography));
                let restricted = !scope.allows_region(OUTSIDE_COUNTY.parse().unwrap());
                let root: model::RegionCode =
                    scope.roots().first().copied().unwrap_or_else(|| "620600000000".parse().unwrap());
                let in_scope = |r: &IncidentRow| scope.allows_cell(r.cell_code);
                // Department staff's one incident is their order's.
                let inside_incident = match role {
                    Some(Role::Department) => rows.iter().find(|r| r.id.0 == own_order).unwrap(),
                    _ => rows.iter().rev().find(|r| in_scope(r)).unwrap_or(&rows[0]),
                };
                let outside_incident = rows.iter().rev().find(|r| r.cell_code.to_string().starts_with("620623")).unwrap();
                let label = format!("{} {} as {:?}", route.method, route.path, role);
                // Anonymous callers and access classes first.
                match (route.access, role) {
                    (Access::Public, _) => {}
                    (_, None) => {
                        let uri = route
                            .path
                            .replace("{code}", &root.to_string())
                            .replace("{id}", "1")
                            .replace("{fid}", "1")
                            .replace("{origin}", "event");
                        let uri = uri.replace("{layer}/{z}/{x}/{y}", "incidents/0/0/0.mvt");
                        let (s, _) = p.send(None, route.method, &uri, Some(json!({}))).await;
                        assert_eq!(s, 401, "{label}");
                        return;
                    }
                    (Access::Admin, Some(r)) => {
                        let (s, _) = p.send(role, route.method, route.path, None).await;
                        assert_eq!(s, if r == Role::Admin { 200 } else { 403 }, "{label}");
                        return;
                    }
                    (Access::Signed, Some(_)) => {}
                }
                covered.insert((route.method, route.path));
                let allowed = |code: &str| match code.len() {
                    15 => scope.allows_cell(code.parse().unwrap()),
                    _ => scope.allows_region(code.parse().unwrap()),
                };
                let outside_status = if restricted { 404 } else { 200 };
                // Department staff see no region's situation: what is "inside" for others is
                // nowhere for them (their orders are reached through the incident routes only).
                let sees = role.is_none_or(|r| r.sees_situation());
                let inside_status = if sees { 200 } else { outside_status };
                match (route.method, route.path) {
                    ("GET", "/api/health") => assert_eq!(p.send(role, "GET", "/api/health", None).await.0, 200),
                    ("POST", "/api/login") => {
                        let body = json!({"username": "city", "password": TEST_PASSWORD});
                        assert_eq!(p.send(role, "POST", "/api/login", Some(body)).await.0, 200, "{label}");
                    }
                    ("POST", "/api/field/reports") => {
                        // Field users report inside their cells or villages only; nobody else
                        // reports from the phone.
                        let field = matches!(role, Some(Role::GridWorker | Role::Village));
                        let body = |lon: f64, lat: f64, id: &str| {
                            json!({"external_id": id, "kind": "public_order", "description": "现场发现",
                                   "lon": lon, "lat": lat})
                        };
                        let (s, _) = p.send(role, "POST", route.path, Some(body(tianzhu.x(), tianzhu.y(), "probe-out-1"))).await;
                        assert_eq!(s, 403, "{label} outside");
                        if field {
                            let (lon, lat) = (inside_incident.lon, inside_incident.lat);
                            let (s, r) = p.send(role, "POST", route.path, Some(body(lon, lat, "probe-in-1"))).await;
                            assert_eq!(s, 201, "{label}: {r}");
                        }
                    }
                    ("GET", "/api/field/reports") | ("GET", "/api/field/tasks") => {
                        let field = matches!(role, Some(Role::GridWorker | Role::Village));
                        let (s, list) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, if field { 200 } else { 403 }, "{label}");
                        for item in list["items"].as_array().into_iter().flatten() {
                            if let Some(code) = item["cell_code"].as_str() {
                                assert!(allowed(code), "{label} leaks {item}");
                            }
                            if let Some(id) = item["id"].as_u64() {
                                let row = rows.iter().find(|r| r.id.0 == id);
                                assert!(row.is_none_or(&in_scope), "{label} leaks {item}");
                            }
                        }
                    }
                    ("POST", "/api/public/reports") => {
                        // Anyone reports anywhere in the city (a citizen needs no session); a
                        // bearer token makes it a channel integration's, a command centre's only.
                        let mut body = json!({"kind": "city_management", "description": "占道经营",
                                              "lon": tianzhu.x(), "lat": tianzhu.y()});
                        if role.is_some() {
                            body["source"] = json!("wechat");
                            body["external_id"] = json!(format!("probe-{role:?}"));
                        }
                        // An integration files inside its user's jurisdiction only.
                        let allowed = role.is_none_or(|r| r.leads() && !restricted);
                        let (s, r) = p.send(role, "POST", route.path, Some(body)).await;
                        assert_eq!(s, if allowed { 201 } else { 403 }, "{label}: {r}");
                        if s == 201 {
                            // The receipt is the code, nothing of the event.
                            let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
                            assert_eq!(keys, ["track_url", "tracking_code"], "{label}");
                        }
                    }
                    ("GET", "/api/public/areas") => {
                        // Township outlines with code and name, nothing else, for anyone.
                        let (s, fc) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        let features = fc["features"].as_array().unwrap();
                        assert!(!features.is_empty(), "{label}");
                        for f in features {
                            let mut keys: Vec<&String> = f["properties"].as_object().unwrap().keys().collect();
                            keys.sort();
                            assert_eq!(keys, ["code", "name"], "{label}");
                            assert_eq!(f["properties"]["code"].as_str().unwrap().len(), 12, "{label}");
                        }
                    }
                    ("GET", "/api/public/track/{code}") | ("POST", "/api/public/track/{code}/verdict") => {
                        // An unknown code is unknown to everyone; known codes: field.rs.
                        let uri = route.path.replace("{code}", &server::citizen::new_code());
                        let body = (route.method == "POST").then(|| json!({"verdict": "satisfied"}));
                        assert_eq!(p.send(role, route.method, &uri, body).await.0, 404, "{label}");
                    }
                    ("GET", "/glyphs/{fontstack}/{range}") => {
                        assert_eq!(p.send(role, "GET", "/glyphs/DejaVu%20Sans%20Book/0-255.pbf", None).await.0, 200)
                    }
                    ("POST", "/api/logout") => {
                        // A disposable session, so the matrix keeps its own.
                        let username = &user.as_ref().unwrap().username;
                        let (_, login) = p
                            .send(
                                None,
                                "POST",
                                "/api/login",
                                Some(json!({"username": username, "password": TEST_PASSWORD})),
                            )
                            .await;
                        let token = login["token"].as_str().unwrap();
                        let req = Request::post("/api/logout")
                            .header("authorization", format!("Bearer {token}"))
                            .body(Body::empty())
                            .unwrap();
                        p.requests += 1;
                        assert_eq!(call(w.app(), req).await.0, 204, "{label}");
                        let req = Request::get("/api/me")
                            .header("authorization", format!("Bearer {token}"))
                            .body(Body::empty())
                            .unwrap();
                        p.requests += 1;
                        assert_eq!(call(w.app(), req).await.0, 401, "{label}: the session ended");
                    }
                    ("GET", "/api/me") => {
                        assert_eq!(p.send(role, "GET", "/api/me", None).await.1["user"]["role"], json!(role.unwrap()))
                    }
                    ("POST", "/api/password") => {
                        let body = json!({"old_password": "not-it", "new_password": "whatever-123"});
                        assert_eq!(p.send(role, "POST", "/api/password", Some(body)).await.0, 403, "{label}");
                    }
                    ("GET", "/api/config") => assert_eq!(p.send(role, "GET", "/api/config", None).await.0, 200),
                    ("GET", "/api/taxonomy") => {
                        let (s, t) = p.send(role, "GET", route.path, None).await;
                        assert_eq!((s.as_u16(), t["kinds"][0]["code"].as_str()), (200, Some("criminal")), "{label}");
                    }
                    // The base data: administrators and the command centre only; nothing here
                    // publishes (the files are not world files, the edits name no cell).
                    ("GET", "/api/world/versions") => {
                        let editor = role.is_some_and(|r| r.edits_world());
                        assert_eq!(p.send(role, "GET", route.path, None).await.0, if editor { 200 } else { 403 }, "{label}");
                    }
                    ("POST", "/api/world/check" | "/api/world/publish") => {
                        let editor = role.is_some_and(|r| r.edits_world());
                        let uri = format!("{}?name=world.gpkg&base_version=1", route.path);
                        let uri = if route.path.ends_with("check") { "/api/world/check?name=world.gpkg".into() } else { uri };
                        let (s, e) = p.send(role, "POST", &uri, Some(json!({}))).await;
                        assert_eq!(s, if editor { 422 } else { 403 }, "{label}: {e}");
                    }
                    ("POST", "/api/world/edits/check" | "/api/world/edits") => {
                        let editor = role.is_some_and(|r| r.edits_world());
                        let body = json!({"base_version": 1, "edits": [{"op": "edit_cell", "code": "620623999999999", "population": 1}]});
                        let (s, e) = p.send(role, "POST", route.path, Some(body)).await;
                        let want = if !editor { 403 } else { 422 };
                        assert_eq!(s, want, "{label}: {e}");
                        if editor {
                            assert_eq!(e["error"]["field"], "edits[0].code", "{label}");
                        }
                    }
                    ("GET", "/ogc" | "/ogc/conformance" | "/ogc/collections") => {
                        assert_eq!(p.send(role, "GET", route.path, None).await.0, 200, "{label}")
                    }
                    ("GET", "/ogc/collections/{id}") => {
                        let (s, c) = p.send(role, "GET", "/ogc/collections/cells", None).await;
                        assert_eq!((s.as_u16(), c["id"].as_str()), (200, Some("cells")), "{label}");
                        assert_eq!(p.send(role, "GET", "/ogc/collections/users", None).await.0, 404, "{label}");
                    }
                    ("GET", "/ogc/collections/{id}/items") => {
                        for (collection, key) in [
                            ("regions", "code"),
                            ("cells", "code"),
                            ("incidents", "cell_code"),
                            ("cameras", "region_code"),
                            ("stations", "region_code"),
                            ("key_places", "region_code"),
                            ("checkpoints", "region_code"),
                        ] {
                            let uri = format!("/ogc/collections/{collection}/items?limit=10000");
                            let (s, fc) = p.send(role, "GET", &uri, None).await;
                            assert_eq!(s, 200, "{label} {uri}");
                            assert!(codes(&fc, key).iter().all(|c| allowed(c)), "{label} {uri} leaks");
                            if collection == "incidents" {
                                // No free text and no personal data in a list.
                                let props = &fc["features"][0]["properties"];
                                assert!(props.get("summary").is_none() && props.get("reporter_phone").is_none(), "{label}");
                            }
                        }
                    }
                    ("GET", "/ogc/collections/{id}/items/{fid}") => {
                        for (uri, inside) in [
                            (format!("/ogc/collections/cells/items/{}", inside_incident.cell_code), true),
                            (format!("/ogc/collections/cells/items/{}", outside_incident.cell_code), false),
                            (format!("/ogc/collections/incidents/items/{}", inside_incident.id.0), true),
                            (format!("/ogc/collections/incidents/items/{}", outside_incident.id.0), false),
                        ] {
                            let (s, f) = p.send(role, "GET", &uri, None).await;
                            assert_eq!(s, if inside { inside_status } else { outside_status }, "{label} {uri}: {f}");
                            if inside && uri.contains("incidents") && role.is_some_and(|r| !r.handles_cases()) {
                                let phone = f["properties"]["reporter_phone"].as_str().unwrap_or("");
                                assert!(phone.is_empty() || phone.contains('*'), "{label}: phone {phone} unmasked");
                            }
                        }
                    }
                    ("GET", "/api/regions") => {
                        for uri in [
                            format!("/api/regions?parent={root}"),
                            "/api/regions".into(),
                            "/api/regions?level=village".into(),
                        ] {
                            let (s, fc) = p.send(role, "GET", &uri, None).await;
                            let want = if uri.contains("parent=") { inside_status } else { 200 };
                            assert_eq!(s, want, "{label} {uri}");
                            assert!(codes(&fc, "code").iter().all(|c| allowed(c)), "{label} {uri} leaks");
                        }
                        let (s, _) = p.send(role, "GET", &format!("/api/regions?parent={OUTSIDE_COUNTY}"), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/regions/{code}" | "/api/regions/{code}/path") => {
                        let inside = route.path.replace("{code}", &inside_incident.cell_code.to_string());
                        assert_eq!(p.send(role, "GET", &inside, None).await.0, inside_status, "{label} inside");
                        let outside = route.path.replace("{code}", &outside_incident.cell_code.to_string());
                        assert_eq!(p.send(role, "GET", &outside, None).await.0, outside_status, "{label} outside");
                    }
                    (
                        "GET",
                        "/api/cells"
                        | "/api/resources"
                        | "/api/incidents"
                        | "/api/hotspots"
                        | "/api/hotspots/emerging"
                        | "/api/hotspots/kde"
                        | "/api/hotspots/forecast"
                        | "/api/hotspots/near-repeat",
                    ) => {
                        let key = match route.path {
                            "/api/cells"
                            | "/api/hotspots"
                            | "/api/hotspots/emerging"
                            | "/api/hotspots/kde"
                            | "/api/hotspots/forecast" => "code",
                            "/api/resources" => "region_code",
                            _ => "cell_code",
                        };
                        let limit = if route.path == "/api/incidents" { "&limit=5000" } else { "" };
                        for uri in [
                            format!("{}?region={root}{limit}", route.path),
                            format!("{}?region=620600000000{limit}", route.path),
                        ] {
                            let (s, fc) = p.send(role, "GET", &uri, None).await;
                            assert_eq!(s, inside_status, "{label} {uri}");
                            assert!(codes(&fc, key).iter().all(|c| allowed(c)), "{label} {uri} leaks");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("POST", "/api/incidents") => {
                        for (row, inside) in [(inside_incident, true), (outside_incident, false)] {
                            let (_, cell) = w.state.geography.cell(row.cell_code).unwrap();
                            let pt = cell.boundary.interior_point().unwrap();
                            let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                                              "properties": {"category": "traffic", "occurred_at": "2026-10-31T08:00:00Z"}});
                            let (s, answer) = p.send(role, "POST", "/api/incidents", Some(body)).await;
                            let want = match (role.unwrap().writes_cases(), (inside && sees) || !restricted) {
                                (true, true) => 201,
                                _ => 403,
                            };
                            assert_eq!(s, want, "{label} inside={inside}: {answer}");
                        }
                    }
                    ("POST", "/api/incidents/batch") => {
                        for (row, inside) in [(inside_incident, true), (outside_incident, false)] {
                            let (_, cell) = w.state.geography.cell(row.cell_code).unwrap();
                            let pt = cell.boundary.interior_point().unwrap();
                            let body = json!({"type": "FeatureCollection", "features": [
                                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                                 "properties": {"category": "traffic", "occurred_at": "2026-10-31T09:00:00Z"}}]});
                            let (s, answer) = p.send(role, "POST", "/api/incidents/batch", Some(body)).await;
                            let want = match (role.unwrap().writes_cases(), (inside && sees) || !restricted) {
                                (true, true) => 201,
                                _ => 403,
                            };
                            assert_eq!(s, want, "{label} inside={inside}: {answer}");
                        }
                    }
                    ("GET", "/api/incidents/{id}") => {
                        let (s, f) = p.send(role, "GET", &format!("/api/incidents/{}", inside_incident.id.0), None).await;
                        assert_eq!(s, 200, "{label} inside");
                        if let Some(phone) = f["properties"]["reporter_phone"].as_str() {
                            assert_eq!(phone.contains('*'), !role.unwrap().handles_cases(), "{label}: masking of {phone}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("/api/incidents/{}", outside_incident.id.0), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/stats") => {
                        // Exactly the incidents in scope (the POST probes above added some: read afresh).
                        let fresh = w.state.store.load_incident_rows().await.unwrap();
                        let want = fresh
                            .iter()
                            .filter(|r| in_scope(r) && r.occurred_s >= now - 30 * 86_400 && r.occurred_s < now)
                            .count();
                        let (s, st) = p.send(role, "GET", "/api/stats", None).await;
                        assert_eq!(s, 200);
                        assert_eq!(
                            st["total"].as_u64().unwrap() as usize,
                            want,
                            "{label}: total against the incidents in scope"
                        );
                        let (s, _) = p.send(role, "GET", &format!("/api/stats?region={OUTSIDE_COUNTY}"), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/search") => {
                        for q in ["天祝", "620623", "凉州", "社区"] {
                            let (s, r) = p.send(role, "GET", &format!("/api/search?q={}", urlencode(q)), None).await;
                            assert_eq!(s, 200, "{label} {q}");
                            for hit in r["regions"].as_array().unwrap() {
                                assert!(allowed(hit["code"].as_str().unwrap()), "{label} {q} leaks {hit}");
                            }
                            assert!(r["incidents"].as_array().unwrap().is_empty() || q != "620623");
                        }
                    }
                    ("GET", "/tiles/{layer}/{z}/{x}/{y}") => {
                        let ids: BTreeSet<u64> = rows.iter().filter(|r| in_scope(r)).map(|r| r.id.0).collect();
                        for (row, inside) in [(inside_incident, true), (outside_incident, false)] {
                            let (z, x, y) = tile_of(14, row.lon, row.lat);
                            for layer in ["incidents", "cells", "regions"] {
                                let window = if layer == "regions" { "" } else { "?from=2025-01-01T00:00:00Z" };
                                let uri = format!("/tiles/{layer}/{z}/{x}/{y}.mvt{window}");
                                p.requests += 1;
                                let req = Request::get(&uri)
                                    .header("authorization", format!("Bearer {}", w.token(role.unwrap())))
                                    .body(Body::empty())
                                    .unwrap();
                                let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
                                assert_eq!(res.status(), 200, "{label} {uri}");
                                assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("private"));
                                let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
                                let feats = mvt_features(&body);
                                for f in &feats {
                                    let props = f.properties.as_ref().unwrap();
                                    match props.get("code") {
                                        Some(mvt_reader::feature::Value::String(c)) => {
                                            assert!(allowed(c), "{label} {uri} leaks {c}")
                                        }
                                        _ => assert!(
                                            f.id.is_none_or(|id| ids.contains(&id)),
                                            "{label} {uri} leaks incident {:?}",
                                            f.id
                                        ),
                                    }
                                }
                                if !inside && restricted {
                                    assert!(feats.is_empty(), "{label} {uri}: {} features outside", feats.len());
                                }
                            }
                        }
                    }
                    ("GET", "/api/incidents/{id}/history" | "/api/incidents/{id}/dispatch") => {
                        let inside = route.path.replace("{id}", &inside_incident.id.0.to_string());
                        let (s, answer) = p.send(role, "GET", &inside, None).await;
                        assert_eq!(s, 200, "{label} inside: {answer}");
                        for u in answer["units"].as_array().into_iter().flatten() {
                            assert!(unit_in(u, &w, &scope), "{label} leaks unit {u}");
                        }
                        let outside = route.path.replace("{id}", &outside_incident.id.0.to_string());
                        assert_eq!(p.send(role, "GET", &outside, None).await.0, outside_status, "{label} outside");
                    }
                    ("POST", "/api/incidents/{id}/transitions") => {
                        // `reported` never follows anything: a legal probe changes nothing.
                        for (row, inside) in [(inside_incident, true), (outside_incident, false)] {
                            let uri = format!("/api/incidents/{}/transitions", row.id.0);
                            let (s, answer) = p.send(role, "POST", &uri, Some(json!({"to": "reported"}))).await;
                            let want = match (role.unwrap().writes_cases(), inside || !restricted) {
                                (false, _) => 403,
                                (true, true) => 409,
                                (true, false) => 404,
                            };
                            assert_eq!(s, want, "{label} inside={inside}: {answer}");
                        }
                    }
                    ("POST", "/api/incidents/{id}/merge" | "/api/incidents/{id}/split") => {
                        for (row, inside) in [(inside_incident, true), (outside_incident, false)] {
                            let uri = route.path.replace("{id}", &row.id.0.to_string());
                            // A split takes no body.
                            let body = route.path.ends_with("/merge").then(|| json!({"into": row.id.0}));
                            let (s, answer) = p.send(role, "POST", &uri, body).await;
                            let ok = match (role.unwrap().writes_cases(), inside || !restricted) {
                                (false, _) => s == 403,
                                // Merging a report into itself is refused, and so is splitting an
                                // unlinked one; a probe may find the report linked to another.
                                (true, true) => [200, 409, 422].contains(&s.as_u16()),
                                (true, false) => s == 404,
                            };
                            assert!(ok, "{label} inside={inside}: {s} {answer}");
                        }
                    }
                    ("GET", "/api/queue") => {
                        let (s, q) = p.send(role, "GET", "/api/queue?days=90&limit=5000", None).await;
                        assert_eq!(s, 200, "{label}");
                        for i in q["items"].as_array().unwrap() {
                            assert!(allowed(i["cell_code"].as_str().unwrap()), "{label} leaks {i}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("/api/queue?region={OUTSIDE_COUNTY}"), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                        // A department's work list: staff their own only; a centre the orders in
                        // its jurisdiction; a department outside it is one that does not exist.
                        let uri = format!("/api/queue?department={}", server::boot::DEMO_DEPARTMENT);
                        let (s, list) = p.send(role, "GET", &uri, None).await;
                        let sees_liangzhou =
                            role == Some(Role::Department) || scope.allows_path_to("620602000000".parse().unwrap());
                        assert_eq!(s, if sees_liangzhou { 200 } else { 422 }, "{label}: {list}");
                        for i in list["items"].as_array().into_iter().flatten() {
                            let mine = role == Some(Role::Department) && i["id"] == own_order;
                            assert!(mine || allowed(i["cell_code"].as_str().unwrap()), "{label} leaks {i}");
                        }
                        let (s, _) = p.send(role, "GET", "/api/queue?department=law_enforcement-620623", None).await;
                        let want = match role {
                            Some(Role::Department) => 403,
                            _ if restricted => 422,
                            _ => 200,
                        };
                        assert_eq!(s, want, "{label}: another department");
                    }
                    ("GET", "/api/units") => {
                        let (s, units) = p.send(role, "GET", "/api/units", None).await;
                        assert_eq!(s, 200, "{label}");
                        for u in units.as_array().unwrap() {
                            assert!(
                                unit_in(&json!({"unit": u["id"], "lon": u["lon"], "lat": u["lat"]}), &w, &scope),
                                "{label} leaks {u}"
                            );
                        }
                    }
                    ("POST", "/api/units/{id}/position") => {
                        let outside_unit = outside_patrol_unit(&w);
                        let body = json!({"lon": outside_unit.lon, "lat": outside_unit.lat});
                        let (s, answer) =
                            p.send(role, "POST", &format!("/api/units/{}/position", outside_unit.id), Some(body)).await;
                        let want = match (role.unwrap().writes_cases(), restricted) {
                            (false, _) => 403,
                            (true, true) => 404,
                            (true, false) => 200,
                        };
                        assert_eq!(s, want, "{label} outside: {answer}");
                    }
                    ("GET", "/api/alerts") => {
                        let (s, alerts) = p.send(role, "GET", "/api/alerts", None).await;
                        assert_eq!(s, 200, "{label}");
                        for a in alerts.as_array().unwrap() {
                            assert!(allowed(a["cell_code"].as_str().unwrap()), "{label} leaks {a}");
                        }
                        assert_eq!(
                            alerts.as_array().unwrap().iter().any(|a| a["id"] == json!(outside_alert)),
                            !restricted,
                            "{label}"
                        );
                    }
                    ("POST", "/api/alerts/{id}/ack") => {
                        let (s, answer) = p.send(role, "POST", &format!("/api/alerts/{outside_alert}/ack"), None).await;
                        match (role.unwrap().writes_cases(), restricted) {
                            (false, _) => assert_eq!(s, 403, "{label}"),
                            (true, true) => assert_eq!(s, 404, "{label}: {answer}"),
                            (true, false) => assert!(s == 200 || s == 409, "{label}: {s} {answer}"),
                        }
                    }
                    ("GET", "/api/live") => {
                        // Scope on real sockets is tested in live.rs; here: parameters outside the
                        // jurisdiction are refused before any upgrade.
                        let (s, _) = p.send(role, "GET", &format!("/api/live?region={OUTSIDE_COUNTY}"), None).await;
                        assert_eq!(s, if restricted { 403 } else { 400 }, "{label}");
                    }
                    ("POST", "/api/plans") => {
                        // A unit outside the jurisdiction is unknown to a restricted planner.
                        let outside_unit = outside_patrol_unit(&w);
                        let start = w.state.clock.now() + chrono::Duration::hours(1);
                        let body = json!({"shift_start": start, "shift_hours": 2, "units": [outside_unit.id]});
                        let (s, answer) = p.send(role, "POST", "/api/plans", Some(body)).await;
                        let want = match (role.unwrap().handles_cases(), restricted) {
                            (false, _) => 403,
                            (true, true) => 422,
                            (true, false) => 200,
                        };
                        assert_eq!(s, want, "{label}: {answer}");
                        // With the caller's own units (if any), every stop is inside.
                        let mine: Vec<u64> = w
                            .state
                            .geography
                            .resources()
                            .iter()
                            .filter(|r| r.kind == model::ResourceKind::PatrolUnit && scope.allows_region(r.region_code))
                            .map(|r| r.id)
                            .take(2)
                            .collect();
                        if role.unwrap().handles_cases() && !mine.is_empty() {
                            let body = json!({"shift_start": start, "shift_hours": 2, "units": mine});
                            let (s, plan) = p.send(role, "POST", "/api/plans", Some(body)).await;
                            assert_eq!(s, 200, "{label}: {plan}");
                            for u in plan["units"].as_array().unwrap() {
                                for st in u["stops"].as_array().unwrap() {
                                    assert!(allowed(st["cell_code"].as_str().unwrap()), "{label} plans outside: {st}");
                                }
                            }
                        }
                    }
                    ("GET", "/api/coverage" | "/api/coverage/blind-spots" | "/api/coverage/suggestions") => {
                        let (s, fc) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}: {fc}");
                        for f in fc["features"].as_array().unwrap() {
                            if let Some(code) = f["properties"]["cell_code"].as_str() {
                                assert!(allowed(code), "{label} leaks {f}");
                            }
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/villages/{code}") => {
                        let inside = w
                            .state
                            .geography
                            .regions()
                            .iter()
                            .find(|r| r.region.level == model::RegionLevel::Village && scope.allows_region(r.region.code))
                            .map(|r| r.region.code);
                        if let Some(v) = inside {
                            assert_eq!(p.send(role, "GET", &format!("/api/villages/{v}"), None).await.0, 200, "{label}");
                        }
                        let outside = outside_incident.cell_code.village();
                        let (s, _) = p.send(role, "GET", &format!("/api/villages/{outside}"), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/workload/rebalance") => {
                        let (s, r) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        for m in r["moves"].as_array().unwrap() {
                            assert!(allowed(m["village"]["code"].as_str().unwrap()), "{label} leaks {m}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/workload") => {
                        let (s, wl) = p.send(role, "GET", "/api/workload", None).await;
                        assert_eq!(s, 200, "{label}");
                        for o in wl["officers"].as_array().unwrap() {
                            for v in o["villages"].as_array().unwrap() {
                                assert!(allowed(v["code"].as_str().unwrap()), "{label} leaks {v}");
                            }
                        }
                        for v in wl["unassigned"].as_array().unwrap() {
                            assert!(allowed(v["code"].as_str().unwrap()), "{label} leaks {v}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("/api/workload?region={OUTSIDE_COUNTY}"), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/desk") => {
                        let (s, d) = p.send(role, "GET", route.path, None).await;
                        let expected = match role {
                            Some(Role::Village) => 200,
                            Some(Role::City | Role::County | Role::Township) => 400,
                            // An officer's desk carries personal data: case handlers only.
                            None
                            | Some(Role::Analyst | Role::Admin | Role::Department | Role::GridWorker | Role::Leader) => 403,
                        };
                        assert_eq!(s, expected, "{label} {d}");
                        if s == 200 {
                            for v in d["villages"].as_array().unwrap() {
                                assert!(allowed(v["village"]["code"].as_str().unwrap()), "{label} leaks {v}");
                            }
                        }
                        let (s, _) = p.send(role, "GET", &format!("/api/desk?officer={outside_officer}"), None).await;
                        let expected = match role {
                            Some(Role::Village) => 403,
                            Some(Role::City) => 200,
                            Some(Role::County | Role::Township) => 404,
                            None
                            | Some(Role::Analyst | Role::Admin | Role::Department | Role::GridWorker | Role::Leader) => 403,
                        };
                        assert_eq!(s, expected, "{label} outside officer");
                    }
                    ("GET", "/api/assignments") | ("GET", "/api/disputes") | ("GET", "/api/visits") => {
                        let handler = role.is_some_and(|r| r.handles_cases());
                        let (s, list) = p.send(role, "GET", route.path, None).await;
                        // Disputes are read by all, masked for roles that do not handle cases.
                        let open_to_all = route.path != "/api/visits";
                        if route.path == "/api/disputes" && !handler {
                            for d in list["items"].as_array().into_iter().flatten() {
                                assert_eq!(d["summary"], "", "{label} unmasked {d}");
                            }
                        }
                        assert_eq!(s, if handler || open_to_all { 200 } else { 403 }, "{label}");
                        for item in list["items"].as_array().into_iter().flatten() {
                            let code = item["change"]["village"].as_str().or(item["village"]["code"].as_str()).unwrap();
                            assert!(allowed(code), "{label} leaks {item}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        // The region is checked with the other parameters, before the role.
                        let expected = if handler || open_to_all || restricted { outside_status } else { 403 };
                        assert_eq!(s, expected, "{label} outside");
                    }
                    ("POST", "/api/assignments") => {
                        let body = json!({"village": outside_village.to_string(), "officer": outside_officer});
                        let (s, a) = p.send(role, "POST", route.path, Some(body)).await;
                        let expected = match role {
                            Some(Role::City) => 201,
                            Some(Role::County | Role::Township) => 404,
                            None
                            | Some(
                                Role::Village | Role::Analyst | Role::Admin | Role::Department | Role::GridWorker | Role::Leader,
                            ) => 403,
                        };
                        // The roster may already give this village to this officer.
                        let ok = s == expected || (role == Some(Role::City) && s == 409);
                        assert!(ok, "{label}: {s} {a}");
                    }
                    ("POST", "/api/visits") => {
                        let own = w.state.live.desk().villages_of(w.state.geography.officers()[0].id)[0];
                        let body = json!({"village": own.to_string(), "place": "村委会"});
                        let (s, _) = p.send(role, "POST", route.path, Some(body)).await;
                        assert_eq!(s, if role == Some(Role::Village) { 201 } else { 403 }, "{label}");
                        let body = json!({"village": outside_village.to_string(), "place": "村委会"});
                        let (s, _) = p.send(role, "POST", route.path, Some(body)).await;
                        assert_eq!(s, if role == Some(Role::Village) { 404 } else { 403 }, "{label} outside");
                    }
                    ("GET", "/api/visits/{id}/photo") => {
                        let (s, _) = p.send(role, "GET", &format!("/api/visits/{outside_visit}/photo"), None).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        assert_eq!(s, if handler && !restricted { 200 } else { 404 }, "{label}");
                    }
                    ("POST", "/api/disputes") => {
                        let (s, _) = p.send(role, "POST", route.path, Some(dispute.clone())).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        assert_eq!(
                            s,
                            if !handler {
                                403
                            } else if restricted {
                                404
                            } else {
                                201
                            },
                            "{label}"
                        );
                    }
                    ("GET", "/api/disputes/stats") => {
                        let (s, st) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        for v in st["by_village"].as_array().unwrap() {
                            assert!(allowed(v["village"]["code"].as_str().unwrap()), "{label} leaks {v}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/disputes/{id}") => {
                        let (s, d) = p.send(role, "GET", &format!("/api/disputes/{outside_dispute}"), None).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        assert_eq!(s, if restricted { 404 } else { 200 }, "{label}");
                        if s == 200 && !handler {
                            assert_eq!(d["parties"], "甲*、乙*", "{label} unmasked {d}");
                        }
                    }
                    ("POST", "/api/disputes/{id}/transitions") => {
                        let uri = format!("/api/disputes/{outside_dispute}/transitions");
                        let body = json!({"session": {"notes": "约谈"}});
                        let (s, _) = p.send(role, "POST", &uri, Some(body)).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        assert_eq!(
                            s,
                            if !handler {
                                403
                            } else if restricted {
                                404
                            } else {
                                200
                            },
                            "{label}"
                        );
                    }
                    ("GET", "/api/petitions") => {
                        let (s, list) = p.send(role, "GET", "/api/petitions?status=all&limit=5000", None).await;
                        assert_eq!(s, 200, "{label}");
                        for x in list["items"].as_array().unwrap() {
                            assert!(allowed(x["village"]["code"].as_str().unwrap()), "{label} leaks {x}");
                            let masked = !role.unwrap().handles_cases();
                            assert_eq!(x["masked"].as_bool(), Some(masked), "{label}");
                            if masked {
                                assert!(!x["petitioners"][0]["name"].as_str().unwrap().contains("某"), "{label} unmasked {x}");
                            }
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/petitions/{id}") => {
                        let (s, x) = p.send(role, "GET", &format!("/api/petitions/{outside_petition}"), None).await;
                        assert_eq!(s, if restricted { 404 } else { 200 }, "{label} {x}");
                        if s == 200 {
                            assert_eq!(x["masked"].as_bool(), Some(!role.unwrap().handles_cases()), "{label}");
                        }
                    }
                    ("POST", "/api/petitions") => {
                        let (s, x) = p.send(role, "POST", route.path, Some(petition.clone())).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        let expected = if !handler {
                            403
                        } else if restricted {
                            404
                        } else {
                            201
                        };
                        assert_eq!(s, expected, "{label}: {x}");
                    }
                    ("POST", "/api/petitions/{id}/transitions") => {
                        let uri = format!("/api/petitions/{outside_petition}/transitions");
                        let (s, x) = p.send(role, "POST", &uri, Some(json!({"note": "电话回访"}))).await;
                        let handler = role.is_some_and(|r| r.handles_cases());
                        let expected = if !handler {
                            403
                        } else if restricted {
                            404
                        } else {
                            200
                        };
                        assert_eq!(s, expected, "{label}: {x}");
                    }
                    ("GET", "/api/my-cases") => {
                        let (s, mine) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, if role.is_some_and(|r| r.takes_charge()) { 200 } else { 403 }, "{label}");
                        for c in mine["cases"].as_array().into_iter().flatten() {
                            assert!(allowed(c["village"]["code"].as_str().unwrap()), "{label} leaks {c}");
                        }
                    }
                    ("GET", "/api/receptions") => {
                        let (s, cal) = p.send(role, "GET", "/api/receptions", None).await;
                        assert_eq!(s, 200, "{label}");
                        for x in cal["items"].as_array().unwrap() {
                            assert!(allowed(x["region"]["code"].as_str().unwrap()), "{label} leaks {x}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("POST", "/api/receptions") => {
                        let body = json!({"leader": "县长", "kind": "visit", "held_at": w.state.clock.now(),
                                          "place": "乡政府", "region": outside_village.to_string()});
                        let (s, x) = p.send(role, "POST", route.path, Some(body)).await;
                        let leads = role.is_some_and(|r| r.takes_charge());
                        let expected = if !leads {
                            403
                        } else if restricted {
                            404
                        } else {
                            201
                        };
                        assert_eq!(s, expected, "{label}: {x}");
                    }
                    ("GET", "/api/mediators") => {
                        let (s, list) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        let list = list.as_array().unwrap();
                        assert_eq!(list.is_empty(), !sees, "{label}: rosters are read in the jurisdiction");
                        let masked = !role.is_some_and(|r| r.handles_cases());
                        for m in list {
                            let village = m["village"]["code"].as_str().unwrap().parse().unwrap();
                            assert!(scope.allows_path_to(village), "{label} leaks {m}");
                            let phone = m["phone"].as_str().unwrap();
                            assert_eq!(phone.contains('*'), masked, "{label}: {m}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("GET", "/api/screenings") => {
                        let (s, b) = p.send(role, "GET", "/api/screenings?limit=5000", None).await;
                        assert_eq!(s, 200, "{label}");
                        for v in b["villages"].as_array().unwrap() {
                            assert!(allowed(v["village"]["code"].as_str().unwrap()), "{label} leaks {v}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("POST", "/api/screenings") => {
                        let body = json!({"village": outside_village.to_string(), "zero_report": true, "risk": "green"});
                        let (s, x) = p.send(role, "POST", route.path, Some(body)).await;
                        let files = role.is_some_and(|r| r.files_screenings());
                        let expected = if !files {
                            403
                        } else if restricted {
                            404
                        } else {
                            201
                        };
                        assert_eq!(s, expected, "{label}: {x}");
                    }
                    ("GET", "/api/backlog") | ("GET", "/api/backlog/heat") => {
                        let (s, b) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        for c in b["cases"].as_array().into_iter().flatten() {
                            assert!(allowed(c["village"]["code"].as_str().unwrap()), "{label} leaks {c}");
                        }
                        for a in b["areas"].as_array().into_iter().flatten() {
                            assert!(allowed(a["area"]["code"].as_str().unwrap()), "{label} leaks {a}");
                        }
                        for f in b["features"].as_array().into_iter().flatten() {
                            assert!(allowed(f["properties"]["village_code"].as_str().unwrap()), "{label} leaks {f}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, outside_status, "{label} outside");
                    }
                    ("POST", "/api/backlog/{origin}/{id}") => {
                        let uri = format!("/api/backlog/event/{outside_case}");
                        let (s, _) = p.send(role, "POST", &uri, Some(json!({"note": "督办"}))).await;
                        // Case handlers and the leaders who take charge write progress.
                        let handler = role.is_some_and(|r| r.writes_cases() || r.takes_charge());
                        assert_eq!(
                            s,
                            if !handler {
                                403
                            } else if restricted {
                                404
                            } else {
                                201
                            },
                            "{label}"
                        );
                    }
                    ("POST", "/api/incidents/{id}/assign") => {
                        let body = json!({"department": "law_enforcement-620623"});
                        let uri = format!("/api/incidents/{outside_order}/assign");
                        let (s, answer) = p.send(role, "POST", &uri, Some(body)).await;
                        let r = role.unwrap();
                        let want = match (r.writes_cases(), restricted, r.leads()) {
                            (false, _, _) => 403,
                            (true, true, _) => 404,
                            (true, false, true) => 200,
                            (true, false, false) => 403,
                        };
                        assert_eq!(s, want, "{label}: {answer}");
                    }
                    ("POST", "/api/incidents/{id}/divert") => {
                        // Outside every restricted user; the city diverts it (the first to try).
                        let uri = format!("/api/incidents/{outside_call}/divert");
                        let (s, answer) = p.send(role, "POST", &uri, Some(json!({"kind": "public_utilities"}))).await;
                        let r = role.unwrap();
                        let want = match (r.writes_cases() && r.leads(), restricted) {
                            (false, _) => 403,
                            (true, true) => 404,
                            (true, false) => 201,
                        };
                        assert_eq!(s, want, "{label}: {answer}");
                    }
                    ("GET", "/api/incidents/{id}/photos/{step}") => {
                        // No step of the outside call has a photo, and restricted users may not
                        // read it at all: 404 either way (work_orders.rs reads a real one).
                        let uri = format!("/api/incidents/{}/photos/0", outside_incident.id.0);
                        assert_eq!(p.send(role, "GET", &uri, None).await.0, 404, "{label}");
                    }
                    ("GET", "/api/departments") => {
                        let (s, ds) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}");
                        let ds = ds.as_array().unwrap();
                        for d in ds {
                            let region: model::RegionCode = d["region"].as_str().unwrap().parse().unwrap();
                            let own = role == Some(Role::Department) && d["code"] == server::boot::DEMO_DEPARTMENT;
                            assert!(own || scope.allows_path_to(region), "{label} leaks {d}");
                        }
                        if role == Some(Role::Department) {
                            assert_eq!(ds.len(), 1, "{label}: staff see their own department");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, if restricted { 403 } else { 200 }, "{label} outside");
                    }
                    ("GET", "/api/briefing") => {
                        let uri = format!("{}?region={OUTSIDE_COUNTY}", route.path);
                        let (s, answer) = p.send(role, "GET", &uri, None).await;
                        let reads = role.is_some_and(|r| r.reads_scorecard());
                        assert_eq!(s, if !reads || restricted { 403 } else { 200 }, "{label}: {answer}");
                        if reads {
                            let (s, own) = p.send(role, "GET", route.path, None).await;
                            assert_eq!(s, 200, "{label}: {own}");
                            assert!(allowed(own["region"].as_str().unwrap()), "{label} leaks {own}");
                        }
                    }
                    ("GET", "/api/campaigns") => {
                        let (s, list) = p.send(role, "GET", route.path, None).await;
                        if !role.is_some_and(|r| r.reads_scorecard()) {
                            assert_eq!(s, 403, "{label}");
                            return;
                        }
                        assert_eq!(s, 200, "{label}");
                        let ids: Vec<u64> = list.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
                        assert_eq!(ids.contains(&outside_campaign), !restricted, "{label}: {list}");
                    }
                    ("POST", "/api/campaigns") => {
                        let body = json!({"name": "整治", "region": OUTSIDE_COUNTY, "start": "2026-10-01", "end": "2026-10-20"});
                        let (s, answer) = p.send(role, "POST", route.path, Some(body)).await;
                        let leads = role.is_some_and(|r| r.leads());
                        assert_eq!(s, if leads && !restricted { 201 } else { 403 }, "{label}: {answer}");
                    }
                    ("GET", "/api/campaigns/{id}/evaluation") => {
                        let uri = format!("/api/campaigns/{outside_campaign}/evaluation");
                        let (s, answer) = p.send(role, "GET", &uri, None).await;
                        let want = match (role.is_some_and(|r| r.reads_scorecard()), restricted) {
                            (false, _) => 403,
                            (true, true) => 404,
                            (true, false) => 200,
                        };
                        assert_eq!(s, want, "{label}: {answer}");
                    }
                    ("GET", "/api/scorecard") => {
                        // Every row wholly inside; no level inside → 422; village officers, grid
                        // workers and staff → 403.
                        for level in ["county", "township"] {
                            let uri = format!("{}?level={level}", route.path);
                            let (s, card) = p.send(role, "GET", &uri, None).await;
                            if !role.is_some_and(|r| r.reads_scorecard()) {
                                assert_eq!(s, 403, "{label}");
                                continue;
                            }
                            let inside = w.state.geography.regions_at(level.parse().unwrap(), None).any(|r| scope.allows_region(r.region.code));
                            assert_eq!(s, if inside { 200 } else { 422 }, "{label} {level}: {card}");
                            for r in card["rows"].as_array().into_iter().flatten() {
                                assert!(allowed(r["code"].as_str().unwrap()), "{label} leaks {r}");
                            }
                        }
                    }
                    ("GET", "/api/forecast/trials") => {
                        // A trial's figures are the whole county's.
                        let uri = format!("{}?county={OUTSIDE_COUNTY}", route.path);
                        let (s, t) = p.send(role, "GET", &uri, None).await;
                        let reads = role.is_some_and(|r| r.sees_situation()) && !restricted;
                        assert_eq!(s, if reads { 200 } else { 404 }, "{label}: {t}");
                    }
                    ("POST", "/api/forecast/trials") => {
                        let runs = role.is_some_and(|r| r.runs_trials());
                        let (s, e) = p.send(role, "POST", route.path, Some(json!({"county": OUTSIDE_COUNTY}))).await;
                        if !runs || restricted {
                            assert_eq!(s, 403, "{label}: {e}");
                        } else {
                            // Not started here (a trial is a minute of work): a township is refused.
                            let (s, e) = p.send(role, "POST", route.path, Some(json!({"county": "620623001000"}))).await;
                            assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("county")), "{label}: {e}");
                        }
                    }
                    ("GET", "/api/satisfaction") => {
                        let (s, st) = p.send(role, "GET", route.path, None).await;
                        assert_eq!(s, 200, "{label}: {st}");
                        for r in st["regions"].as_array().unwrap() {
                            assert!(allowed(r["code"].as_str().unwrap()), "{label} leaks {r}");
                        }
                        let (s, _) = p.send(role, "GET", &format!("{}?region={OUTSIDE_COUNTY}", route.path), None).await;
                        assert_eq!(s, if restricted { 403 } else { 200 }, "{label} outside");
                    }
                    other => panic!("route {other:?} has no access probe: add one before adding the route"),
                }
            })
            .catch_unwind()
            .await;
            if outcome.is_err() {
                failures.push(probe);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} probes failed (each panic is printed above):\n{}",
        failures.len(),
        failures.join("\n")
    );
    let signed: BTreeSet<(&str, &str)> =
        route_list().iter().filter(|r| r.access != Access::Admin).map(|r| (r.method, r.path)).collect();
    assert_eq!(covered, signed, "every signed and public route was probed for every role");
    let signed = signed.len();
    println!(
        "access matrix: {} routes ({signed} public or signed, the rest admin-only), {} roles + anonymous, {} requests",
        route_list().len(),
        Role::ALL.len(),
        p.requests
    );
}

/// A patrol unit stationed in Tianzhu (outside every restricted test user).
fn outside_patrol_unit(w: &TestWorld) -> &model::Resource {
    w.state
        .geography
        .resources()
        .iter()
        .find(|r| {
            r.kind == model::ResourceKind::PatrolUnit && r.region_code.to_string().starts_with(&OUTSIDE_COUNTY[..6])
        })
        .unwrap()
}

/// Whether a unit (`{"unit", "lon", "lat"}`) is the caller's: its station's region or its
/// position is in scope.
fn unit_in(u: &Value, w: &TestWorld, scope: &Scope) -> bool {
    let g = &w.state.geography;
    let home = g.resources().iter().find(|r| Some(r.id) == u["unit"].as_u64()).map(|r| r.region_code);
    let here = g.locate(u["lon"].as_f64().unwrap(), u["lat"].as_f64().unwrap());
    home.is_some_and(|h| scope.allows_region(h)) || here.is_some_and(|c| g.scope_allows_cell(scope, c))
}

fn urlencode(s: &str) -> String {
    form_urlencoded_byte_serialize(s)
}

fn form_urlencoded_byte_serialize(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
