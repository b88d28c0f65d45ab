//! Listing, reading and submitting incidents.

use serde_json::{Value, json};
use tests::TestWorld;

fn ids(fc: &Value) -> Vec<u64> {
    fc["features"].as_array().unwrap().iter().map(|f| f["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn paging_walks_every_match_newest_first() {
    let w = TestWorld::new(3_000).await;
    let mut cursor: Option<String> = None;
    let mut seen: Vec<(String, u64)> = Vec::new();
    loop {
        let uri = match &cursor {
            Some(c) => {
                format!("/api/incidents?category=criminal&status=closed&limit=250&cursor={c}")
            }
            None => "/api/incidents?category=criminal&status=closed&limit=250".to_owned(),
        };
        let (status, page) = w.get(&uri).await;
        assert_eq!(status, 200);
        for f in page["features"].as_array().unwrap() {
            assert_eq!(f["properties"]["category"], "criminal");
            assert_eq!(f["properties"]["status"], "closed");
            assert!(f["properties"].get("reporter_phone").is_none(), "lists carry no personal data");
            seen.push((f["properties"]["occurred_at"].as_str().unwrap().to_owned(), f["id"].as_u64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(seen.windows(2).all(|p| p[0] >= p[1]), "newest first");
    // Brute force over the store's rows.
    let rows = w.state.store.load_incident_rows().await.unwrap();
    let want =
        rows.iter().filter(|r| r.category == model::Category::CRIMINAL && r.status == model::Status::Closed).count();
    assert_eq!(seen.len(), want);
    let unique: std::collections::BTreeSet<u64> = seen.iter().map(|s| s.1).collect();
    assert_eq!(unique.len(), want);
}

#[tokio::test]
async fn bbox_and_time_filters_hold() {
    let w = TestWorld::new(3_000).await;
    let (status, fc) = w.get("/api/incidents?bbox=102.55,37.85,102.75,38.0&from=2026-06-01T00:00:00%2B08:00&to=2026-07-01T00:00:00Z&limit=5000").await;
    assert_eq!(status, 200);
    let feats = fc["features"].as_array().unwrap();
    assert!(!feats.is_empty());
    for f in feats {
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((102.55..=102.75).contains(&lon) && (37.85..=38.0).contains(&lat));
        let t = f["properties"]["occurred_at"].as_str().unwrap();
        assert!(("2026-05-31T16:00:00Z".."2026-07-01T00:00:00Z").contains(&t), "{t}");
    }
    let rows = w.state.store.load_incident_rows().await.unwrap();
    let (from, to) = (1_780_243_200i64, 1_782_864_000i64);
    let want = rows
        .iter()
        .filter(|r| {
            (102.55..=102.75).contains(&r.lon)
                && (37.85..=38.0).contains(&r.lat)
                && r.occurred_s >= from
                && r.occurred_s < to
        })
        .count();
    assert_eq!(feats.len(), want);
}

fn report(external_id: &str, summary: &str) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.6415, 37.9280]},
           "properties": {"category": "criminal", "subcategory": "theft", "occurred_at": "2026-11-01T10:30:00+08:00",
                          "source": "call_110", "external_id": external_id, "summary": summary,
                          "reporter_name": "张三", "reporter_phone": "13800000000", "address": "东大街1号"}})
}

#[tokio::test]
async fn a_posted_incident_is_stored_located_listed_and_readable() {
    let w = TestWorld::new(1_000).await;
    let before = w.state.index().len();
    let (status, created) = w.post("/api/incidents", report("J-1", "手机被盗").to_string()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    let p = &created["properties"];
    let expected_cell =
        w.state.geography.locate(102.6415, 37.9280).map(|i| w.state.geography.cell_code(i).to_string()).unwrap();
    assert_eq!(p["cell_code"], expected_cell.as_str());
    assert_eq!(p["village_code"], &expected_cell[..12]);
    assert_eq!(p["county_code"], "620602000000");
    assert_eq!(p["occurred_at"], "2026-11-01T02:30:00Z");
    assert_eq!(p["status"], "reported");
    assert_eq!(w.state.index().len(), before + 1);
    let (status, read) = w.get(&format!("/api/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read, created);
    assert_eq!(read["properties"]["reporter_phone"], "13800000000");
    let detail: model::api::geo::Feature<model::api::incidents::IncidentDetail> = tests::typed(&read);
    assert_eq!(
        (detail.properties.id.0, detail.properties.placement.cell_code.to_string()),
        (id, expected_cell.clone())
    );
    let (_, listed) = w.get(&format!("/api/incidents?region={expected_cell}&limit=1")).await;
    assert_eq!(ids(&listed), [id]);
}

#[tokio::test]
async fn retries_are_idempotent_and_conflicts_rejected() {
    let w = TestWorld::new(1_000).await;
    let (s1, a) = w.post("/api/incidents", report("J-7", "电动车被盗").to_string()).await;
    let (s2, b) = w.post("/api/incidents", report("J-7", "电动车被盗").to_string()).await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (201, 200));
    assert_eq!(a["id"], b["id"]);
    let n = w.state.index().len();
    let (s3, e) = w.post("/api/incidents", report("J-7", "别的事").to_string()).await;
    assert_eq!(s3, 409);
    assert_eq!(e["error"]["field"], "properties.external_id");
    assert_eq!(w.state.index().len(), n);
    let rows = w.state.store.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), n, "nothing written by the rejected retry");
}

async fn post_ndjson(w: &TestWorld, body: String) -> (axum::http::StatusCode, Value) {
    let req = axum::http::Request::post("/api/incidents/batch")
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("Bearer {}", w.token(model::auth::Role::City)))
        .body(axum::body::Body::from(body))
        .unwrap();
    tests::call(w.app(), req).await
}

