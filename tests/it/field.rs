//! In the field (#27): grid workers as users, scoped to their cells, and the citizen channel.

use axum::http::{Request, header};
use geo::InteriorPoint;
use model::auth::Role;
use serde_json::{Value, json};
use server::base_data::{Author, publish, published_world};
use tests::TestWorld;

/// A report at the interior point of cell `code`, as the command centre: its id.
async fn incident_in(w: &TestWorld, code: &str, external_id: &str) -> u64 {
    let cell = w.state.geography.cells().iter().find(|c| c.cell.code.to_string() == code).unwrap();
    let pt = cell.boundary.interior_point().unwrap();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                      "properties": {"category": "dispute", "occurred_at": "2026-10-30T08:00:00Z",
                                     "source": "patrol", "external_id": external_id}});
    let (s, f) = w.post("/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{f}");
    f["properties"]["id"].as_u64().or(f["id"].as_u64()).unwrap()
}

/// Another cell of the village of cell `own`.
fn neighbour_cell(w: &TestWorld, own: &str) -> String {
    let mut cells = w.state.geography.cells().iter().map(|c| c.cell.code.to_string());
    cells.find(|c| c[..12] == own[..12] && c != own).expect("the demo village has two cells")
}

fn ids(list: &Value) -> Vec<u64> {
    list["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_u64().or(f["id"].as_u64()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_grid_worker_sees_their_cell_and_follows_a_reassignment_at_once() {
    let w = TestWorld::new(1_000).await;
    let token = w.token(Role::GridWorker).to_owned();
    let (s, me) = w.get_with(&token, "/api/me").await;
    assert_eq!(s, 200, "{me}");
    let own = me["scope"][0].as_str().unwrap().to_owned();
    assert_eq!((me["scope"].as_array().unwrap().len(), own.len()), (1, 15), "one cell: {me}");
    let other = neighbour_cell(&w, &own);
    let mine = incident_in(&w, &own, "gw-own").await;
    let theirs = incident_in(&w, &other, "gw-other").await;
    let (s, list) = w.get_with(&token, "/api/incidents?limit=5000").await;
    assert_eq!(s, 200, "{list}");
    let seen = ids(&list);
    assert!(seen.contains(&mine) && !seen.contains(&theirs), "only the own cell's incidents: {seen:?}");
    assert_eq!(w.get_with(&token, &format!("/api/incidents/{theirs}")).await.0, 404);
    assert_eq!(w.get_with(&token, &format!("/api/incidents/{mine}")).await.0, 200);
    // A grid worker has no village desk and is not a region's user.
    assert_eq!(w.get_with(&token, "/api/desk").await.0, 403);

    // The base-data desk moves the worker to the other cell: the next request of the same
    // session (on the state the new version loads) sees that cell, not the old one.
    let (version, mut world) = published_world(w.state.store.as_ref()).await.unwrap();
    let worker_id = w.state.store.user_by_name("grid_worker").await.unwrap().unwrap().0.grid_worker_id.unwrap();
    let old = world.clone();
    let g = world.grid_workers.iter_mut().find(|g| g.id == worker_id).unwrap();
    assert_eq!(g.cell_code, own, "the world file names the worker's cell");
    g.cell_code = other.clone();
    g.point = None;
    let parts = world.to_parts(&world::Rules::default()).unwrap();
    let diff = world::difference(&old, &world);
    publish(w.state.store.as_ref(), parts, &diff, "网格员调整".into(), Author::cli(), Some(version)).await.unwrap();
    let next = server::boot::load_state(w.state.store.clone(), w.clock.clone()).await.unwrap();
    let get = |uri: String| {
        let req =
            Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(axum::body::Body::empty());
        tests::call(server::api::app(next.clone()), req.unwrap())
    };
    let (_, me) = get("/api/me".into()).await;
    assert_eq!(me["scope"], json!([other]), "the scope moved with the worker");
    assert_eq!(get(format!("/api/incidents/{theirs}")).await.0, 200);
    assert_eq!(get(format!("/api/incidents/{mine}")).await.0, 404);

    // Made the village's 网格长: the whole village.
    let (version, mut world) = published_world(w.state.store.as_ref()).await.unwrap();
    let old = world.clone();
    world.grid_workers.iter_mut().find(|g| g.id == worker_id).unwrap().leader = true;
    let parts = world.to_parts(&world::Rules::default()).unwrap();
    let diff = world::difference(&old, &world);
    publish(w.state.store.as_ref(), parts, &diff, "网格长".into(), Author::cli(), Some(version)).await.unwrap();
    let next = server::boot::load_state(w.state.store.clone(), w.clock.clone()).await.unwrap();
    let req = Request::get("/api/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty());
    let (_, me) = tests::call(server::api::app(next.clone()), req.unwrap()).await;
    assert_eq!(me["scope"], json!([own[..12]]), "a 网格长 sees the village");
    for id in [mine, theirs] {
        let req = Request::get(format!("/api/incidents/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(axum::body::Body::empty());
        assert_eq!(tests::call(server::api::app(next.clone()), req.unwrap()).await.0, 200);
    }
}

/// A request without a session.
async fn public(w: &TestWorld, method: &str, uri: &str, body: Option<Value>) -> (u16, Value, String) {
    let req = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    let req = req.body(body.map_or_else(axum::body::Body::empty, |b| axum::body::Body::from(b.to_string()))).unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

const LAW: &str = "law_enforcement-620602";

/// A citizen's report of a 城市管理 matter inside 东大街街道.
fn citizen_report(w: &TestWorld, description: &str) -> Value {
    let range = w.state.geography.cell_range("620602001000".parse().unwrap());
    let p = w.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    let png = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nstall-on-the-pavement")
    };
    json!({"kind": "city_management", "description": description, "lon": p.x(), "lat": p.y(),
           "address": "东大街12号", "phone": "13900001111",
           "photo": {"content_type": "image/png", "data": png}})
}

async fn staff(w: &TestWorld, department: &str) -> String {
    let code = model::department::DepartmentCode::parse(department).unwrap();
    let region = w.state.geography.department(&code).unwrap().region;
    w.sign_in_new(store::NewUser {
        username: format!("staff-{department}"),
        password_hash: String::new(),
        role: Role::Department,
        jurisdiction: Some(region),
        officer_id: None,
        department: Some(code),
        grid_worker_id: None,
    })
    .await
}

fn rated(satisfaction: &Value) -> u64 {
    let t = &satisfaction["total"];
    ["satisfied", "basically_satisfied", "dissatisfied"].iter().map(|k| t[k].as_u64().unwrap()).sum()
}

#[tokio::test]
async fn a_citizen_reports_tracks_and_gives_the_verdict_once() {
    let w = TestWorld::new(1_000).await;
    let (s, receipt, _) = public(&w, "POST", "/api/public/reports", Some(citizen_report(&w, "人行道上摆摊占道"))).await;
    assert_eq!(s, 201, "{receipt}");
    let code = receipt["tracking_code"].as_str().unwrap().to_owned();
    assert!(server::citizen::well_formed(&code) && receipt["track_url"] == format!("/track/{code}"), "{receipt}");
    // The tracking page: stage and dates, nothing of what was sent.
    let (s, t, text) = public(&w, "GET", &format!("/api/public/track/{code}"), None).await;
    assert_eq!((s, t["stage"].as_str(), t["verdict_open"].as_bool()), (200, Some("received"), Some(false)), "{t}");
    for secret in ["人行道", "13900001111", "东大街12号"] {
        assert!(!text.contains(secret), "the tracking page shows {secret}: {text}");
    }
    let (s, _, _) =
        public(&w, "POST", &format!("/api/public/track/{code}/verdict"), Some(json!({"verdict": "satisfied"}))).await;
    assert_eq!(s, 409, "no verdict before the report is closed");
    // The centre finds it (source 群众APP, the photo in its history) and accepts it into the loop.
    let id = server::citizen::incident_of(&w.state, &code).await.unwrap().0;
    let (s, f) = w.get(&format!("/api/incidents/{id}")).await;
    assert_eq!((s.as_u16(), f["properties"]["source"].as_str()), (200, Some("citizen_app")), "{f}");
    assert_eq!(f["properties"]["reporter_phone"], "13900001111");
    let (_, p) = w.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!(p["history"][0]["photo"], "image/png", "{p}");
    assert_eq!(w.get(&format!("/api/incidents/{id}/photos/0")).await.0, 200);
    let law = staff(&w, LAW).await;
    let step = |token: String, body: Value| {
        let w = &w;
        async move { w.post_with(&token, &format!("/api/incidents/{id}/transitions"), body.to_string()).await.0 }
    };
    let city = w.token(Role::City).to_owned();
    assert_eq!(w.post(&format!("/api/incidents/{id}/assign"), json!({"department": LAW}).to_string()).await.0, 200);
    assert_eq!(step(law.clone(), json!({"to": "accepted"})).await, 200);
    let (_, t, text) = public(&w, "GET", &format!("/api/public/track/{code}"), None).await;
    assert_eq!(t["stage"], "in_progress", "{t}");
    assert!(!text.contains(LAW) && !text.contains("执法"), "no department on the tracking page: {text}");
    // Law sends it back; the centre closes it as invalid with a note: closed, no return visit.
    assert_eq!(step(law, json!({"to": "returned", "reason": "not_ours", "note": "非本部门"})).await, 200);
    assert_eq!(step(city, json!({"to": "closed", "note": "已由商户自行整改"})).await, 200);
    let before = rated(&w.get("/api/satisfaction?region=620602000000").await.1);
    let (s, t, _) = public(&w, "GET", &format!("/api/public/track/{code}"), None).await;
    assert_eq!((s, t["stage"].as_str(), t["verdict_open"].as_bool()), (200, Some("closed"), Some(true)), "{t}");
    let stages: Vec<&str> = t["steps"].as_array().unwrap().iter().map(|x| x["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["received", "in_progress", "closed"], "{t}");
    // The verdict: once, counted as the event's return visit (none was recorded).
    let body = json!({"verdict": "basically_satisfied", "comment": "处理较慢"});
    let (s, t, _) = public(&w, "POST", &format!("/api/public/track/{code}/verdict"), Some(body.clone())).await;
    assert_eq!(
        (s, t["verdict"].as_str(), t["verdict_open"].as_bool()),
        (200, Some("basically_satisfied"), Some(false)),
        "{t}"
    );
    let (s, e, _) = public(&w, "POST", &format!("/api/public/track/{code}/verdict"), Some(body)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("verdict")), "{e}");
    let after = w.get("/api/satisfaction?region=620602000000").await.1;
    assert_eq!(rated(&after), before + 1, "counted once: {after}");
    let law_row = after["departments"].as_array().unwrap().iter().find(|d| d["code"] == LAW).unwrap();
    assert_eq!(law_row["basically_satisfied"].as_u64(), Some(1), "{after}");
}

#[tokio::test]
async fn the_public_channel_refuses_bad_input_floods_and_guesses() {
    let w = TestWorld::new(1_000).await;
    let good = citizen_report(&w, "垃圾堆放");
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        b[key] = value;
        b
    };
    let refused = [
        (with("kind", json!("robbery")), "kind"),
        (with("kind", json!("no_such_kind")), "kind"),
        (with("description", json!("")), "description"),
        (with("description", json!("很".repeat(501))), "description"),
        (with("lon", json!(10.0)), "lon"),
        (with("phone", json!("12ab")), "phone"),
        (with("address", json!("a\nb")), "address"),
        (with("source", json!("hotline_12345")), "source"),
        (with("external_id", json!("x-1")), "external_id"),
        (with("photo", json!({"content_type": "image/png", "data": "bm90IGFuIGltYWdl"})), "photo.data"),
        (with("photo", json!({"content_type": "text/html", "data": "PGI+"})), "photo.content_type"),
        (with("unknown", json!(1)), "unknown"),
    ];
    // Each refused report still counts against the address: five pass, then 429.
    let mut refusals = 0;
    for (body, field) in refused.iter().take(5) {
        let (s, e, _) = public(&w, "POST", "/api/public/reports", Some(body.clone())).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(*field)), "{body} → {e}");
        refusals += 1;
    }
    let (s, e, _) = public(&w, "POST", "/api/public/reports", Some(good.clone())).await;
    assert_eq!(s, 429, "a flood from one address: {e}");
    assert_eq!(refusals, 5);
    // The rest of the checks, from a fresh throttle (another world, another address count).
    let w2 = TestWorld::new(1_000).await;
    for (body, field) in refused.iter().skip(5).take(5) {
        let (s, e, _) = public(&w2, "POST", "/api/public/reports", Some(body.clone())).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(*field)), "{body} → {e}");
    }
    let w3 = TestWorld::new(1_000).await;
    for (body, field) in refused.iter().skip(10) {
        let (s, e, _) = public(&w3, "POST", "/api/public/reports", Some(body.clone())).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(*field)), "{body} → {e}");
    }
    let huge = with("description", json!("x".repeat(4 << 20)));
    assert_eq!(public(&w3, "POST", "/api/public/reports", Some(huge)).await.0, 413);
    // Codes: 100 random bits each, unknown ones 404 and, past twenty, 429.
    let codes: std::collections::HashSet<String> = (0..1000).map(|_| server::citizen::new_code()).collect();
    assert_eq!(codes.len(), 1000);
    assert!(codes.iter().all(|c| server::citizen::well_formed(c)));
    for k in 0..20 {
        let guess = server::citizen::new_code();
        assert_eq!(public(&w3, "GET", &format!("/api/public/track/{guess}"), None).await.0, 404, "guess {k}");
    }
    assert_eq!(public(&w3, "GET", "/api/public/track/not-a-code", None).await.0, 429, "guessing is slowed");
    // Nothing internal is reachable without a session.
    for uri in ["/api/incidents", "/api/queue", "/api/satisfaction", "/api/units", "/api/departments"] {
        assert_eq!(public(&w3, "GET", uri, None).await.0, 401, "{uri}");
    }
}

