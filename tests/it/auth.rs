//! Sign-in, throttling, password change, masking and the append-only audit log.

use axum::body::Body;
use axum::http::Request;
use model::auth::Role;
use serde_json::json;
use store::AuditQuery;
use tests::{TEST_PASSWORD, TestWorld, call};

async fn login(w: &TestWorld, user: &str, password: &str) -> (u16, serde_json::Value, Option<String>) {
    let mut req = Request::post("/api/login")
        .header("content-type", "application/json")
        .body(Body::from(json!({"username": user, "password": password}).to_string()))
        .unwrap();
    // The socket's peer, as `serve` sets it.
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([10, 1, 2, 3], 50_000))));
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    let cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default(), cookie)
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_that_authenticates() {
    let w = TestWorld::new(500).await;
    let (status, body, cookie) = login(&w, "county", TEST_PASSWORD).await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
    let token = body["token"].as_str().unwrap();
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(pair, format!("safegrid_session={token}"));
    let req = Request::get("/api/me").header("cookie", pair).body(Body::empty()).unwrap();
    let (s, me) = call(w.app(), req).await;
    assert_eq!((s.as_u16(), me["user"]["username"].as_str()), (200, Some("county")));
    assert_eq!(me["scope"], json!(["620602000000"]));
    // Behind a TLS proxy the cookie is Secure.
    let req = Request::post("/api/login")
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .body(Body::from(json!({"username": "city", "password": TEST_PASSWORD}).to_string()))
        .unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn repeated_failures_are_throttled_and_recorded() {
    let w = TestWorld::new(500).await;
    for _ in 0..5 {
        assert_eq!(login(&w, "township", "wrong-password").await.0, 401);
    }
    let (status, body, _) = login(&w, "township", TEST_PASSWORD).await;
    assert_eq!(status, 429, "delayed even with the right password: {body}");
    let log = w
        .state
        .store
        .audit(AuditQuery { actor: Some("township".into()), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "login_failed" && e.result == "denied").count(), 6);
    let failed = log.iter().filter(|e| e.action == "login_failed");
    assert!(failed.clone().all(|e| e.source.as_deref() == Some("10.1.2.3")), "{log:?}");
    // Another user from another address is not affected.
    assert_eq!(login(&w, "county", TEST_PASSWORD).await.0, 200);
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let w = TestWorld::new(500).await;
    let (_, other, _) = login(&w, "village", TEST_PASSWORD).await;
    let other = other["token"].as_str().unwrap().to_owned();
    let (s, _) = w
        .post_as(
            Role::Village,
            "/api/password",
            json!({"old_password": TEST_PASSWORD, "new_password": "short"}).to_string(),
        )
        .await;
    assert_eq!(s, 422);
    let body = json!({"old_password": TEST_PASSWORD, "new_password": "a-new-password-2"}).to_string();
    let (s, _) = w.post_as(Role::Village, "/api/password", body).await;
    assert_eq!(s, 204);
    assert_eq!(w.get_as(Role::Village, "/api/me").await.0, 200, "the changing session lives on");
    let req = Request::get("/api/me").header("authorization", format!("Bearer {other}")).body(Body::empty()).unwrap();
    assert_eq!(call(w.app(), req).await.0, 401, "other sessions ended");
    assert_eq!(login(&w, "village", TEST_PASSWORD).await.0, 401);
    assert_eq!(login(&w, "village", "a-new-password-2").await.0, 200);
}

#[tokio::test]
async fn case_reads_and_changes_are_on_record_and_the_log_is_append_only() {
    let w = TestWorld::new(2_000).await;
    let (_, list) = w.get_as(Role::Analyst, "/api/incidents?limit=1").await;
    let id = list["features"][0]["id"].as_u64().unwrap();
    let (s, f) = w.get_as(Role::Analyst, &format!("/api/incidents/{id}")).await;
    assert_eq!(s, 200);
    if let Some(phone) = f["properties"]["reporter_phone"].as_str() {
        assert!(phone.contains("****"), "analysts see masked phones: {phone}");
    }
    let (s, _) = w.get_as(Role::County, "/api/incidents/999999").await;
    assert_eq!(s, 404);
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.64, 37.93]},
                      "properties": {"category": "traffic", "occurred_at": "2026-10-31T08:00:00Z"}});
    assert_eq!(w.post_as(Role::City, "/api/incidents", body.to_string()).await.0, 201);
    let (s, log) = w.get_as(Role::Admin, "/api/audit?limit=50").await;
    assert_eq!(s, 200);
    let entries = log.as_array().unwrap();
    let has = |actor: &str, action: &str, result: &str| {
        entries.iter().any(|e| e["actor"] == actor && e["action"] == action && e["result"] == result)
    };
    assert!(has("analyst", "read_incident", "ok"));
    assert!(has("county", "read_incident", "denied"));
    assert!(has("city", "create_incident", "ok"));
    assert!(has("admin", "login", "ok"));
    let (_, only) = w.get_as(Role::Admin, "/api/audit?action=read_incident").await;
    assert!(only.as_array().unwrap().iter().all(|e| e["action"] == "read_incident"));
    let req = Request::get("/api/audit?format=csv")
        .header("authorization", format!("Bearer {}", w.token(Role::Admin)))
        .body(Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    // The file refuses to rewrite history.
    let conn = rusqlite::Connection::open(w.dir.path().join("safegrid.gpkg")).unwrap();
    assert!(conn.execute("UPDATE audit SET result = 'ok'", []).is_err());
    assert!(conn.execute("DELETE FROM audit", []).is_err());
}