/// A batch of 3,000 is read on two threads (from 2,000 items, in chunks of 250 taken in turn):
/// faults in any chunk are named in order, a broken NDJSON line late in the batch names its
/// line, and a good batch is stored in the order sent.
#[tokio::test]
async fn a_large_batch_is_read_on_two_threads_and_answered_in_order() {
    let w = TestWorld::new(1_000).await;
    let n0 = w.state.store.load_incident_rows().await.unwrap().len();
    let items = |tag: &str| -> Vec<Value> {
        (0..3_000).map(|k| report(&format!("{tag}-{k}"), &format!("第{k}条"))).collect()
    };
    let fc = |items: &[Value]| json!({"type": "FeatureCollection", "features": items}).to_string();
    let mut bad = items("L");
    // Either side of the chunks' edges (250 items) and of the middle.
    for k in [7, 249, 250, 1_499, 1_500, 2_999] {
        bad[k]["properties"]["severity"] = json!("apocalyptic");
    }
    let (status, e) = w.post("/api/incidents/batch", fc(&bad)).await;
    assert_eq!(status, 422, "{e}");
    let faults: Vec<u64> =
        e["error"]["items"].as_array().unwrap().iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert_eq!(faults, [7, 249, 250, 1_499, 1_500, 2_999], "{}", e["error"]["message"]);
    assert!(e["error"]["items"].as_array().unwrap().iter().all(|i| i["field"] == "properties.severity"));
    // NDJSON: line numbers count the blank lines; the broken line is in the second half.
    let mut lines: Vec<String> = items("N").iter().map(Value::to_string).collect();
    lines.insert(10, String::new());
    lines[2_600] = "{\"type\": \"Feature\",".into();
    let (status, e) = post_ndjson(&w, lines.join("\n")).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["field"], "line 2601", "{e}");
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n0, "nothing stored");
    // A good batch: stored in order (ids increase with the position, summaries match).
    let good = items("G");
    let (status, done) = w.post("/api/incidents/batch", fc(&good)).await;
    assert_eq!(status, 201, "{}", done["error"]);
    let ids: Vec<u64> = done["items"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 3_000);
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "ids follow the order sent");
    for k in [0, 1_499, 1_500, 2_999] {
        let (_, stored) = w.get(&format!("/api/incidents/{}", ids[k])).await;
        assert_eq!(stored["properties"]["summary"], format!("第{k}条"), "item {k}");
    }
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n0 + 3_000);
}

