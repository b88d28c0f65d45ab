//! The village desk's records through the API: a village officer's desk and visits (with a
//! photo), disputes through the linked mediation tracks, reassignment moving a village and the
//! officer's jurisdiction with it, the backlog board against a scan of the store, bad input
//! naming its field, and every record surviving a restart.

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use model::auth::Role;
use model::{RegionCode, Status};
use serde_json::{Value, json};
use tests::TestWorld;
use tower::ServiceExt;

/// A tiny PNG (8-byte signature and some bytes): enough for the type check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-test-bytes";

fn officer0(w: &TestWorld) -> u64 {
    w.state.geography.officers()[0].id
}

fn own_villages(w: &TestWorld) -> Vec<RegionCode> {
    w.state.live.desk().villages_of(officer0(w))
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn raw_get(w: &TestWorld, role: Role, uri: &str) -> (u16, String, Vec<u8>) {
    let req = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", w.token(role)))
        .body(Body::empty())
        .unwrap();
    let res = w.app().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    (status, kind, bytes)
}

#[tokio::test]
async fn a_village_officer_records_visits_and_the_desk_schedules_the_next() {
    let w = TestWorld::new(4_000).await;
    let now = w.state.clock.now();
    let mine = own_villages(&w);
    assert!(!mine.is_empty());
    // The roster is the store's: the desk starts from it.
    let roster: Vec<RegionCode> = w.state.geography.officers()[0].villages.clone();
    assert_eq!(mine.iter().collect::<std::collections::BTreeSet<_>>(), roster.iter().collect());
    let (s, desk) = w.get_as(Role::Village, "/api/desk").await;
    assert_eq!(s, 200, "{desk}");
    assert_eq!(desk["officer"]["id"], officer0(&w));
    let listed: Vec<String> = desk["villages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["village"]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, mine.iter().map(|v| v.to_string()).collect::<Vec<_>>());
    // Never visited, on the roster since before the desk: due today, not yet overdue.
    for v in desk["villages"].as_array().unwrap() {
        assert_eq!(time(&v["visit_due"]), now, "{v}");
        assert_eq!(v["visit_overdue"], false);
    }
    let visit_tasks = desk["tasks"].as_array().unwrap().iter().filter(|t| t["kind"] == "visit").count();
    assert_eq!(visit_tasks, mine.len());
    // A leader sees the same desk by naming the officer; a leader without one is told to.
    let (s, same) = w.get_as(Role::County, &format!("/api/desk?officer={}", officer0(&w))).await;
    assert_eq!((s.as_u16(), same["villages"].as_array().unwrap().len()), (200, mine.len()));
    assert_eq!(w.get_as(Role::County, "/api/desk").await.0, 400);
    assert_eq!(w.get_as(Role::Analyst, "/api/desk").await.0, 403);

    // A visit yesterday, with a photo.
    let yesterday = now - Duration::days(1);
    let photo = base64::engine::general_purpose::STANDARD.encode(PNG);
    let body = json!({"village": mine[0].to_string(), "visited_at": yesterday, "place": "村委会",
                      "people_met": "村支书、网格员", "notes": "排查矛盾纠纷两起",
                      "photo": {"content_type": "image/png", "data": photo}});
    let (s, visit) = w.post_as(Role::Village, "/api/visits", body.to_string()).await;
    assert_eq!(s, 201, "{visit}");
    assert_eq!(visit["place"], "村委会");
    let url = visit["photo_url"].as_str().unwrap().to_owned();
    let (s, kind, bytes) = raw_get(&w, Role::Village, &url).await;
    assert_eq!((s, kind.as_str(), bytes.as_slice()), (200, "image/png", PNG));
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    let v0 = &desk["villages"][0];
    assert_eq!(time(&v0["last_visit"]), yesterday);
    assert_eq!(time(&v0["visit_due"]), yesterday + Duration::days(7));
    assert_eq!(desk["visits"].as_array().unwrap().len(), 1);
    // The list and the audit log have it.
    let (_, list) = w.get_as(Role::Township, "/api/visits").await;
    let seen = list["items"].as_array().unwrap().iter().any(|v| v["id"] == visit["id"]);
    let township: RegionCode = "620602001000".parse().unwrap();
    assert_eq!(seen, township.contains(mine[0]), "a township sees visits of its own villages only");
    let (_, wl) = w.get_as(Role::Village, "/api/workload").await;
    let me = &wl["officers"][0];
    assert_eq!((me["visits_done"].as_u64(), me["visits_due"].as_u64()), (Some(1), Some(4 * mine.len() as u64)));
    let (_, audit) = w.get_as(Role::Admin, "/api/audit?action=record_visit").await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");

    // Bad input names its field and stores nothing.
    let outside = w
        .state
        .geography
        .regions()
        .iter()
        .find(|r| r.region.level == model::RegionLevel::Village && !mine.contains(&r.region.code))
        .unwrap()
        .region
        .code;
    let own = mine[0].to_string();
    let cases = [
        (json!({"village": outside.to_string(), "place": "x"}), 404, "village"),
        (json!({"village": "62060", "place": "x"}), 422, "village"),
        (json!({"village": own, "place": " "}), 422, "place"),
        (json!({"village": own, "place": "x", "visited_at": now + Duration::hours(2)}), 422, "visited_at"),
        (json!({"village": own, "place": "x", "visited_at": now - Duration::days(40)}), 422, "visited_at"),
        (json!({"village": own, "place": "x", "lon": 103.0}), 422, "lat"),
        (json!({"village": own, "place": "x", "lon": 100.0, "lat": 30.0}), 422, "lon"),
        (
            json!({"village": own, "place": "x", "photo": {"content_type": "image/gif", "data": "AA=="}}),
            422,
            "photo.content_type",
        ),
        (
            json!({"village": own, "place": "x", "photo": {"content_type": "image/png", "data": "!!"}}),
            422,
            "photo.data",
        ),
        (
            json!({"village": own, "place": "x", "photo": {"content_type": "image/jpeg", "data": photo}}),
            422,
            "photo.data",
        ),
        (json!({"village": own, "place": "x", "mood": "ok"}), 422, "mood"),
    ];
    for (body, status, field) in cases {
        let (s, e) = w.post_as(Role::Village, "/api/visits", body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, Some(field)), "{body} → {e}");
    }
    assert_eq!(w.post_as(Role::City, "/api/visits", json!({"village": own, "place": "x"}).to_string()).await.0, 403);
    assert_eq!(w.state.live.desk().visits().count(), 1, "no bad visit was stored");
}

async fn step(w: &TestWorld, id: u64, body: Value) -> (u16, Value) {
    let (s, v) = w.post_as(Role::Village, &format!("/api/disputes/{id}/transitions"), body.to_string()).await;
    (s.as_u16(), v)
}

#[tokio::test]
async fn disputes_move_between_the_mediation_tracks_and_refuse_illegal_steps() {
    let w = TestWorld::new(2_000).await;
    let own = own_villages(&w)[0].to_string();
    let body = json!({"village": own, "kind": "land", "title": "宅基地边界", "parties": "张某、李某",
                      "summary": "院墙越界", "mediator": "村调委会"});
    let (s, d) = w.post_as(Role::Village, "/api/disputes", body.to_string()).await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_u64().unwrap();
    assert_eq!((d["status"].as_str(), d["track"].as_str()), (Some("registered"), Some("peoples")));
    let offered: Vec<&str> = d["next_steps"].as_array().unwrap().iter().map(|x| x["to"].as_str().unwrap()).collect();
    assert_eq!(offered, ["mediating", "referred"], "a party may refuse mediation");
    // A second dispute gets the next id.
    let (_, d2) = w.post_as(Role::Village, "/api/disputes", body.to_string()).await;
    assert_eq!(d2["id"].as_u64(), Some(id + 1));

    let (s, v) = step(&w, id, json!({"to": "mediating", "session": {"notes": "双方到场"}})).await;
    assert_eq!((s, v["sessions"].as_array().unwrap().len()), (200, 1), "{v}");
    let old_version = v["version"].as_u64().unwrap();
    assert_eq!(v["sessions"][0]["mediator"], "村调委会", "a session defaults to the mediator in charge");
    // Illegal: mediating → closed.
    let (s, e) = step(&w, id, json!({"to": "closed"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("to")), "{e}");
    let (s, _) = step(&w, id, json!({"to": "failed", "outcome": "分歧较大"})).await;
    assert_eq!(s, 200);
    // Referred needs its referral, and a referral goes with referred only.
    let (s, e) = step(&w, id, json!({"to": "referred"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("referral")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "mediating", "referral": "litigation"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("referral")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "referred", "referral": "duel"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("referral")), "{e}");
    let (_, v) = w.get_as(Role::Village, &format!("/api/disputes/{id}")).await;
    let offered: Vec<&str> = v["next_steps"].as_array().unwrap().iter().map(|x| x["to"].as_str().unwrap()).collect();
    assert_eq!(offered, ["mediating", "escalated", "closed", "referred"], "no ladder is forced");
    // A change decided on an old version is refused.
    let (s, e) = step(&w, id, json!({"to": "escalated", "version": old_version})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("version")), "{e}");
    let (s, v) = step(&w, id, json!({"to": "escalated", "mediator": "派出所"})).await;
    assert_eq!((s, v["track"].as_str(), v["mediator"].as_str()), (200, Some("administrative"), Some("派出所")));
    for to in ["mediating", "failed", "escalated", "mediating", "failed"] {
        assert_eq!(step(&w, id, json!({ "to": to })).await.0, 200, "{to}");
    }
    let (_, v) = w.get_as(Role::Village, &format!("/api/disputes/{id}")).await;
    assert_eq!((v["track"].as_str(), v["status"].as_str()), (Some("judicial"), Some("failed")));
    // Judicial is the last track.
    let (s, e) = step(&w, id, json!({"to": "escalated"})).await;
    assert_eq!(s, 409, "{e}");
    let (s, v) = step(&w, id, json!({"to": "closed", "outcome": "引导诉讼"})).await;
    assert_eq!((s, v["status"].as_str(), v["history"].as_array().unwrap().len()), (200, Some("closed"), 9));

    // Bad input.
    let cases = [
        (json!({"to": "done"}), 422, "to"),
        (json!({}), 422, "to"),
        (json!({"session": {"notes": "x", "held_at": Utc::now() + Duration::days(400)}}), 422, "session.held_at"),
    ];
    let other = d2["id"].as_u64().unwrap();
    for (body, status, field) in cases {
        let (s, e) = step(&w, other, body.clone()).await;
        assert_eq!((s, e["error"]["field"].as_str()), (status, Some(field)), "{body} → {e}");
    }
    let mut bad = body.clone();
    bad["kind"] = json!("feud");
    let mut no_title = body.clone();
    no_title["title"] = json!("");
    let mut future = body.clone();
    future["opened_at"] = json!(w.state.clock.now() + Duration::days(1));
    let mut no_incident = body.clone();
    no_incident["incident"] = json!(99_999_999);
    let mut unknown_village = body.clone();
    unknown_village["village"] = json!("620602999999");
    for (b, status, field) in [
        (bad, 422, "kind"),
        (no_title, 422, "title"),
        (future, 422, "opened_at"),
        (no_incident, 422, "incident"),
        (unknown_village, 404, "village"),
    ] {
        let (s, e) = w.post_as(Role::Village, "/api/disputes", b.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, Some(field)), "{b} → {e}");
    }
    assert_eq!(w.post_as(Role::Analyst, "/api/disputes", body.to_string()).await.0, 403);
    // Roles that do not handle cases read it with the parties masked and the texts left out.
    let (s, masked) = w.get_as(Role::Analyst, &format!("/api/disputes/{id}")).await;
    assert_eq!(
        (s.as_u16(), masked["parties"].as_str(), masked["summary"].as_str(), masked["title"].as_str()),
        (200, Some("张*、李*"), Some(""), Some("土地承包")),
        "{masked}"
    );
    assert!(masked["history"].as_array().unwrap().iter().all(|h| h["outcome"] == ""), "{masked}");
    let (_, list) = w.get_as(Role::Analyst, "/api/disputes?status=all").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["parties"].as_str().unwrap().contains('张') || d["parties"].as_str().unwrap().contains('*'))
    );
    assert_eq!(step(&w, 424_242, json!({"to": "mediating"})).await.0, 404);

    // Statistics agree with the list.
    let (_, stats) = w.get_as(Role::Village, "/api/disputes/stats").await;
    assert_eq!((stats["total"].as_u64(), stats["open"].as_u64()), (Some(2), Some(1)), "{stats}");
    let land = stats["by_kind"].as_array().unwrap().iter().find(|k| k["kind"] == "land").unwrap();
    assert_eq!(land["total"], 2);
    assert_eq!(stats["by_village"][0]["village"]["code"], own);
    assert_eq!(stats["by_status"]["closed"], 1);
    let (_, open) = w.get_as(Role::Village, "/api/disputes").await;
    assert_eq!(open["total"], 1);
    let (_, all) = w.get_as(Role::Village, "/api/disputes?status=all").await;
    assert_eq!(all["total"], 2);
    let (_, wl) = w.get_as(Role::Village, "/api/workload").await;
    assert_eq!(wl["officers"][0]["open_disputes"], 1);
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    assert_eq!(desk["disputes"].as_array().unwrap().len(), 1);
    assert!(desk["tasks"].as_array().unwrap().iter().any(|t| t["kind"] == "dispute" && t["id"] == other));
}

