//! Every malformed request gets the one error shape, with the right status and field.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use tests::{TestWorld, call};

async fn expect(w: &TestWorld, uri: &str, status: u16, field: Option<&str>) {
    let (s, body) = w.get(uri).await;
    assert_eq!(s.as_u16(), status, "{uri}: {body}");
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{uri}: {body}");
    assert_eq!(body["error"]["field"].as_str(), field, "{uri}: {body}");
}

#[tokio::test]
async fn malformed_queries_are_400_naming_the_parameter() {
    let w = TestWorld::new(500).await;
    let cases = [
        ("/api/incidents?bbox=1,2,3", "bbox"),
        ("/api/incidents?bbox=102,37,103,91", "bbox"),
        ("/api/incidents?bbox=103,37,102,38", "bbox"),
        ("/api/incidents?bbox=a,b,c,d", "bbox"),
        ("/api/incidents?bbox=90,20,120,50", "bbox"),
        ("/api/incidents?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("/api/incidents?from=yesterday", "from"),
        ("/api/incidents?category=crime", "category"),
        ("/api/incidents?status=lost", "status"),
        ("/api/incidents?limit=5001", "limit"),
        ("/api/incidents?limit=0", "limit"),
        ("/api/incidents?cursor=abc", "cursor"),
        ("/api/incidents?limit=1&limit=2", "limit"),
        ("/api/incidents?colour=red", "colour"),
        ("/api/incidents?region=6206", "region"),
        ("/api/cells?bbox=1,2,3,4,5", "bbox"),
        ("/api/stats?to=notatime", "to"),
        ("/api/regions?level=planet", "level"),
        ("/api/regions?parent=12", "parent"),
        ("/api/resources?kind=tank", "kind"),
        ("/api/incidents/abc", "id"),
        ("/api/regions/123", "code"),
    ];
    for (uri, field) in cases {
        expect(&w, uri, 400, Some(field)).await;
    }
}

#[tokio::test]
async fn unknown_things_are_404() {
    let w = TestWorld::new(500).await;
    expect(&w, "/api/incidents/999999999", 404, None).await;
    expect(&w, "/api/regions/620699000000", 404, None).await;
    expect(&w, "/api/incidents?region=620699000000", 404, Some("region")).await;
    expect(&w, "/api/nothing", 404, None).await;
    let (s, body) = call(w.app(), Request::delete("/api/incidents").body(Body::empty()).unwrap()).await;
    assert_eq!((s.as_u16(), body["error"]["code"].as_str()), (405, Some("method_not_allowed")));
}

#[tokio::test]
async fn rejected_writes_store_nothing() {
    let w = TestWorld::new(500).await;
    let good = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.64, 37.93]},
                      "properties": {"category": "traffic", "occurred_at": "2026-10-31T08:00:00Z"}});
    let n = w.state.index().len();
    // Not JSON → 400.
    let (s, b) = w.post("/api/incidents", "{not json").await;
    assert_eq!((s.as_u16(), b["error"]["code"].as_str()), (400, Some("bad_request")));
    // Well-formed but invalid → 422 naming the field.
    let mut bad = good.clone();
    bad["properties"]["category"] = json!("crime");
    let (s, b) = w.post("/api/incidents", bad.to_string()).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("properties.category")));
    let mut future = good.clone();
    future["properties"]["occurred_at"] = json!("2026-11-02T00:00:00Z");
    let (s, b) = w.post("/api/incidents", future.to_string()).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("properties.occurred_at")));
    // Outside the city → 422 on the coordinates.
    let mut beijing = good.clone();
    beijing["geometry"]["coordinates"] = json!([116.4, 39.9]);
    let (s, b) = w.post("/api/incidents", beijing.to_string()).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("geometry.coordinates")));
    // Oversized → 413.
    let mut huge = good.clone();
    huge["properties"]["summary"] = json!("x".repeat(2 << 20));
    let (s, b) = w.post("/api/incidents", huge.to_string()).await;
    assert_eq!((s.as_u16(), b["error"]["code"].as_str()), (413, Some("payload_too_large")));
    assert_eq!(w.state.index().len(), n);
    assert_eq!(w.state.store.load_incident_rows().await.unwrap().len(), n);
    // And the good one still goes in.
    let (s, _) = w.post("/api/incidents", good.to_string()).await;
    assert_eq!(s, 201);
}