#[tokio::test]
async fn batches_are_all_or_nothing_with_every_fault_named() {
    let w = TestWorld::new(1_000).await;
    let n0 = w.state.store.load_incident_rows().await.unwrap().len();
    let fc = |items: Vec<Value>| json!({"type": "FeatureCollection", "features": items}).to_string();
    // Three new reports: 201, each with its id; again: 200, the same ids.
    let three = fc(vec![report("B-1", "一"), report("B-2", "二"), report("B-3", "三")]);
    let (status, first) = w.post("/api/incidents/batch", three.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!((first["created"].as_u64(), first["existing"].as_u64()), (Some(3), Some(0)));
    let (status, again) = w.post("/api/incidents/batch", three).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!((again["created"].as_u64(), again["existing"].as_u64()), (Some(0), Some(3)));
    let ids =
        |v: &Value| -> Vec<u64> { v["items"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect() };
    assert_eq!(ids(&again), ids(&first), "a retried batch names the stored incidents");
    assert!(again["items"].as_array().unwrap().iter().all(|i| i["created"] == false));
    // Each batch is one audit entry, written in its transaction: newest first.
    let (_, audit) = w.get_as(model::auth::Role::Admin, "/api/audit?action=create_incidents").await;
    let entries: Vec<(&str, &str, &str)> = audit
        .as_array()
        .unwrap_or_else(|| panic!("{audit}"))
        .iter()
        .map(|e| (e["target"].as_str().unwrap(), e["result"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("batch of 3", "ok", "0 new, 3 retries"), ("batch of 3", "ok", "3 new, 0 retries")]);
    let n1 = n0 + 3;
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n1);
    // Every invalid item is reported at once, and nothing of the batch is stored.
    let mut unknown = report("B-4", "四");
    unknown["properties"]["category"] = json!("jaywalking");
    let mut future = report("B-5", "五");
    future["properties"]["occurred_at"] = json!("2030-01-01T00:00:00Z");
    let mut outside = report("B-6", "六");
    outside["geometry"]["coordinates"] = json!([116.4, 39.9]);
    let (status, e) = w.post("/api/incidents/batch", fc(vec![report("B-7", "七"), unknown, future, outside])).await;
    assert_eq!(status, 422, "{e}");
    let faults: Vec<(u64, &str)> = e["error"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["index"].as_u64().unwrap(), i["field"].as_str().unwrap()))
        .collect();
    assert_eq!(faults[..2], [(1, "properties.category"), (2, "properties.occurred_at")], "{e}");
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n1, "nothing stored");
    // A point outside every cell is found when locating: the same all-or-nothing 422.
    let mut far = report("B-8", "八");
    far["geometry"]["coordinates"] = json!([101.2, 36.4]);
    let (status, e) = w.post("/api/incidents/batch", fc(vec![report("B-9", "九"), far])).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["items"][0]["index"], 1, "{e}");
    // A stored key with other content: 409 naming the item; the same key twice in one batch
    // with other content: 422 naming the second.
    let (status, e) = w.post("/api/incidents/batch", fc(vec![report("B-10", "十"), report("B-2", "改了")])).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["field"], "features[1].properties.external_id");
    let (status, e) = w.post("/api/incidents/batch", fc(vec![report("B-11", "甲"), report("B-11", "乙")])).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(
        (e["error"]["items"][0]["index"].as_u64(), e["error"]["items"][0]["field"].as_str()),
        (Some(1), Some("properties.external_id"))
    );
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n1, "nothing stored");
    // NDJSON, with GCJ-02 coordinates converted at the edge; a broken line names its number.
    let mut gcj = report("B-12", "火星坐标");
    gcj["properties"]["crs"] = json!("gcj02");
    let lines = format!("{}\n\n{}\n", report("B-13", "十三"), gcj);
    let (status, done) = post_ndjson(&w, lines).await;
    assert_eq!(status, 201, "{done}");
    let id = done["items"][1]["id"].as_u64().unwrap();
    let (_, stored) = w.get(&format!("/api/incidents/{id}")).await;
    let lon = stored["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((lon - 102.6415).abs() > 1e-4, "GCJ-02 was converted, not stored as given: {lon}");
    let (status, e) = post_ndjson(&w, format!("{}\n{{oops\n", report("B-14", "x"))).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["field"], "line 2");
    // Not a FeatureCollection, or empty.
    let (status, e) = w.post("/api/incidents/batch", report("B-15", "x").to_string()).await;
    assert_eq!((status.as_u16(), e["error"]["field"].as_str()), (422, Some("type")));
    let (status, _) = w.post("/api/incidents/batch", fc(vec![])).await;
    assert_eq!(status, 422);
}