#[tokio::test]
async fn mediation_is_voluntary_a_failure_is_referred_and_an_agreement_confirmed() {
    let w = TestWorld::new(2_000).await;
    let own = own_villages(&w)[0].to_string();
    let register = |extra: Value| {
        let mut body = json!({"village": own, "kind": "labour", "title": "拖欠工资", "parties": "王某、某建筑队",
                              "mediator": "村调委会"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let new = |extra: Value| {
        let w = &w;
        let body = register(extra);
        async move {
            let (s, d) = w.post_as(Role::Village, "/api/disputes", body.to_string()).await;
            assert_eq!(s, 201, "{d}");
            d
        }
    };
    // 诉调对接: the court's reference travels with the case.
    let refused = new(json!({"court_reference": "(2026)甘0602民诉前调88号"})).await;
    assert_eq!(refused["court_reference"], "(2026)甘0602民诉前调88号");
    let (s, e) = w
        .post_as(Role::Village, "/api/disputes", register(json!({"court_reference": "x".repeat(61)})).to_string())
        .await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("court_reference")), "{e}");
    // A party refuses mediation: the desk closes the case as referred, naming where.
    let id = refused["id"].as_u64().unwrap();
    let (s, v) =
        step(&w, id, json!({"to": "referred", "referral": "arbitration", "outcome": "引导申请劳动仲裁"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["referral"].as_str(), v["referral_zh"].as_str()),
        (Some("referred"), Some("arbitration"), Some("仲裁"))
    );
    assert!(v["closed_at"].is_string() && v["next_steps"].as_array().unwrap().is_empty(), "{v}");

    // A failed people's mediation may simply close.
    let failed = new(json!({})).await["id"].as_u64().unwrap();
    for to in ["mediating", "failed", "closed"] {
        assert_eq!(step(&w, failed, json!({ "to": to })).await.0, 200, "{to}");
    }

    // An agreement of people's mediation: its judicial confirmation, once, within 30 days.
    let agreed = new(json!({})).await["id"].as_u64().unwrap();
    let (s, e) = step(
        &w,
        agreed,
        json!({"confirmation": {"court": "凉州区人民法院", "reference": "(2026)甘0602民特1号",
                                                          "confirmed_on": "2026-01-05"}}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("confirmation")), "no agreement yet: {e}");
    step(&w, agreed, json!({"to": "mediating"})).await;
    let (_, v) = step(&w, agreed, json!({"to": "agreed", "outcome": "分两期付清"})).await;
    assert_eq!(v["confirmation_allowed"], true, "{v}");
    let agreed_on = model::time::local_date(serde_json::from_value(v["agreed_at"].clone()).unwrap());
    assert_eq!(v["confirmation_apply_by"], json!((agreed_on + Duration::days(30)).to_string()));
    let today = model::time::local_date(w.state.clock.now());
    let confirmation = |on: chrono::NaiveDate| json!({"confirmation": {"court": "凉州区人民法院", "reference": "(2026)甘0602民特2号", "confirmed_on": on}});
    let (s, e) = step(&w, agreed, confirmation(today + Duration::days(2))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("confirmation.confirmed_on")), "{e}");
    let (s, e) =
        step(&w, agreed, json!({"confirmation": {"court": "", "reference": "r", "confirmed_on": today}})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("confirmation.court")), "{e}");
    let (s, v) = step(&w, agreed, confirmation(today)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["confirmation"]["reference"], "(2026)甘0602民特2号");
    assert_eq!((v["confirmation_allowed"].as_bool(), v["confirmation_apply_by"].is_null()), (Some(false), true));
    let (s, e) = step(&w, agreed, confirmation(today)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("confirmation")), "only once: {e}");
    assert_eq!(step(&w, agreed, json!({"to": "closed"})).await.0, 200);
    // Administrative mediation's agreements are not confirmed by the court.
    let admin = new(json!({"track": "administrative"})).await["id"].as_u64().unwrap();
    step(&w, admin, json!({"to": "mediating"})).await;
    let (s, e) = step(
        &w,
        admin,
        json!({"to": "agreed", "confirmation": {"court": "c", "reference": "r", "confirmed_on": today}}),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("confirmation")), "{e}");

    let (_, stats) = w.get_as(Role::Village, "/api/disputes/stats").await;
    assert_eq!(
        (stats["by_status"]["referred"].as_u64(), stats["by_status"]["closed"].as_u64()),
        (Some(1), Some(2)),
        "{stats}"
    );
    assert_eq!(
        (stats["total"].as_u64(), stats["open"].as_u64(), stats["resolved"].as_u64()),
        (Some(4), Some(1), Some(1)),
        "{stats}"
    );
}

