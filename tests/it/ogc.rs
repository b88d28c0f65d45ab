//! OGC API – Features read by GDAL's OAPIF driver (what QGIS uses), through a Bearer token:
//! the same counts as the API, for a city user and for a village officer; the standard's paging.

use model::auth::Role;
use serde_json::Value;
use std::net::SocketAddr;
use tests::{TestWorld, tool};

async fn serve(w: &TestWorld) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::cli::serve_http(listener, w.state.clone(), std::future::pending()));
    addr
}

/// `Feature Count:` of `layer` as `ogrinfo -so` reports it, reading `/ogc` with `token`.
async fn ogr_count(addr: SocketAddr, token: &str, layer: &str) -> u64 {
    let (token, name) = (token.to_owned(), layer.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ogrinfo")
            .args(["-ro", "-so", &format!("OAPIF:http://{addr}/ogc"), &name])
            .env("GDAL_HTTP_HEADERS", format!("Authorization: Bearer {token}"))
            .env("CPL_DEBUG", "OFF")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo {layer}: {text}{}", String::from_utf8_lossy(&out.stderr));
    text.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count for {layer}: {text}"))
        .trim()
        .parse()
        .unwrap()
}

fn features(fc: &Value) -> usize {
    fc["features"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_the_collections_with_the_apis_counts_inside_each_jurisdiction() {
    let w = TestWorld::new(3_000).await;
    let addr = serve(&w).await;
    for role in [Role::City, Role::Village] {
        // What the API answers this caller.
        let (_, cells) = w.get_as(role, "/api/regions?level=cell").await;
        let (_, stations) = w.get_as(role, "/api/resources?kind=station").await;
        let (_, cameras) = w.get_as(role, "/api/resources?kind=camera").await;
        let (_, villages) = w.get_as(role, "/api/regions?level=village").await;
        let api_incidents: u64 = w.get_as(role, "/api/cells?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").await.1
            ["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap())
            .sum();
        assert!(features(&cells) > 0 && api_incidents > 0, "{role:?}");
        // The standard's own answer: numberMatched, and paging by next links to the same total.
        let (s, page) = w.get_as(role, "/ogc/collections/cells/items?limit=7").await;
        assert_eq!(s, 200);
        assert_eq!(page["numberMatched"].as_u64().unwrap() as usize, features(&cells), "{role:?}");
        let mut seen = features(&page);
        let mut next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").cloned();
        while let Some(l) = next {
            let href = l["href"].as_str().unwrap();
            let path = &href[href.find("/ogc").unwrap()..];
            let (_, p) = w.get_as(role, path).await;
            seen += features(&p);
            next = p["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").cloned();
        }
        assert_eq!(seen, features(&cells), "{role:?}: pages add up");
        let (_, inc) = w.get_as(role, "/ogc/collections/incidents/items?limit=1").await;
        assert_eq!(inc["numberMatched"].as_u64().unwrap(), api_incidents, "{role:?}");
        let (s, e) = w.get_as(role, "/ogc/collections/incidents/items?datetime=2026-11-01/2026-10-01").await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("datetime")), "{e}");
        let (s, e) = w.get_as(role, "/ogc/collections/cells/items?colour=red").await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("colour")), "{e}");
        if !tool("ogrinfo") {
            continue;
        }
        // GDAL, as a GIS client: the same numbers.
        let token = w.token(role).to_owned();
        assert_eq!(ogr_count(addr, &token, "cells").await as usize, features(&cells), "{role:?} cells");
        assert_eq!(ogr_count(addr, &token, "stations").await as usize, features(&stations), "{role:?} stations");
        assert_eq!(ogr_count(addr, &token, "cameras").await as usize, features(&cameras), "{role:?} cameras");
        let regions = ogr_count(addr, &token, "regions").await as usize;
        assert!(regions >= features(&villages), "{role:?} regions {regions}");
        assert_eq!(ogr_count(addr, &token, "incidents").await, api_incidents, "{role:?} incidents");
    }
    // No token, no data.
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", &format!("OAPIF:http://{addr}/ogc"), "cells"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