#[tokio::test]
async fn a_channel_integration_posts_with_its_own_source_and_id() {
    let w = TestWorld::new(1_000).await;
    let mut body = citizen_report(&w, "12345热线：小区门口占道");
    body["source"] = json!("hotline_12345");
    body["external_id"] = json!("12345-2026-000381");
    let (s, first) = w.post("/api/public/reports", body.to_string()).await;
    assert_eq!(s, 201, "{first}");
    // A minute later the answer was lost and the hotline sends it again.
    w.clock.set(w.state.clock.now() + chrono::Duration::minutes(1));
    let (s, again) = w.post("/api/public/reports", body.to_string()).await;
    assert_eq!((s.as_u16(), &again), (200, &first), "a resend gets the same receipt");
    // The code is keyed by the store's secret: not computable from the channel and id alone.
    let unkeyed = server::citizen::integration_code("", model::Source::Hotline12345, "12345-2026-000381");
    assert_ne!(first["tracking_code"].as_str(), Some(unkeyed.as_str()));
    let secret = w.state.store.meta(server::citizen::SECRET_KEY).await.unwrap().unwrap();
    assert!(secret.len() >= 32, "a store's secret: {secret}");
    let keyed = server::citizen::integration_code(&secret, model::Source::Hotline12345, "12345-2026-000381");
    assert_eq!(first["tracking_code"].as_str(), Some(keyed.as_str()));
    let id = server::citizen::incident_of(&w.state, first["tracking_code"].as_str().unwrap()).await.unwrap().0;
    let (_, f) = w.get(&format!("/api/incidents/{id}")).await;
    assert_eq!(f["properties"]["source"], "hotline_12345", "{f}");
    // Only a command centre's user posts for a channel.
    for role in [Role::Analyst, Role::GridWorker, Role::Department] {
        assert_eq!(w.post_as(role, "/api/public/reports", body.to_string()).await.0, 403, "{role:?}");
    }
    // A session cookie alone is a citizen in a browser: no channel id may be sent.
    let req = Request::post("/api/public/reports")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("{}={}", server::auth::COOKIE, w.token(Role::City)))
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let (s, e) = tests::call(w.app(), req).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("external_id")), "{e}");
    // An integration is not throttled per address: ten posts in a row.
    for k in 0..10 {
        body["external_id"] = json!(format!("12345-2026-1{k:05}"));
        assert_eq!(w.post("/api/public/reports", body.to_string()).await.0, 201, "post {k}");
    }
}