#[tokio::test]
async fn reassigning_a_village_moves_it_and_the_officers_jurisdiction_with_it() {
    let w = TestWorld::new(2_000).await;
    let g = &w.state.geography;
    let a = officer0(&w);
    let village = own_villages(&w)[0];
    let county = "620602";
    let station_county = |o: &model::Officer| {
        g.resources().iter().find(|r| r.id == o.station_id).map(|r| r.region_code.to_string()[..6].to_owned())
    };
    let b = g.officers().iter().find(|o| o.id != a && station_county(o).as_deref() == Some(county)).unwrap().id;
    let outsider = g.officers().iter().find(|o| station_county(o).as_deref() == Some("620623")).unwrap().id;
    // The village officer sees the village before.
    assert_eq!(w.get_as(Role::Village, &format!("/api/villages/{village}")).await.0, 200);
    let body = json!({"village": village.to_string(), "officer": b, "note": "均衡工作量"});
    assert_eq!(w.post_as(Role::Village, "/api/assignments", body.to_string()).await.0, 403);
    let (s, r) = w.post_as(Role::County, "/api/assignments", body.to_string()).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!((r["assignment"]["previous"].as_u64(), r["assignment"]["officer"].as_u64()), (Some(a), Some(b)));
    // The village left officer A's desk and jurisdiction, and joined B's desk.
    assert_eq!(w.get_as(Role::Village, &format!("/api/villages/{village}")).await.0, 404);
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    assert!(desk["villages"].as_array().unwrap().iter().all(|v| v["village"]["code"] != village.to_string()));
    let (_, desk_b) = w.get_as(Role::County, &format!("/api/desk?officer={b}")).await;
    let moved = desk_b["villages"].as_array().unwrap().iter().find(|v| v["village"]["code"] == village.to_string());
    assert!(moved.unwrap()["assigned_since"].is_string(), "{desk_b}");
    let (_, wl) = w.get_as(Role::County, "/api/workload").await;
    let of_b = wl["officers"].as_array().unwrap().iter().find(|o| o["officer"]["id"] == b).unwrap();
    assert!(of_b["villages"].as_array().unwrap().iter().any(|v| v["code"] == village.to_string()));
    // History.
    let (_, history) = w.get_as(Role::County, "/api/assignments").await;
    assert_eq!(history["items"][0]["change"]["village"], village.to_string());
    // Bad input: the same again, a stale version, an unknown or outside officer, unknown village.
    let cases = [
        (body.clone(), 409, "officer"),
        (json!({"village": village.to_string(), "officer": a, "version": 0}), 409, "version"),
        (json!({"village": village.to_string(), "officer": 987_654}), 422, "officer"),
        (json!({"village": village.to_string(), "officer": outsider}), 422, "officer"),
        (json!({"village": "620602999999", "officer": a}), 404, "village"),
        (json!({"village": "x", "officer": a}), 422, "village"),
    ];
    for (body, status, field) in cases {
        let (s, e) = w.post_as(Role::County, "/api/assignments", body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, Some(field)), "{body} → {e}");
    }
    // Uncovering a village flags it in the workload.
    let (s, _) = w
        .post_as(Role::County, "/api/assignments", json!({"village": village.to_string(), "officer": null}).to_string())
        .await;
    assert_eq!(s, 201);
    let (_, wl) = w.get_as(Role::County, "/api/workload").await;
    assert!(wl["unassigned"].as_array().unwrap().iter().any(|v| v["code"] == village.to_string()));
    let (_, audit) = w.get_as(Role::Admin, "/api/audit?action=reassign_village").await;
    assert_eq!(audit.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_backlog_board_counts_every_case_past_its_limit_and_leaders_take_charge() {
    let w = TestWorld::new(6_000).await;
    // Two old cases in the county (one in its first township), one outside it.
    for (region, days) in [("620602001000", 45), ("620602000000", 120), ("620621000000", 60)] {
        w.leave_open(region, days).await;
    }
    let now = w.state.clock.now();
    let rows = w.state.store.load_incident_rows().await.unwrap();
    let county: RegionCode = "620602000000".parse().unwrap();
    let limit = (now - Duration::days(30)).timestamp();
    // 综治 events open past the limit are backlog; police 110 events as old are overdue apart.
    let old_open = |r: &&store::IncidentRow| {
        county.contains(r.cell_code.village()) && r.status != Status::Closed && r.reported_s < limit
    };
    let police = |r: &&store::IncidentRow| r.category.workflow() == model::taxonomy::Workflow::Police;
    let expected: Vec<_> = rows.iter().filter(old_open).filter(|r| !police(r)).collect();
    let police_expected = rows.iter().filter(old_open).filter(police).count();
    assert!(expected.len() >= 2, "{} old open events", expected.len());
    let (s, board) = w.get_as(Role::County, "/api/backlog").await;
    assert_eq!(s, 200, "{board}");
    assert_eq!(board["total"].as_u64(), Some(expected.len() as u64));
    assert_eq!((board["disputes"].as_u64(), board["petitions"].as_u64()), (Some(0), Some(0)));
    assert_eq!(board["police_overdue"].as_u64(), Some(police_expected as u64), "{}", board["police_overdue"]);
    let bands: u64 = board["by_band"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).sum();
    assert_eq!(bands, expected.len() as u64);
    let county_row = &board["areas"][0];
    assert_eq!(
        (county_row["level"].as_str(), county_row["total"].as_u64()),
        (Some("county"), Some(expected.len() as u64))
    );
    let townships: u64 = board["areas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["level"] == "township")
        .map(|a| a["total"].as_u64().unwrap())
        .sum();
    assert_eq!(townships, expected.len() as u64);
    // The oldest case first, and its age band from its age.
    let oldest = expected.iter().min_by_key(|r| (r.reported_s, r.id.0)).unwrap();
    let first = &board["cases"][0];
    assert_eq!(first["id"].as_u64(), Some(oldest.id.0));
    let age = (now.timestamp() - oldest.reported_s) / 86_400;
    assert_eq!(first["age_days"].as_i64(), Some(age));
    assert_eq!(first["band"].as_u64(), Some(u64::from(model::desk::age_band(age))));
    // The trend ends at today's count and never falls for today's cases.
    let weekly: Vec<u64> = board["weekly"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(*weekly.last().unwrap(), expected.len() as u64);
    assert!(weekly.windows(2).all(|p| p[0] <= p[1]), "{weekly:?}");
    let (_, heat) = w.get_as(Role::County, "/api/backlog/heat").await;
    assert_eq!(heat["features"].as_array().unwrap().len(), expected.len());

    // A leader takes charge; a note follows.
    let uri = format!("/api/backlog/event/{}", oldest.id.0);
    let target = (now + Duration::days(30)).date_naive();
    let body = json!({"leader_in_charge": "王副局长", "target_date": target, "note": "包案督办"});
    assert_eq!(w.post_as(Role::Village, &uri, body.to_string()).await.0, 403, "village officers do not name leaders");
    let (s, r) = w.post_as(Role::County, &uri, body.to_string()).await;
    assert_eq!(s, 201, "{r}");
    let (s, _) = w.post_as(Role::County, &uri, json!({"note": "已约谈当事人"}).to_string()).await;
    assert_eq!(s, 201);
    let (_, board) = w.get_as(Role::County, "/api/backlog").await;
    let first = &board["cases"][0];
    assert_eq!((first["leader_in_charge"].as_str(), first["updates"].as_array().unwrap().len()), (Some("王副局长"), 2));
    assert_eq!(first["target_date"], target.to_string());
    assert_eq!(board["with_leader"], 1);
    // Bad input.
    let recent = rows
        .iter()
        .find(|r| county.contains(r.cell_code.village()) && r.status != Status::Closed && r.reported_s > limit)
        .unwrap();
    let past = (now - Duration::days(2)).date_naive();
    for (uri, body, status, field) in [
        (uri.clone(), json!({}), 422, Some("note")),
        (uri.clone(), json!({"target_date": past}), 422, Some("target_date")),
        (uri.clone(), json!({"leader": "x"}), 422, Some("leader")),
        (format!("/api/backlog/event/{}", recent.id.0), json!({"note": "x"}), 409, None),
        ("/api/backlog/case/1".to_owned(), json!({"note": "x"}), 400, Some("origin")),
        ("/api/backlog/event/99999999".to_owned(), json!({"note": "x"}), 404, None),
    ] {
        let (s, e) = w.post_as(Role::County, &uri, body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, field), "{uri} {body} → {e}");
    }
    // An old dispute is a backlog case too.
    let own = own_villages(&w)[0];
    let d = json!({"village": own.to_string(), "kind": "labour", "title": "欠薪", "parties": "工人、包工头",
                   "mediator": "调委会", "opened_at": now - Duration::days(70)});
    assert_eq!(w.post_as(Role::Village, "/api/disputes", d.to_string()).await.0, 201);
    let (_, board) = w.get_as(Role::County, "/api/backlog").await;
    assert_eq!((board["total"].as_u64(), board["disputes"].as_u64()), (Some(expected.len() as u64 + 1), Some(1)));
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    assert!(desk["backlog"].as_array().unwrap().iter().any(|c| c["origin"] == "dispute"));
    // So is a petition unanswered 75 days after receipt; a leader takes charge of it.
    let p = json!({"village": own.to_string(), "channel": "letter", "kind": "labour", "matter": "欠薪",
                   "petitioners": [{"name": "赵六"}], "received_at": now - Duration::days(80)});
    let (s, p) = w.post_as(Role::Village, "/api/petitions", p.to_string()).await;
    assert_eq!(s, 201, "{p}");
    let (_, board) = w.get_as(Role::County, "/api/backlog").await;
    assert_eq!((board["total"].as_u64(), board["petitions"].as_u64()), (Some(expected.len() as u64 + 2), Some(1)));
    let uri = format!("/api/backlog/petition/{}", p["id"]);
    assert_eq!(w.post_as(Role::County, &uri, json!({"leader_in_charge": "李副县长"}).to_string()).await.0, 201);
    // Bound to the county leader's account, tagged 骨头案, due in 5 days: on their my-cases
    // with a reminder.
    let soon = (now + Duration::days(5)).date_naive();
    let body = json!({"leader_user": "county", "tag": "bone", "department": "县人社局", "target_date": soon});
    let (s, r) = w.post_as(Role::County, &uri, body.to_string()).await;
    assert_eq!(s, 201, "{r}");
    for (body, field) in [
        (json!({"leader_user": "village"}), "leader_user"),
        (json!({"leader_user": "nobody"}), "leader_user"),
        (json!({"tag": "stone"}), "tag"),
    ] {
        let (s, e) = w.post_as(Role::County, &uri, body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some(field)), "{body} → {e}");
    }
    let (s, mine) = w.get_as(Role::County, "/api/my-cases").await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(
        (mine["cases"].as_array().unwrap().len(), mine["due_soon"].as_u64(), mine["missed"].as_u64()),
        (1, Some(1), Some(0)),
        "{mine}"
    );
    let c = &mine["cases"][0];
    assert_eq!(
        (c["origin"].as_str(), c["tag_zh"].as_str(), c["department"].as_str(), c["reminder"].as_str()),
        (Some("petition"), Some("骨头案"), Some("县人社局"), Some("due_soon"))
    );
    // Past the target date the reminder says so; others' cases are not on the city's list.
    w.clock.set(now + Duration::days(6));
    let (_, mine) = w.get_as(Role::County, "/api/my-cases").await;
    assert_eq!((mine["missed"].as_u64(), mine["cases"][0]["reminder_zh"].as_str()), (Some(1), Some("逾期未化解")));
    w.clock.set(now);
    let (_, city) = w.get_as(Role::City, "/api/my-cases").await;
    assert_eq!(city["cases"].as_array().unwrap().len(), 0);
    assert_eq!(w.get_as(Role::Village, "/api/my-cases").await.0, 403);
    // A police 110 event open 45 days is overdue, not a backlog case: no leader is put on it.
    let at = now - Duration::days(45);
    let cell = w.state.geography.cells()[w.state.geography.cell_range(county).start as usize].boundary.clone();
    let pt = geo::InteriorPoint::interior_point(&cell).unwrap();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x(), pt.y()]},
                      "properties": {"category": "public_order", "occurred_at": at, "reported_at": at}});
    let (s, e) = w.post("/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{e}");
    let (_, board) = w.get_as(Role::County, "/api/backlog").await;
    assert_eq!(board["police_overdue"].as_u64(), Some(police_expected as u64 + 1));
    assert_eq!(board["total"].as_u64(), Some(expected.len() as u64 + 2), "not counted as backlog");
    let (s, e) =
        w.post_as(Role::County, &format!("/api/backlog/event/{}", e["id"]), json!({"note": "x"}).to_string()).await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("超期未结"), "{e}");
}

