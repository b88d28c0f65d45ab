//! Every route of the route table under a hostile client: malformed, oversized and wrongly typed
//! bodies, a foreign `Origin`, unknown and malformed parameters and path segments, for every role
//! and the anonymous caller. Each answer is a 4xx in the one error shape (never a 5xx, never a
//! success for a bad write), and nothing is stored.

use axum::body::Body;
use axum::http::Request;
use model::auth::Role;
use serde_json::Value;
use server::api::route_list;
use tests::{TestWorld, call};

/// Hostile values for each kind of path segment.
fn hostile_paths(template: &str) -> Vec<String> {
    let segments: [(&str, &[&str]); 9] = [
        ("{id}", &["99999999999999999999999", "-1", "..%2F..%2Fetc", "1e3"]),
        ("{code}", &["62060000000X", "6206", "%00"]),
        ("{layer}", &["nope"]),
        ("{z}", &["99"]),
        ("{x}", &["-1"]),
        ("{y}", &["4294967296.mvt"]),
        ("{fontstack}", &["%00"]),
        ("{range}", &["9-1.pbf", "512-256.pbf", "0-255"]),
        ("{origin}", &["case"]),
    ];
    let mut out = vec![template.to_owned()];
    for (name, values) in segments {
        if template.contains(name) {
            out = out.iter().flat_map(|t| values.iter().map(move |v| t.replace(name, v))).collect();
        }
    }
    out
}

fn error_shaped(body: &Value) -> bool {
    body["error"]["code"].is_string() && body["error"]["message"].is_string()
}

#[tokio::test]
async fn every_route_answers_a_hostile_client_with_a_clear_4xx_and_stores_nothing() {
    let w = TestWorld::new(500).await;
    let incidents = w.state.index().len();
    let users = w.state.store.users().await.unwrap().len();
    let last_event = w.state.live.subscribe().1;
    let oversized = format!("\"{}\"", "x".repeat(2 << 20));
    let roles: Vec<Option<Role>> = std::iter::once(None).chain(Role::ALL.iter().copied().map(Some)).collect();
    let mut checked = 0;
    for route in route_list() {
        let writes = route.method != "GET";
        for path in hostile_paths(route.path) {
            for role in &roles {
                let mut cases: Vec<(&str, Request<Body>)> = Vec::new();
                let base = |uri: &str, content_type: &str, body: Body| {
                    let mut req = Request::builder().method(route.method).uri(uri).header("content-type", content_type);
                    if let Some(r) = role {
                        req = req.header("authorization", format!("Bearer {}", w.token(*r)));
                    }
                    req.body(body).unwrap()
                };
                cases.push((
                    "unknown and malformed parameters",
                    base(
                        &format!("{path}?zz=1&limit=-1&bbox=nan,nan,nan,nan&from=yesterday"),
                        "application/json",
                        Body::empty(),
                    ),
                ));
                if writes {
                    cases.push(("malformed JSON", base(&path, "application/json", Body::from("{\"a\":"))));
                    cases.push(("an oversized body", base(&path, "application/json", Body::from(oversized.clone()))));
                    cases.push(("a text/plain body", base(&path, "text/plain", Body::from("{}"))));
                    let mut foreign = base(&path, "application/json", Body::from("{}"));
                    foreign.headers_mut().insert("origin", "http://evil.example".parse().unwrap());
                    foreign.headers_mut().insert("host", "127.0.0.1:8080".parse().unwrap());
                    cases.push(("a foreign origin", foreign));
                } else if path != route.path {
                    cases.push(("a malformed path", base(&path, "application/json", Body::empty())));
                }
                for (what, req) in cases {
                    let (status, body) = call(w.app(), req).await;
                    let s = status.as_u16();
                    assert!((400..500).contains(&s), "{} {path} as {role:?} with {what}: {s} {body}", route.method);
                    assert!(error_shaped(&body), "{} {path} as {role:?} with {what}: {body}", route.method);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1_000, "{checked} requests");
    assert_eq!(w.state.index().len(), incidents, "no incident stored");
    assert_eq!(w.state.store.users().await.unwrap().len(), users, "no user made");
    let events = w.state.store.events_after(last_event, 10).await.unwrap();
    assert!(events.is_empty(), "no live-log event written: {events:?}");
}