/// A field report body at the interior point of cell `code`.
fn field_report(w: &TestWorld, code: &str, phone_id: &str, photos: usize) -> Value {
    use base64::Engine;
    let cell = w.state.geography.cells().iter().find(|c| c.cell.code.to_string() == code).unwrap();
    let pt = cell.boundary.interior_point().unwrap();
    let photos: Vec<Value> = (0..photos)
        .map(|k| {
            let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], format!("photo-{k}").as_bytes()].concat();
            json!({"content_type": "image/jpeg", "data": base64::engine::general_purpose::STANDARD.encode(jpeg)})
        })
        .collect();
    json!({"external_id": phone_id, "kind": "public_order", "description": "路口聚集人员争吵",
           "lon": pt.x(), "lat": pt.y(), "photos": photos})
}

#[tokio::test]
async fn a_field_report_is_stored_once_with_its_photos_and_tasks_are_done_from_the_phone() {
    let w = TestWorld::new(1_000).await;
    let token = w.token(Role::GridWorker).to_owned();
    let own = w.get_with(&token, "/api/me").await.1["scope"][0].as_str().unwrap().to_owned();
    let body = field_report(&w, &own, "phone-0001-aaaa", 3);
    let (s, first) = w.post_with(&token, "/api/field/reports", body.to_string()).await;
    assert_eq!(s, 201, "{first}");
    let report = &first["items"][0];
    assert_eq!((report["photos"].as_u64(), report["external_id"].as_str()), (Some(3), Some("phone-0001-aaaa")));
    let id = report["id"].as_u64().unwrap();
    // The phone resends after a lost answer, a minute later: the same report, no second photo.
    w.clock.set(w.state.clock.now() + chrono::Duration::minutes(1));
    let (s, again) = w.post_with(&token, "/api/field/reports", body.to_string()).await;
    assert_eq!(
        (s.as_u16(), again["items"][0]["id"].as_u64(), again["items"][0]["photos"].as_u64()),
        (200, Some(id), Some(3))
    );
    // The centre sees it: source 网格员上报, the position, the photos.
    let (_, f) = w.get(&format!("/api/incidents/{id}")).await;
    assert_eq!(f["properties"]["source"], "grid_worker", "{f}");
    let (x, y) = (f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap());
    assert!((x - body["lon"].as_f64().unwrap()).abs() < 1e-6 && (y - body["lat"].as_f64().unwrap()).abs() < 1e-6);
    let (_, p) = w.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!(p["history"].as_array().unwrap().len(), 3, "{p}");
    assert_eq!(w.get(&format!("/api/incidents/{id}/photos/2")).await.0, 200);
    let (_, queue) = w.get("/api/queue").await;
    assert!(queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id), "in the centre's queue");
    // A phone whose clock runs an hour ahead: stored at the server's now, and once.
    let mut ahead = field_report(&w, &own, "phone-0006-ffff", 0);
    ahead["made_at"] = json!((w.state.clock.now() + chrono::Duration::hours(1)).to_rfc3339());
    assert_eq!(w.post_with(&token, "/api/field/reports", ahead.to_string()).await.0, 201);
    w.clock.set(w.state.clock.now() + chrono::Duration::minutes(1));
    let (s, e) = w.post_with(&token, "/api/field/reports", ahead.to_string()).await;
    assert_eq!(s, 200, "{e}");
    // 我的上报: the worker's own reports.
    let (s, mine) = w.get_with(&token, "/api/field/reports").await;
    let ids: Vec<u64> = mine["items"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!((s.as_u16(), ids.len()), (200, 2), "{mine}");
    assert!(ids.contains(&id));
    // Refused: another cell, too many photos, a bad id, a command-centre user.
    let other = neighbour_cell(&w, &own);
    assert_eq!(
        w.post_with(&token, "/api/field/reports", field_report(&w, &other, "phone-0002-bbbb", 0).to_string()).await.0,
        403
    );
    let (s, e) =
        w.post_with(&token, "/api/field/reports", field_report(&w, &own, "phone-0003-cccc", 4).to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("photos")), "{e}");
    let (s, e) = w.post_with(&token, "/api/field/reports", field_report(&w, &own, "x", 0).to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("external_id")), "{e}");
    let mut bad_photo = field_report(&w, &own, "phone-0004-dddd", 1);
    bad_photo["photos"][0]["data"] = json!("bm90IGFuIGltYWdl");
    let (s, e) = w.post_with(&token, "/api/field/reports", bad_photo.to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("photos[0]")), "{e}");
    assert_eq!(w.post("/api/field/reports", field_report(&w, &own, "phone-0005-eeee", 0).to_string()).await.0, 403);

    // Tasks: a public report in the worker's cell is to be verified; a finished order to be
    // called back. Both are done from the phone.
    let cell = w.state.geography.cells().iter().find(|c| c.cell.code.to_string() == own).unwrap();
    let pt = cell.boundary.interior_point().unwrap();
    let citizen = json!({"kind": "city_management", "description": "井盖缺失", "lon": pt.x(), "lat": pt.y(),
                         "phone": "13900001111"});
    let (s, receipt, _) = public(&w, "POST", "/api/public/reports", Some(citizen)).await;
    assert_eq!(s, 201);
    let public_id = server::citizen::incident_of(&w.state, receipt["tracking_code"].as_str().unwrap()).await.unwrap().0;
    let (s, tasks) = w.get_with(&token, "/api/field/tasks").await;
    assert_eq!(s, 200, "{tasks}");
    let verify = tasks["items"].as_array().unwrap().iter().find(|t| t["id"] == public_id).expect("a 核查 task");
    assert_eq!(verify["kind"], "verify");
    let note = json!({"to": "reported", "note_only": true, "note": "核查：属实，井盖已缺失"});
    assert_eq!(w.post_with(&token, &format!("/api/incidents/{public_id}/transitions"), note.to_string()).await.0, 200);
    let (_, tasks) = w.get_with(&token, "/api/field/tasks").await;
    assert!(!tasks["items"].as_array().unwrap().iter().any(|t| t["id"] == public_id), "verified: {tasks}");
    // The centre assigns it, the department finishes it: the worker calls back.
    let law = staff(&w, LAW).await;
    assert_eq!(
        w.post(&format!("/api/incidents/{public_id}/assign"), json!({"department": LAW}).to_string()).await.0,
        200
    );
    for to in ["accepted", "completed"] {
        let (s, e) =
            w.post_with(&law, &format!("/api/incidents/{public_id}/transitions"), json!({"to": to}).to_string()).await;
        assert_eq!(s, 200, "{to}: {e}");
    }
    let (_, tasks) = w.get_with(&token, "/api/field/tasks").await;
    let callback = tasks["items"].as_array().unwrap().iter().find(|t| t["id"] == public_id).expect("a 回访 task");
    assert_eq!(callback["kind"], "callback");
    let verdict = json!({"to": "feedback", "verdict": "satisfied", "note": "电话回访"});
    let (s, p) = w.post_with(&token, &format!("/api/incidents/{public_id}/transitions"), verdict.to_string()).await;
    assert_eq!((s.as_u16(), p["status"].as_str()), (200, Some("feedback")), "{p}");
    // A grid worker is no staff writer: no incident through the staff API, no police step,
    // reporters masked.
    let police = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                        "properties": {"category": "public_order", "occurred_at": "2026-10-30T08:00:00Z"}});
    assert_eq!(w.post_with(&token, "/api/incidents", police.to_string()).await.0, 403);
    let (_, f) = w.get_with(&token, &format!("/api/incidents/{id}")).await;
    assert_eq!(f["properties"]["source"], "grid_worker", "{f}");
    let note = json!({"to": "reported", "note_only": true, "note": "补充"});
    let (s, e) = w.post_with(&token, &format!("/api/incidents/{id}/transitions"), note.to_string()).await;
    assert_eq!(s, 403, "a note on a police event: {e}");
    let (_, f) = w.get_with(&token, &format!("/api/incidents/{public_id}")).await;
    assert_eq!(f["properties"]["reporter_phone"], "139****1111", "masked for a grid worker: {f}");
    // Closing stays the centre's.
    let (s, _) = w
        .post_with(&token, &format!("/api/incidents/{public_id}/transitions"), json!({"to": "closed"}).to_string())
        .await;
    assert_eq!(s, 403);
    // A command-centre user has no field tasks.
    assert_eq!(w.get("/api/field/tasks").await.0, 403);
    // A village officer's tasks include the visits due in their villages.
    let (s, t) = w.get_as(Role::Village, "/api/field/tasks").await;
    assert_eq!(s, 200, "{t}");
    let visits = t["items"].as_array().unwrap().iter().filter(|x| x["kind"] == "visit").count();
    assert!(visits > 0, "{t}");
}
