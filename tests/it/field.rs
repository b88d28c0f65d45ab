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
    // Another cell of the same village.
    let other = w
        .state
        .geography
        .cells()
        .iter()
        .map(|c| c.cell.code.to_string())
        .find(|c| c[..12] == own[..12] && *c != own)
        .expect("the demo village has two cells");
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
}