#[tokio::test]
async fn desk_records_survive_a_restart() {
    let w = TestWorld::new(2_000).await;
    let own = own_villages(&w);
    let body = json!({"village": own[0].to_string(), "place": "养殖户"});
    assert_eq!(w.post_as(Role::Village, "/api/visits", body.to_string()).await.0, 201);
    let d = json!({"village": own[0].to_string(), "kind": "neighbour", "title": "噪音", "parties": "甲、乙",
                   "mediator": "调委会"});
    let (_, d) = w.post_as(Role::Village, "/api/disputes", d.to_string()).await;
    let id = d["id"].as_u64().unwrap();
    assert_eq!(step(&w, id, json!({"to": "mediating"})).await.0, 200);
    let reassign = json!({"village": own[0].to_string(), "officer": null});
    assert_eq!(w.post_as(Role::County, "/api/assignments", reassign.to_string()).await.0, 201);
    // A second server on the same store sees the same desk.
    let again = server::boot::load_state(w.state.store.clone(), w.clock.clone()).await.unwrap();
    let book = again.live.desk();
    assert_eq!(book.visits().count(), 1);
    assert_eq!(book.dispute(id).unwrap().status, model::desk::DisputeStatus::Mediating);
    assert_eq!(book.officer_of(own[0]), None);
    assert_eq!(book.villages_of(officer0(&w)).len(), own.len() - 1);
}

