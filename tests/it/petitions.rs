//! Petitions (信访): the stages and deadlines of the 信访工作条例 (2022), supervision of the
//! overdue from the level above, repeats grouped, petitioners masked for roles that do not
//! handle cases, and the jurisdiction on every route.

use chrono::{DateTime, Duration, Utc};
use model::auth::Role;
use serde_json::{Value, json};
use tests::TestWorld;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("not a time: {v}")).parse().unwrap()
}

async fn step(w: &TestWorld, id: u64, body: Value) -> (u16, Value) {
    let (s, v) = w.post_as(Role::Village, &format!("/api/petitions/{id}/transitions"), body.to_string()).await;
    (s.as_u16(), v)
}

#[tokio::test]
async fn petitions_pass_the_regulations_stages_with_their_deadlines() {
    let w = TestWorld::new(2_000).await;
    let now = w.state.clock.now();
    let officer = w.state.geography.officers()[0].id;
    let village = w.state.live.desk().villages_of(officer)[0];
    let body = json!({"village": village.to_string(), "channel": "visit", "kind": "expropriation",
                      "petitioners": [{"name": "张三", "phone": "13800001234"}, {"name": "李四"}],
                      "headcount": 6, "matter": "征地补偿款未足额发放", "summary": "要求补足补偿款"});
    let (s, p) = w.post_as(Role::Village, "/api/petitions", body.to_string()).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_u64().unwrap();
    assert_eq!(
        (p["status"].as_str(), p["collective"].as_bool(), p["masked"].as_bool()),
        (Some("registered"), Some(true), Some(false))
    );
    assert_eq!(time(&p["due_at"]), now + Duration::days(15), "acceptance within 15 days");
    assert_eq!((p["group"].as_u64(), p["group_size"].as_u64()), (Some(id), Some(1)));
    assert_eq!(p["handled_in"]["code"], village.truncate(model::RegionLevel::Township).to_string());

    let (_, desk) = w.get_as(Role::Village, "/api/desk").await;
    let task = desk["tasks"].as_array().unwrap().iter().find(|t| t["kind"] == "petition" && t["id"] == id).cloned();
    assert_eq!(task.map(|t| time(&t["due_at"])), Some(now + Duration::days(15)), "on the officer's desk");
    // Roles that do not handle cases see the petitioners masked; handlers see them whole.
    let (s, seen) = w.get_as(Role::Analyst, &format!("/api/petitions/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(
        (seen["petitioners"][0]["name"].as_str(), seen["petitioners"][0]["phone"].as_str()),
        (Some("张*"), Some("138****1234"))
    );
    assert_eq!(seen["masked"], true);
    let (_, seen) = w.get_as(Role::County, &format!("/api/petitions/{id}")).await;
    assert_eq!(seen["petitioners"][0]["name"], "张三");

    // registered → answered skips acceptance.
    let (s, e) = step(&w, id, json!({"to": "answered", "note": "x"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("to")), "{e}");
    let (s, p) = step(&w, id, json!({"to": "accepted"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(time(&p["due_at"]), now + Duration::days(60), "the answer within 60 days of acceptance");
    // 交办 names where; the one extension adds 30 days, a second is refused.
    let (s, e) = step(&w, id, json!({"to": "assigned"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("assigned_region")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "assigned", "assigned_region": "620623000000"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("assigned_region")), "outside: {e}");
    let (s, p) = step(
        &w,
        id,
        json!({"to": "assigned", "assigned_department": "县自然资源局", "extension_reason": "涉及多个部门"}),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(time(&p["due_at"]), now + Duration::days(90));
    assert_eq!(
        (p["extension_allowed"].as_bool(), p["assigned_department"].as_str()),
        (Some(false), Some("县自然资源局"))
    );
    let (s, e) = step(&w, id, json!({"extension_reason": "再延期"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("extension_reason")), "{e}");
    // An answer is written down.
    let (s, e) = step(&w, id, json!({"to": "answered"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("note")), "{e}");
    let (s, p) = step(&w, id, json!({"to": "answered", "note": "补偿款已核定，三十日内发放"})).await;
    assert_eq!(
        (s, p["due_at"].is_null(), p["opinion"].as_str()),
        (200, true, Some("补偿款已核定，三十日内发放")),
        "{p}"
    );
    // A review is asked within 30 days of the answer.
    w.clock.set(now + Duration::days(31));
    let (s, e) = step(&w, id, json!({"to": "review_requested"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("to")), "too late: {e}");
    w.clock.set(now + Duration::days(20));
    let (s, p) = step(&w, id, json!({"to": "review_requested", "note": "对补偿标准有异议"})).await;
    assert_eq!((s, time(&p["due_at"])), (200, now + Duration::days(50)), "{p}");
    // Overdue at its stage: supervised by the county above the township handling it.
    w.clock.set(now + Duration::days(51));
    let (_, p) = w.get_as(Role::Village, &format!("/api/petitions/{id}")).await;
    assert_eq!(
        (p["overdue"].as_bool(), p["supervision_zh"].as_str(), p["supervision_en"].as_str()),
        (Some(true), Some("县级督办"), Some("county supervision"))
    );
    let (_, list) = w.get_as(Role::County, "/api/petitions?status=overdue").await;
    assert_eq!((list["total"].as_u64(), list["overdue"].as_u64()), (Some(1), Some(1)), "{list}");
    let (s, p) = step(&w, id, json!({"to": "reviewed", "note": "维持原处理意见"})).await;
    assert_eq!((s, p["overdue"].as_bool()), (200, Some(false)));
    let (s, p) = step(&w, id, json!({"to": "closed"})).await;
    assert_eq!(
        (s, p["status"].as_str(), p["next_steps"].as_array().unwrap().len(), p["history"].as_array().unwrap().len()),
        (200, Some("closed"), 0, 6)
    );
    assert!(p["closed_at"].is_string());
    w.clock.set(now);

    // A repeat joins the first one's group.
    let mut again = body.clone();
    again["repeat_of"] = json!(id);
    let (s, r) = w.post_as(Role::Village, "/api/petitions", again.to_string()).await;
    assert_eq!((s.as_u16(), r["group"].as_u64(), r["group_size"].as_u64()), (201, Some(id), Some(2)), "{r}");
    let (_, first) = w.get_as(Role::Village, &format!("/api/petitions/{id}")).await;
    assert_eq!(first["group_size"], 2);
    let (_, open) = w.get_as(Role::Village, "/api/petitions").await;
    assert_eq!(open["total"], 1, "the closed one is not open: {open}");
    let (_, all) = w.get_as(Role::Village, "/api/petitions?status=all").await;
    assert_eq!(all["total"], 2);
}

#[tokio::test]
async fn bad_petitions_are_refused_naming_the_field_and_others_jurisdiction_is_unseen() {
    let w = TestWorld::new(2_000).await;
    let officer = w.state.geography.officers()[0].id;
    let village = w.state.live.desk().villages_of(officer)[0].to_string();
    let base = json!({"village": village, "channel": "letter", "kind": "labour",
                      "petitioners": [{"name": "王五", "phone": "13900002222"}], "matter": "拖欠工资"});
    let with = |key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    let future = (w.state.clock.now() + Duration::days(2)).to_rfc3339();
    for (body, status, field) in [
        (with("channel", json!("pigeon")), 422, "channel"),
        (with("kind", json!("taxes")), 422, "kind"),
        (with("petitioners", json!([])), 422, "petitioners"),
        (with("petitioners", json!([{"name": " "}])), 422, "petitioners[0].name"),
        (with("petitioners", json!([{"name": "王五", "phone": "call me"}])), 422, "petitioners[0].phone"),
        (with("headcount", json!(0)), 422, "headcount"),
        (with("matter", json!("")), 422, "matter"),
        (with("repeat_of", json!(999_999)), 422, "repeat_of"),
        (with("dispute", json!(999_999)), 422, "dispute"),
        (with("received_at", json!(future)), 422, "received_at"),
        (with("village", json!("620623100201")), 404, "village"),
        (with("colour", json!("red")), 422, "colour"),
    ] {
        let (s, e) = w.post_as(Role::Village, "/api/petitions", body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, Some(field)), "{body} → {e}");
    }
    let (_, list) = w.get_as(Role::City, "/api/petitions?status=all").await;
    assert_eq!(list["total"], 0, "nothing stored: {list}");
    for role in [Role::Analyst, Role::Admin, Role::GridWorker] {
        assert_eq!(w.post_as(role, "/api/petitions", base.to_string()).await.0, 403, "{role:?}");
    }
    // One in Tianzhu, registered by the city: the village officer neither sees nor moves it.
    let outside = w
        .state
        .geography
        .regions_at(model::RegionLevel::Village, Some("620623000000".parse().unwrap()))
        .next()
        .unwrap()
        .region
        .code;
    let (s, p) = w.post_as(Role::City, "/api/petitions", with("village", json!(outside.to_string())).to_string()).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_u64().unwrap();
    assert_eq!(w.get_as(Role::Village, &format!("/api/petitions/{id}")).await.0, 404);
    assert_eq!(step(&w, id, json!({"to": "accepted"})).await.0, 404);
    let (_, mine) = w.get_as(Role::Village, "/api/petitions?status=all").await;
    assert_eq!(mine["total"], 0);
    assert_eq!(w.get_as(Role::Village, "/api/petitions?status=pending").await.0, 400);
    assert_eq!(w.get_as(Role::Village, "/api/petitions?region=620623000000").await.0, 404);
}

#[tokio::test]
async fn leaders_receptions_go_on_the_calendar_take_petitions_and_count_on_the_scorecard() {
    let w = TestWorld::new(2_000).await;
    let now = w.state.clock.now();
    let county = "620602000000";
    let body = json!({"leader": "县委书记 张某", "kind": "reception", "held_at": now + Duration::days(2),
                      "place": "凉州区信访接待中心", "region": county});
    let (s, r) = w.post_as(Role::County, "/api/receptions", body.to_string()).await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_u64().unwrap();
    assert_eq!((r["kind_zh"].as_str(), r["petitions"].as_u64()), (Some("接访"), Some(0)));
    let with = |key: &str, value: Value| {
        let mut b = body.clone();
        b[key] = value;
        b
    };
    for (role, b, status, field) in [
        (Role::County, with("kind", json!("party")), 422, Some("kind")),
        (Role::County, with("leader", json!("")), 422, Some("leader")),
        (Role::County, with("held_at", json!(now + Duration::days(800))), 422, Some("held_at")),
        (Role::County, with("region", json!("620623000000")), 404, Some("region")),
        (Role::Township, body.clone(), 404, Some("region")),
        (Role::Village, body.clone(), 403, None),
        (Role::Analyst, body.clone(), 403, None),
    ] {
        let (s, e) = w.post_as(role, "/api/receptions", b.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, field), "{role:?} {b} → {e}");
    }
    // A petition received there counts on the calendar.
    let officer = w.state.geography.officers()[0].id;
    let village = w.state.live.desk().villages_of(officer)[0];
    let p = json!({"village": village.to_string(), "channel": "visit", "kind": "labour", "matter": "欠薪",
                   "petitioners": [{"name": "钱七"}], "reception": id});
    let (s, p) = w.post_as(Role::County, "/api/petitions", p.to_string()).await;
    assert_eq!((s.as_u16(), p["reception"].as_u64()), (201, Some(id)), "{p}");
    let (s, cal) = w.get_as(Role::County, "/api/receptions").await;
    assert_eq!(s, 200, "{cal}");
    assert_eq!((cal["month"].as_str(), cal["items"][0]["petitions"].as_u64()), (Some("2026-11"), Some(1)), "{cal}");
    assert_eq!(cal["by_leader"][0], json!({"leader": "县委书记 张某", "receptions": 1, "visits": 0, "petitions": 1}));
    let (_, october) = w.get_as(Role::County, "/api/receptions?month=2026-10").await;
    assert_eq!(october["items"].as_array().unwrap().len(), 0);
    assert_eq!(w.get_as(Role::County, "/api/receptions?month=11").await.0, 400);
    // A township user does not see the county's calendar; a reception outside is refused.
    let (_, theirs) = w.get_as(Role::Township, "/api/receptions").await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    let p = json!({"village": village.to_string(), "channel": "visit", "kind": "labour", "matter": "欠薪",
                   "petitioners": [{"name": "钱七"}], "reception": id});
    let (s, e) = w.post_as(Role::Village, "/api/petitions", p.to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("reception")), "{e}");
    // The scorecard counts it beside the indicators.
    let (_, card) = w.get_as(Role::City, "/api/scorecard?period=2026-11&level=county").await;
    let row = card["rows"].as_array().unwrap().iter().find(|r| r["code"] == county).unwrap();
    assert_eq!(row["receptions"], 1, "{row}");
    let other = card["rows"].as_array().unwrap().iter().find(|r| r["code"] == "620621000000").unwrap();
    assert_eq!(other["receptions"], 0);
}
