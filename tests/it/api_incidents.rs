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
        rows.iter().filter(|r| r.category == model::Category::Criminal && r.status == model::Status::Closed).count();
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
