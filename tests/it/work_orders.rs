//! The 综治 work-order loop through the API: 分拨 with the suggested department, 退单 with a
//! reason, 改派, 签收, 办结, 回访 (a dissatisfied verdict sends it back once), 结案; 协办 notes;
//! who may take which step; what department staff see (their orders, nothing else); the
//! department's work list and the satisfaction rates.

use geo::InteriorPoint;
use model::auth::Role;
use serde_json::{Value, json};
use store::NewUser;
use tests::TestWorld;

const LAW: &str = "law_enforcement-620602";
const WATER: &str = "water-620602";
const MARKET: &str = "market-620602";

/// A point inside the first cell of `region`.
fn point_in(w: &TestWorld, region: &str) -> (f64, f64) {
    let range = w.state.geography.cell_range(region.parse().unwrap());
    let p = w.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    (p.x(), p.y())
}

async fn report(w: &TestWorld, region: &str, category: &str) -> u64 {
    let (lon, lat) = point_in(w, region);
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": {"category": category, "occurred_at": "2026-10-31T09:00:00Z",
                                     "summary": "商铺占道经营", "address": "东大街12号",
                                     "reporter_name": "赵六", "reporter_phone": "13811112222"}});
    let (s, f) = w.post("/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{f}");
    f["id"].as_u64().unwrap()
}

async fn staff(w: &TestWorld, department: &str) -> String {
    let region =
        w.state.geography.department(&model::department::DepartmentCode::parse(department).unwrap()).unwrap().region;
    w.sign_in_new(NewUser {
        username: format!("staff-{department}"),
        password_hash: String::new(),
        role: Role::Department,
        jurisdiction: Some(region),
        officer_id: None,
        department: Some(model::department::DepartmentCode::parse(department).unwrap()),
        grid_worker_id: None,
    })
    .await
}

async fn step_with(w: &TestWorld, token: &str, id: u64, body: Value) -> (u16, Value) {
    let (s, v) = w.post_with(token, &format!("/api/incidents/{id}/transitions"), body.to_string()).await;
    (s.as_u16(), v)
}