#[tokio::test]
async fn villages_file_monthly_screenings_and_a_missed_one_is_overdue_and_scored() {
    let w = TestWorld::new(2_000).await;
    // The officer's roster village, and one of the county handed over to them now.
    let v1 = own_villages(&w)[0];
    let v2 = w
        .state
        .geography
        .regions_at(model::RegionLevel::Village, Some(v1.truncate(model::RegionLevel::County)))
        .map(|r| r.region.code)
        .find(|v| *v != v1)
        .unwrap();
    let body = json!({"village": v2.to_string(), "officer": officer0(&w)});
    assert_eq!(w.post_as(Role::City, "/api/assignments", body.to_string()).await.0, 201);
    let villages = own_villages(&w);
    assert_eq!(villages.len(), 2);
    let (v1, v2) = (v1.to_string(), v2.to_string());
    let file = |body: Value| {
        let w = &w;
        async move {
            let (s, v) = w.post_as(Role::Village, "/api/screenings", body.to_string()).await;
            (s.as_u16(), v)
        }
    };
    // The clock stands 12 hours into November: October's screenings are overdue, November's due.
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    let tasks: Vec<&Value> = desk["tasks"].as_array().unwrap().iter().filter(|t| t["kind"] == "screening").collect();
    // v2 was taken over after October's was due: only November's is the officer's.
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert_eq!(tasks.iter().filter(|t| t["overdue"] == true).count(), 1);
    assert!(tasks.iter().any(|t| t["title_zh"].as_str().unwrap().starts_with("2026-10 矛盾纠纷排查")));

    // November: a zero report, then corrected when a dispute turns up.
    let (s, x) = file(json!({"village": v1, "zero_report": true, "risk": "green"})).await;
    assert_eq!(s, 201, "{x}");
    assert_eq!(
        (x["month"].as_str(), x["on_time"].as_bool(), x["versions"].as_u64()),
        (Some("2026-11"), Some(true), Some(1))
    );
    let (s, e) = file(json!({"village": v1, "zero_report": true, "risk": "green"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("version")), "filed already: {e}");
    let body =
        json!({"village": v1, "kind": "water", "title": "轮水次序", "parties": "甲、乙", "mediator": "村调委会"});
    let (_, d) = w.post_as(Role::Village, "/api/disputes", body.to_string()).await;
    let dispute = d["id"].as_u64().unwrap();
    let version = x["version"].as_u64().unwrap();
    let correction = json!({"village": v1, "zero_report": false, "disputes": [dispute], "risk": "orange",
                            "notes": "轮水纠纷", "version": version});
    let (s, x) = file(correction.clone()).await;
    assert_eq!(s, 200, "{x}");
    assert_eq!(
        (x["versions"].as_u64(), x["risk_zh"].as_str(), x["disputes"][0]["title"].as_str()),
        (Some(2), Some("橙"), Some("轮水次序"))
    );
    let (s, e) = file(correction).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("version")), "a stale correction: {e}");

    // Bad input, each naming its field; nothing is stored.
    let outside = w
        .state
        .geography
        .regions_at(model::RegionLevel::Village, Some("620623000000".parse().unwrap()))
        .next()
        .unwrap()
        .region
        .code;
    let elsewhere =
        json!({"village": v2, "kind": "land", "title": "地界", "parties": "丙、丁", "mediator": "村调委会"});
    let (_, other) = w.post_as(Role::City, "/api/disputes", elsewhere.to_string()).await;
    let other = other["id"].as_u64().unwrap();
    for (body, status, field) in [
        (
            json!({"village": v1, "month": "2026-10", "zero_report": false, "disputes": [other], "risk": "green"}),
            422,
            "disputes",
        ),
        (
            json!({"village": v1, "month": "2026-10", "zero_report": false, "disputes": [dispute, dispute], "risk": "green"}),
            422,
            "disputes",
        ),
        (
            json!({"village": v1, "month": "2026-10", "zero_report": true, "disputes": [dispute], "risk": "green"}),
            422,
            "zero_report",
        ),
        (json!({"village": v2, "zero_report": false, "risk": "green"}), 422, "zero_report"),
        (json!({"village": v2, "zero_report": true, "risk": "purple"}), 422, "risk"),
        (json!({"village": v2, "month": "2026-12", "zero_report": true, "risk": "green"}), 422, "month"),
        (json!({"village": v2, "month": "2025-06", "zero_report": true, "risk": "green"}), 422, "month"),
        (json!({"village": v2, "month": "2026-13", "zero_report": true, "risk": "green"}), 422, "month"),
        (json!({"village": outside.to_string(), "zero_report": true, "risk": "green"}), 404, "village"),
    ] {
        let (s, e) = file(body.clone()).await;
        assert_eq!((s, e["error"]["field"].as_str()), (status, Some(field)), "{body} → {e}");
    }
    for role in [Role::Analyst, Role::City, Role::County, Role::Admin, Role::Department] {
        let body = json!({"village": v2, "zero_report": true, "risk": "green"}).to_string();
        assert_eq!(w.post_as(role, "/api/screenings", body).await.0, 403, "{role:?}");
    }

    // October, filed late for v1: its overdue task goes, the board counts it late.
    let (s, x) = file(json!({"village": v1, "month": "2026-10", "zero_report": true, "risk": "yellow"})).await;
    assert_eq!((s, x["on_time"].as_bool()), (201, Some(false)), "{x}");
    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    let open: Vec<String> = desk["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "screening")
        .map(|t| format!("{} {}", t["village"]["code"].as_str().unwrap(), t["due_at"].as_str().unwrap()))
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(!open.iter().any(|t| t.starts_with(&v1)), "{open:?}");
    let (s, b) = w.get_as(Role::Village, "/api/screenings?month=2026-10").await;
    assert_eq!(s, 200, "{b}");
    let n = villages.len() as u64;
    assert_eq!(
        (b["villages_total"].as_u64(), b["late"].as_u64(), b["overdue"].as_u64(), b["on_time"].as_u64()),
        (Some(n), Some(1), Some(n - 1), Some(0))
    );
    assert_eq!(b["villages"][0]["state"], "overdue", "overdue first");
    assert_eq!(b["by_risk"], json!([0, 0, 1, 0]));
    let (_, b) = w.get_as(Role::Village, "/api/screenings").await;
    assert_eq!(
        (b["month"].as_str(), b["pending"].as_u64(), b["on_time"].as_u64(), b["zero_reports"].as_u64()),
        (Some("2026-11"), Some(n - 1), Some(1), Some(0))
    );
    // The city sees every village; a county only its own; a region outside is 404.
    let (_, city) = w.get_as(Role::City, "/api/screenings?month=2026-10&limit=1").await;
    let all = w.state.geography.regions_at(model::RegionLevel::Village, None).count() as u64;
    assert_eq!((city["villages_total"].as_u64(), city["villages"].as_array().unwrap().len()), (Some(all), 1));
    assert_eq!(w.get_as(Role::Village, "/api/screenings?month=10").await.0, 400);
    assert_eq!(w.get_as(Role::Village, "/api/screenings?region=620623000000").await.0, 404);

    // The scorecard: October is unavailable (screening began after it was due) until a
    // screening is filed before its end; then on time over the county's villages.
    let county = &v1[..6];
    let cell = |card: &Value, indicator: &str| {
        card["rows"].as_array().unwrap().iter().find(|r| r["code"] == format!("{county}000000")).unwrap()["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["indicator"] == indicator)
            .unwrap()
            .clone()
    };
    let (_, card) = w.get_as(Role::City, "/api/scorecard?period=2026-10&level=county").await;
    assert_eq!(cell(&card, "screening_on_time")["judgement"], "unavailable", "{card}");
    w.clock.set(Utc.with_ymd_and_hms(2026, 10, 20, 2, 0, 0).unwrap());
    let (s, x) = file(json!({"village": v2, "month": "2026-10", "zero_report": true, "risk": "green"})).await;
    w.clock.set(tests::test_now());
    assert_eq!((s, x["on_time"].as_bool()), (201, Some(true)), "{x}");
    let (_, card) = w.get_as(Role::City, "/api/scorecard?period=2026-10&level=county").await;
    let c = cell(&card, "screening_on_time");
    let in_county = w
        .state
        .geography
        .regions_at(model::RegionLevel::Village, Some(format!("{county}000000").parse().unwrap()))
        .count() as u64;
    assert_eq!((c["numerator"].as_u64(), c["denominator"].as_u64()), (Some(1), Some(in_county)), "{c}");
    assert_eq!(c["judgement"], "scored", "{c}");
    let (_, card) = w.get_as(Role::City, "/api/scorecard?period=2026-11&level=county").await;
    let c = cell(&card, "screening_on_time");
    assert_eq!((c["denominator"].as_u64(), c["judgement"].as_str()), (Some(0), Some("too_few")), "not due yet: {c}");
}

/// The village's mediator roster (法治带头人) is read in the jurisdiction and names the mediator
/// of a dispute: someone of the village's own roster, by id; another village's, or a name that
/// is not theirs, is refused naming the field; a roster mediator's role shows on the dispute.
#[tokio::test]
async fn disputes_name_their_mediator_from_the_villages_roster() {
    let w = TestWorld::new(2_000).await;
    let villages = own_villages(&w);
    let own = villages[0];
    let (s, roster) = w.get_as(Role::Village, &format!("/api/mediators?region={own}")).await;
    assert_eq!(s, 200, "{roster}");
    let roster = roster.as_array().unwrap().clone();
    assert!(roster.len() >= 3, "{roster:?}");
    assert!(roster.iter().all(|m| m["village"]["code"] == own.to_string()));
    let expected: Vec<u64> = w.state.geography.mediators_of(own).iter().map(|m| m.id).collect();
    assert_eq!(roster.iter().map(|m| m["id"].as_u64().unwrap()).collect::<Vec<_>>(), expected);
    let literate = roster.iter().find(|m| m["role"] == "legal_literate").unwrap();
    assert_eq!(literate["role_zh"], "法律明白人");
    assert!(!literate["phone"].as_str().unwrap().contains('*'), "the officer handles cases: phones in full");
    // The whole jurisdiction's rosters, and none of another village.
    let (_, all) = w.get_as(Role::Village, "/api/mediators").await;
    let all = all.as_array().unwrap();
    assert!(all.iter().all(|m| villages.iter().any(|v| m["village"]["code"] == v.to_string())), "{all:?}");
    let elsewhere = w
        .state
        .geography
        .regions()
        .iter()
        .map(|r| r.region.code)
        .find(|c| c.level() == model::RegionLevel::Village && !villages.contains(c))
        .unwrap();
    let stranger = w.state.geography.mediators_of(elsewhere)[0].id;

    let body = |id: Value, name: &str| {
        json!({"village": own.to_string(), "kind": "water", "title": "浇水次序", "parties": "张某、李某",
               "mediator_id": id, "mediator": name})
    };
    let (s, e) = w.post_as(Role::Village, "/api/disputes", body(json!(stranger), "").to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("mediator_id")), "{e}");
    let (s, e) = w.post_as(Role::Village, "/api/disputes", body(literate["id"].clone(), "别人").to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("mediator")), "{e}");
    let (s, e) = w.post_as(Role::Village, "/api/disputes", body(Value::Null, " ").to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("mediator")), "{e}");
    let (s, d) = w.post_as(Role::Village, "/api/disputes", body(literate["id"].clone(), "").to_string()).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(
        (&d["mediator"], &d["mediator_id"], &d["mediator_role"]),
        (&literate["name"], &literate["id"], &json!("legal_literate"))
    );
    let id = d["id"].as_u64().unwrap();
    // A session defaults to them; a new mediator from the roster replaces them, a name alone
    // leaves the roster.
    let cadre = roster.iter().find(|m| m["role"] == "village_cadre").unwrap();
    let (s, v) = step(&w, id, json!({"to": "mediating", "session": {}, "mediator_id": cadre["id"]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sessions"][0]["mediator"], literate["name"]);
    assert_eq!((&v["mediator"], &v["mediator_role"]), (&cadre["name"], &json!("village_cadre")));
    let (s, e) = step(&w, id, json!({"session": {}, "mediator_id": stranger})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("mediator_id")), "{e}");
    let (s, e) = step(&w, id, json!({"session": {}, "mediator": " "})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("mediator")), "a blank name is refused: {e}");
    let (s, v) = step(&w, id, json!({"session": {}, "mediator": "镇司法所"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["mediator"].as_str(), v.get("mediator_id"), v.get("mediator_role")), (Some("镇司法所"), None, None));
}

/// Leaders' reminders reach the live feed (领导包案提醒): a case in a leader's charge raises one
/// alert when its target date is a week away and one when it passes, whatever the number of
/// watchers (instances) and checks; the alert names the case by kind, never by its title; a
/// closed case raises none; a target date moved later is reminded again.
#[tokio::test]
async fn reminders_of_cases_in_a_leaders_charge_go_on_the_live_feed_once_each() {
    let w = TestWorld::new(2_000).await;
    let now = w.state.clock.now();
    let event = w.leave_open("620602001000", 45).await;
    let own = own_villages(&w)[0];
    let d = json!({"village": own.to_string(), "kind": "labour", "title": "张三欠薪", "parties": "张三、包工头",
                   "mediator": "调委会", "opened_at": now - Duration::days(70)});
    let (s, d) = w.post_as(Role::Village, "/api/disputes", d.to_string()).await;
    assert_eq!(s, 201, "{d}");
    let dispute = d["id"].as_u64().unwrap();
    let target = (now + Duration::days(5)).date_naive();
    for uri in [format!("/api/backlog/event/{event}"), format!("/api/backlog/dispute/{dispute}")] {
        let body = json!({"leader_user": "leader", "tag": "nail", "target_date": target, "note": "包案"});
        let (s, r) = w.post_as(Role::County, &uri, body.to_string()).await;
        assert_eq!(s, 201, "{r}");
    }
    assert!(case_reminders(&w).await.is_empty());
    // Two instances checking at once raise each reminder once.
    tokio::join!(server::live::watch::remind(&w.state, now), server::live::watch::remind(&w.state, now));
    server::live::watch::remind(&w.state, now).await;
    let raised = case_reminders(&w).await;
    let mut cases: Vec<(String, u64, String)> = raised
        .iter()
        .map(|a| {
            let c = &a["case"];
            (
                c["origin"].as_str().unwrap().to_owned(),
                c["id"].as_u64().unwrap(),
                c["reminder"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    cases.sort();
    assert_eq!(
        cases,
        [("dispute".to_owned(), dispute, "due_soon".to_owned()), ("event".to_owned(), event, "due_soon".to_owned())],
        "{raised:?}"
    );
    let on_dispute = raised.iter().find(|a| a["case"]["origin"] == "dispute").unwrap();
    let zh = on_dispute["message_zh"].as_str().unwrap();
    assert!(
        zh.contains("领导包案提醒") && zh.contains("劳资") && zh.contains("钉子案") && zh.contains("还有 5 天"),
        "{zh}"
    );
    assert!(!zh.contains("张三"), "a title may name people: {zh}");
    assert_eq!(on_dispute["case"]["leader_user"], "leader");
    // Recorded once per case in the store, whatever the number of checks.
    let recorded = |w: &TestWorld| {
        let store = w.state.store.clone();
        async move {
            let events = store
                .events_since(chrono::DateTime::UNIX_EPOCH, vec![model::live::LiveKind::BacklogCase])
                .await
                .unwrap();
            events.iter().filter(|e| e.event.data.contains("\"reminder\"")).count()
        }
    };
    assert_eq!(recorded(&w).await, 2);
    // The reminders are no progress notes; the leader's desk still shows the case due soon.
    let (_, mine) = w.get_as(Role::Leader, "/api/my-cases").await;
    assert_eq!(mine["due_soon"].as_u64(), Some(2), "{mine}");
    assert!(mine["cases"].as_array().unwrap().iter().all(|c| c["updates"].as_array().unwrap().len() == 1), "{mine}");
    // Past the target date: one more for the event; the dispute, referred elsewhere, no more.
    let later = now + Duration::days(6);
    w.clock.set(later);
    let (s, v) = step(&w, dispute, json!({"to": "referred", "referral": "arbitration"})).await;
    assert_eq!(s, 200, "{v}");
    server::live::watch::remind(&w.state, later).await;
    server::live::watch::remind(&w.state, later).await;
    let raised = case_reminders(&w).await;
    let missed: Vec<&Value> = raised.iter().filter(|a| a["case"]["reminder"] == "missed").collect();
    assert_eq!(missed.len(), 1, "{raised:?}");
    assert_eq!(recorded(&w).await, 3, "the referred dispute is not reminded");
    assert_eq!((missed[0]["case"]["origin"].as_str(), missed[0]["incident"].as_u64()), (Some("event"), Some(event)));
    assert!(missed[0]["message_en"].as_str().unwrap().contains("passed its target date"), "{}", missed[0]);
    // A new target date is reminded again when it nears.
    let moved = (later + Duration::days(20)).date_naive();
    let body = json!({"target_date": moved, "note": "延期"});
    assert_eq!(w.post_as(Role::County, &format!("/api/backlog/event/{event}"), body.to_string()).await.0, 201);
    server::live::watch::remind(&w.state, later).await;
    assert_eq!(case_reminders(&w).await.len(), 3, "not yet near");
    let near = later + Duration::days(14);
    w.clock.set(near);
    server::live::watch::remind(&w.state, near).await;
    let raised = case_reminders(&w).await;
    assert_eq!(raised.len(), 4, "{raised:?}");
    assert!(raised.iter().any(|a| a["case"]["target_date"] == moved.to_string()));
}

/// The case reminders on the alert tray of the county's leader.
async fn case_reminders(w: &TestWorld) -> Vec<Value> {
    let (s, alerts) = w.get_as(Role::Leader, "/api/alerts").await;
    assert_eq!(s, 200, "{alerts}");
    alerts.as_array().unwrap().iter().filter(|a| a["kind"] == "case_reminder").cloned().collect()
}