fn statuses(progress: &Value) -> Vec<String> {
    progress["history"].as_array().unwrap().iter().map(|c| c["to"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_order_goes_out_comes_back_is_reassigned_redone_rated_and_closed() {
    let w = TestWorld::new(1_000).await;
    let city = w.token(Role::City).to_owned();
    let (law, water, market) = (staff(&w, LAW).await, staff(&w, WATER).await, staff(&w, MARKET).await);
    let id = report(&w, "620602001000", "city_management").await;
    // Before 分拨: the suggestion is the most local law-enforcement department; staff see nothing.
    let (_, p) = w.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!((p["workflow"].as_str(), p["suggested_department"].as_str()), (Some("department"), Some(LAW)), "{p}");
    assert_eq!(p["due_at"], json!("2026-11-01T08:00:00Z"), "assign within the kind's 240 minutes: {p}");
    for t in [&law, &water] {
        assert_eq!(w.get_with(t, &format!("/api/incidents/{id}")).await.0, 404);
    }
    // 分拨 checks its departments: known, serving the place, not lead and helper at once.
    let assign = |body: Value| {
        let w = &w;
        async move { w.post(&format!("/api/incidents/{id}/assign"), body.to_string()).await }
    };
    let (s, e) = assign(json!({"department": "law_enforcement-620623"})).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("department")), "{e}");
    let (s, e) = assign(json!({"department": "nobody"})).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("department")), "{e}");
    let (s, e) = assign(json!({"department": WATER, "co_departments": [WATER]})).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("co_departments")), "{e}");
    let (s, e) = assign(json!({"department": WATER, "due_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("due_at")), "{e}");
    // Department staff cannot assign, nor can a village officer.
    let (s, _) =
        w.post_with(&water, &format!("/api/incidents/{id}/assign"), json!({"department": WATER}).to_string()).await;
    assert_eq!(s, 404, "staff do not see an order that is not theirs");
    let (s, e) = w
        .post_as(Role::Village, &format!("/api/incidents/{id}/assign"), json!({"department": WATER}).to_string())
        .await;
    assert!(s == 403 || s == 404, "{s} {e}");
    // 派单 to the wrong department, with market as 协办.
    let (s, p) = assign(json!({"department": WATER, "co_departments": [MARKET], "note": "请核实"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["status"].as_str(), p["order"]["department"].as_str()), (Some("assigned"), Some(WATER)));
    // Water sees it (with the reporter unmasked: staff handle cases) and its work list has it.
    let (s, f) = w.get_with(&water, &format!("/api/incidents/{id}")).await;
    assert_eq!((s.as_u16(), f["properties"]["reporter_phone"].as_str()), (200, Some("13811112222")), "{f}");
    let (s, list) = w.get_with(&water, &format!("/api/queue?department={WATER}")).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!((list["counts"]["pending"].as_u64(), list["items"][0]["id"].as_u64()), (Some(1), Some(id)), "{list}");
    assert_eq!(list["items"][0]["address"], "东大街12号");
    assert_eq!(w.get_with(&water, &format!("/api/queue?department={LAW}")).await.0, 403, "another's list");
    // Law sees nothing yet; market (协办) sees it and may note, not take it.
    assert_eq!(w.get_with(&law, &format!("/api/incidents/{id}")).await.0, 404);
    let (s, _) =
        step_with(&w, &market, id, json!({"to": "assigned", "note_only": true, "note": "协办：已联系商户"})).await;
    assert_eq!(s, 200);
    let (s, e) = step_with(&w, &market, id, json!({"to": "accepted"})).await;
    assert_eq!(s, 403, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("only the lead department water-620602"), "{e}");
    // 退单 needs a reason.
    let (s, e) = step_with(&w, &water, id, json!({"to": "returned"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("reason")), "{e}");
    let (s, p) = step_with(&w, &water, id, json!({"to": "returned", "reason": "not_ours", "note": "非供水问题"})).await;
    assert_eq!((s, p["status"].as_str()), (200, Some("returned")), "{p}");
    let (_, p) = w.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!(p["suggested_department"].as_str(), Some(LAW), "a returned order is suggested again");
    // 改派 to law; water and its work list lose it.
    let (s, p) = assign(json!({"department": LAW, "co_departments": [MARKET]})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(w.get_with(&water, &format!("/api/incidents/{id}")).await.0, 404, "no longer water's");
    let (_, list) = w.get_with(&water, &format!("/api/queue?department={WATER}")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    // Law takes it and finishes it; the centre's return visit is dissatisfied: back to law, flagged.
    assert_eq!(step_with(&w, &law, id, json!({"to": "accepted"})).await.0, 200);
    let (s, e) = step_with(&w, &law, id, json!({"to": "feedback", "verdict": "satisfied"})).await;
    assert_eq!(s, 409, "{e}");
    // 办结 with a photo of the cleared street; a photo goes with 办结 only.
    let png = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nstreet-cleared")
    };
    let photo = json!({"content_type": "image/png", "data": png});
    let (s, e) = step_with(&w, &law, id, json!({"to": "returned", "reason": "duplicate", "photo": photo})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("photo")), "{e}");
    let (s, p) = step_with(&w, &law, id, json!({"to": "completed", "note": "已劝离", "photo": photo})).await;
    assert_eq!(s, 200, "{p}");
    let k = p["history"].as_array().unwrap().len() - 1;
    assert_eq!(p["history"][k]["photo"], "image/png");
    let uri = format!("/api/incidents/{id}/photos/{k}");
    for t in [&city, &law] {
        let req = axum::http::Request::get(&uri)
            .header("authorization", format!("Bearer {t}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
    }
    assert_eq!(w.get_with(&water, &uri).await.0, 404, "not water's any more");
    assert_eq!(w.get(&format!("/api/incidents/{id}/photos/0")).await.0, 404, "a step without a photo");
    let (s, e) = step_with(&w, &law, id, json!({"to": "feedback", "verdict": "satisfied"})).await;
    assert_eq!(s, 403, "the return visit is the centre's: {e}");
    let (s, e) = step_with(&w, &city, id, json!({"to": "feedback"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("verdict")), "{e}");
    let (s, p) =
        step_with(&w, &city, id, json!({"to": "feedback", "verdict": "dissatisfied", "note": "仍在占道"})).await;
    assert_eq!((s, p["status"].as_str(), p["order"]["reworked"].as_bool()), (200, Some("accepted"), Some(true)), "{p}");
    let (_, list) = w.get_with(&law, &format!("/api/queue?department={LAW}")).await;
    assert_eq!((list["counts"]["returned"].as_u64(), list["items"][0]["bucket"].as_str()), (Some(1), Some("returned")));
    // Redone, rated satisfied, closed.
    assert_eq!(step_with(&w, &law, id, json!({"to": "completed", "note": "已取缔"})).await.0, 200);
    assert_eq!(step_with(&w, &city, id, json!({"to": "feedback", "verdict": "satisfied"})).await.0, 200);
    let (s, p) = step_with(&w, &city, id, json!({"to": "closed"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        statuses(&p),
        [
            "assigned",
            "assigned",
            "returned",
            "assigned",
            "accepted",
            "completed",
            "accepted",
            "completed",
            "feedback",
            "closed"
        ]
    );
    let history = p["history"].as_array().unwrap();
    assert_eq!(history[1]["note_only"], true);
    assert_eq!(history[1]["by_department"].as_str(), Some(MARKET));
    assert_eq!((history[2]["reason"].as_str(), history[2]["by_department"].as_str()), (Some("not_ours"), Some(WATER)));
    assert_eq!(history[6]["verdict"].as_str(), Some("dissatisfied"));
    // The verdicts, per department and per township: one of two satisfied.
    let (s, sat) = w.get("/api/satisfaction?region=620602000000").await;
    assert_eq!(s, 200, "{sat}");
    let row = sat["departments"].as_array().unwrap().iter().find(|r| r["code"] == LAW).unwrap().clone();
    assert_eq!(
        (row["satisfied"].as_u64(), row["dissatisfied"].as_u64(), row["rate"].as_f64()),
        (Some(1), Some(1), Some(0.5)),
        "{row}"
    );
    assert_eq!(sat["regions"][0]["code"], "620602001000", "{sat}");
    let (_, own) = w.get_with(&water, "/api/satisfaction").await;
    assert_eq!(own["total"]["rate"], Value::Null, "water's own verdicts only: {own}");
    assert_eq!(w.get_with(&water, &format!("/api/satisfaction?department={LAW}")).await.0, 403);
    // Every step is on the audit log with the department it went to.
    let (_, audit) = w.get_as(Role::Admin, "/api/audit?action=change_status&limit=1000").await;
    let details: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"].as_str().and_then(|t| t.parse::<u64>().ok()) == Some(id))
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(details.iter().any(|d| d.contains(&format!("reported → assigned ({WATER})"))), "{details:?}");
}

#[tokio::test]
async fn department_staff_see_only_their_orders_and_police_events_keep_their_chain() {
    let w = TestWorld::new(1_000).await;
    let law = w.token(Role::Department).to_owned();
    // Staff see no situation: no lists, counts, units or regions' incidents.
    let (_, list) = w.get_with(&law, "/api/incidents?limit=10").await;
    assert_eq!(list["features"].as_array().unwrap().len(), 0, "{list}");
    let (_, stats) = w.get_with(&law, "/api/stats").await;
    assert_eq!(stats["total"].as_u64(), Some(0), "{stats}");
    let (_, depts) = w.get_with(&law, "/api/departments").await;
    assert_eq!(depts.as_array().unwrap().len(), 1);
    assert_eq!(w.get_with(&law, "/api/desk").await.0, 403);
    // A police event cannot be assigned, and a 综治 event cannot be dispatched.
    let theft = report(&w, "620602001000", "criminal").await;
    let (s, e) = w.post(&format!("/api/incidents/{theft}/assign"), json!({"department": LAW}).to_string()).await;
    assert_eq!(s, 409, "{e}");
    let stall = report(&w, "620602001000", "city_management").await;
    let unit = w.state.geography.resources().iter().find(|r| r.kind == model::ResourceKind::PatrolUnit).unwrap().id;
    let (s, e) = step_with(&w, w.token(Role::City), stall, json!({"to": "dispatched", "unit": unit})).await;
    assert_eq!(s, 409, "{e}");
    // A centre sees the lead department in its queue; the county's departments are listed.
    let (s, _) = w.post(&format!("/api/incidents/{stall}/assign"), json!({"department": LAW}).to_string()).await;
    assert_eq!(s, 200);
    let (_, q) = w.get("/api/queue?days=3&limit=500").await;
    let item = q["items"].as_array().unwrap().iter().find(|i| i["id"] == stall).unwrap().clone();
    assert_eq!((item["status"].as_str(), item["department"].as_str()), (Some("assigned"), Some(LAW)), "{item}");
    let (_, depts) = w.get_as(Role::Township, "/api/departments?region=620602001000").await;
    let codes: Vec<&str> = depts.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&LAW) && codes.contains(&"justice-620602001"), "{codes:?}");
    assert!(!codes.iter().any(|c| c.ends_with("620623")), "{codes:?}");
    // The staff's work list holds it, and the incident's place shows up there only.
    let (_, list) = w.get_with(&law, &format!("/api/queue?department={LAW}")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let (_, list) = w.get_with(&law, "/api/incidents?limit=10").await;
    assert_eq!(list["features"].as_array().unwrap().len(), 0, "still no situation: {list}");
}

#[tokio::test]
async fn the_demo_seeds_orders_mostly_done_on_time_and_rated_with_a_few_back_late_or_dissatisfied() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn store::Store> = Arc::new(store::gpkg::GpkgStore::open(dir.path()).unwrap());
    let end = tests::test_now();
    let params = demo::DemoParams { base_incidents: 40_000, days: 120, ..demo::DemoParams::new(7, end) };
    server::boot::seed_demo(store.as_ref(), &params, None).await.unwrap();
    let clock = Arc::new(server::clock::FixedClock::new(end));
    let state = server::boot::load_state(store.clone(), clock).await.unwrap();
    // The orders of the last weeks are on the board, each with its lead department.
    let orders = state.live.board().orders().count();
    assert!(orders > 1_000, "{orders} orders on the board");
    // Open orders are a small share: most are done and closed well inside their deadlines.
    let (mut open, mut overdue, mut hard) = (0, 0, 0);
    let now = end;
    let month_ago = (end - chrono::Duration::days(30)).timestamp();
    // The board before the index, as everywhere (the pump takes them in that order).
    {
        let board = state.live.board();
        let index = state.index();
        for (id, order) in board.orders() {
            let Some(p) = index.get(model::IncidentId(id)) else { continue };
            if !p.status.is_open() {
                continue;
            }
            let entered = board.stage(id).map(|s| s.entered_at).unwrap();
            let deadlines = state.settings.deadlines(p.category);
            let due = model::workflow::due_at(&deadlines, p.status, entered, Some(order)).unwrap();
            // A hard case (open for more than a month, or its stage past three times its
            // allowance, which no ordinary draw reaches) is the backlog's, overdue by nature.
            let allowed = chrono::Duration::minutes(i64::from(deadlines.allowed_min(p.status).unwrap()));
            if p.reported_s < month_ago || now - entered > allowed * 3 {
                hard += 1;
                continue;
            }
            open += 1;
            overdue += usize::from(due < now);
        }
    }
    assert!(open > 0 && (open as f64) < 0.25 * orders as f64, "{open} of {orders} open");
    assert!((overdue as f64) < 0.15 * open as f64, "{overdue} of {open} open orders overdue");
    assert!(hard <= 10, "{hard} hard cases");
    // The public's verdicts: most satisfied, some not.
    let scope = model::scope::Scope::everything();
    let sat = server::work_orders::satisfaction(
        &state,
        &scope,
        "620600000000".parse().unwrap(),
        None,
        end - chrono::Duration::days(30),
        end,
    )
    .await
    .unwrap();
    let rate = sat.total.rate.unwrap();
    assert!(sat.total.rated() > 500 && (0.85..0.99).contains(&rate), "{} verdicts, rate {rate}", sat.total.rated());
    assert!(sat.total.dissatisfied > 0 && sat.departments.len() > 10 && sat.regions.len() == 4, "{sat:?}");
    // The demo department's staff have work in their list.
    let law = state
        .geography
        .department(&model::department::DepartmentCode::parse(server::boot::DEMO_DEPARTMENT).unwrap())
        .unwrap()
        .clone();
    let list =
        server::work_orders::work_list(&state, &law, &model::scope::Scope::of(vec![law.region]), end).await.unwrap();
    assert!(!list.items.is_empty(), "{:?}", list.counts);
    println!(
        "demo orders: {orders} on the board, {open} open ({overdue} overdue); {} verdicts, {:.1}% satisfied; {} in {}'s list {:?}",
        sat.total.rated(),
        rate * 100.0,
        list.items.len(),
        law.code,
        list.counts
    );
}

#[tokio::test]
async fn a_call_that_is_no_police_matter_is_diverted_to_the_governance_loop_keeping_both_histories() {
    let w = TestWorld::new(1_000).await;
    let call = report(&w, "620602001000", "assistance").await;
    let divert = |id: u64, body: Value, role: Role| {
        let w = &w;
        async move { w.post_as(role, &format!("/api/incidents/{id}/divert"), body.to_string()).await }
    };
    // Only the centre diverts, only to a 综治 kind.
    let (s, _) = divert(call, json!({"kind": "public_utilities"}), Role::Village).await;
    assert_eq!(s, 403);
    let (s, e) = divert(call, json!({"kind": "criminal"}), Role::City).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("kind")), "{e}");
    let (s, p) = divert(call, json!({"kind": "public_utilities", "note": "停水，非警务"}), Role::City).await;
    assert_eq!(s, 201, "{p}");
    let event = p["id"].as_u64().unwrap();
    assert_ne!(event, call);
    assert_eq!(
        (p["workflow"].as_str(), p["status"].as_str(), p["suggested_department"].as_str()),
        (Some("department"), Some("reported"), Some("water-620602")),
        "{p}"
    );
    assert!(p["history"][0]["note"].as_str().unwrap().contains(&format!("#{call}")), "{p}");
    // The call is closed as diverted, its history naming the event; its facts went along.
    let (_, h) = w.get(&format!("/api/incidents/{call}/history")).await;
    assert_eq!(h["status"], "closed");
    assert_eq!(h["history"][0]["diverted"], true, "{h}");
    assert!(h["history"][1]["note"].as_str().unwrap().contains(&format!("#{event}")), "{h}");
    let (_, f) = w.get(&format!("/api/incidents/{event}")).await;
    assert_eq!(
        (f["properties"]["category"].as_str(), f["properties"]["address"].as_str()),
        (Some("public_utilities"), Some("东大街12号"))
    );
    // A second diversion, or one of a dispatched call, is refused.
    let (s, _) = divert(call, json!({"kind": "public_utilities"}), Role::City).await;
    assert_eq!(s, 409);
    let (s, _) = divert(event, json!({"kind": "public_utilities"}), Role::City).await;
    assert_eq!(s, 409, "a 综治 event is not diverted");
}
