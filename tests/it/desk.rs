//! The one-village-one-officer desk, read side: a village's profile agrees with a scan of the
//! store and the geography; workload covers the jurisdiction's villages, flags the villages
//! without an officer, and adds up; everything outside the jurisdiction is 404.

use chrono::Duration;
use model::auth::Role;
use model::{RegionLevel, Status};
use std::collections::BTreeSet;
use tests::TestWorld;

#[tokio::test]
async fn a_village_profile_agrees_with_the_store_and_the_geography() {
    let w = TestWorld::new(6_000).await;
    let g = &w.state.geography;
    let now = w.state.clock.now();
    let rows = w.state.store.load_incident_rows().await.unwrap();
    // The busiest village of Liangzhou by recent incidents.
    let mut counts = std::collections::HashMap::new();
    for r in
        rows.iter().filter(|r| r.occurred_s >= (now - Duration::days(90)).timestamp() && r.occurred_s < now.timestamp())
    {
        *counts.entry(r.cell_code.village()).or_insert(0u32) += 1;
    }
    let (&village, &recent) =
        counts.iter().filter(|(v, _)| v.to_string().starts_with("620602")).max_by_key(|(v, n)| (**n, **v)).unwrap();
    let (s, p) = w.get(&format!("/api/villages/{village}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["incidents"].as_u64().unwrap(), u64::from(recent));
    let by_category: u64 = p["categories"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(by_category, u64::from(recent));
    let open = rows.iter().filter(|r| r.cell_code.village() == village && r.status != Status::Closed).count();
    assert_eq!(p["open_events"].as_u64().unwrap() as usize, open);
    let range = g.cell_range(village);
    assert_eq!(p["cells"].as_array().unwrap().len() as u32, range.end - range.start);
    let region = g.region(village).unwrap();
    assert_eq!(p["population"].as_u64().unwrap(), region.region.population);
    let officers: BTreeSet<u64> = g.officers().iter().filter(|o| o.villages.contains(&village)).map(|o| o.id).collect();
    let listed: BTreeSet<u64> = p["officers"].as_array().unwrap().iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(listed, officers);
    assert_eq!(p["county_rank"], 1, "the busiest village of its county");
    assert_eq!(p["weekly"].as_array().unwrap().len(), 12);
    assert_eq!(p["synthetic"], true);
    // Outside the jurisdiction, not a village, not a code.
    let tianzhu = g.regions_at(RegionLevel::Village, Some("620623000000".parse().unwrap())).next().unwrap().region.code;
    assert_eq!(w.get_as(Role::Township, &format!("/api/villages/{tianzhu}")).await.0, 404);
    assert_eq!(w.get("/api/villages/620602000000").await.0, 404);
    let (s, e) = w.get("/api/villages/abc").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("code")));
}

#[tokio::test]
async fn workload_covers_the_jurisdiction_flags_uncovered_villages_and_adds_up() {
    let w = TestWorld::new(6_000).await;
    let g = &w.state.geography;
    let (s, wl) = w.get_as(Role::County, "/api/workload").await;
    assert_eq!(s, 200, "{wl}");
    let mut seen = BTreeSet::new();
    for o in wl["officers"].as_array().unwrap() {
        let villages = o["villages"].as_array().unwrap();
        assert!(!villages.is_empty());
        for v in villages {
            assert!(v["code"].as_str().unwrap().starts_with("620602"), "outside the county: {v}");
            seen.insert(v["code"].as_str().unwrap().to_owned());
        }
        let sum = |k: &str| villages.iter().map(|v| v[k].as_f64().unwrap()).sum::<f64>();
        assert!((o["load"].as_f64().unwrap() - sum("load")).abs() < 1e-6);
        assert_eq!(o["population"].as_f64().unwrap(), sum("population"));
        assert_eq!(o["incidents"].as_f64().unwrap(), sum("incidents"));
    }
    let loads: Vec<f64> = wl["officers"].as_array().unwrap().iter().map(|o| o["load"].as_f64().unwrap()).collect();
    assert!(loads.windows(2).all(|p| p[0] >= p[1]), "heaviest first");
    let unassigned: BTreeSet<String> =
        wl["unassigned"].as_array().unwrap().iter().map(|v| v["code"].as_str().unwrap().to_owned()).collect();
    let county: model::RegionCode = "620602000000".parse().unwrap();
    for r in g.regions_at(RegionLevel::Village, Some(county)) {
        let code = r.region.code.to_string();
        let covered = g.officers().iter().any(|o| o.villages.contains(&r.region.code));
        assert_eq!(unassigned.contains(&code), !covered, "{code}");
        assert_eq!(seen.contains(&code), covered, "{code}");
    }
    // A township inside the county narrows it; one outside is 404; a cell is 400.
    let (s, t) = w.get_as(Role::County, "/api/workload?region=620602001000").await;
    assert_eq!(s, 200);
    for o in t["officers"].as_array().unwrap() {
        for v in o["villages"].as_array().unwrap() {
            assert!(v["code"].as_str().unwrap().starts_with("620602001"), "{v}");
        }
    }
    assert_eq!(w.get_as(Role::County, "/api/workload?region=620623000000").await.0, 404);
    let cell = g.cells()[0].cell.code;
    let (s, e) = w.get(&format!("/api/workload?region={cell}")).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("region")));
}

#[tokio::test]
async fn a_rebalancing_suggestion_stays_in_the_region_covers_every_village_and_evens_the_load() {
    let w = TestWorld::new(6_000).await;
    let (s, wl) = w.get_as(Role::County, "/api/workload").await;
    assert_eq!(s, 200);
    let total: f64 = wl["officers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&serde_json::json!({"load": wl["unassigned"].as_array().unwrap().iter().map(|v| v["load"].as_f64().unwrap()).sum::<f64>()})))
        .map(|o| o["load"].as_f64().unwrap())
        .sum();
    let (s, r) = w.get_as(Role::County, "/api/workload/rebalance").await;
    assert_eq!(s, 200, "{r}");
    let (before, after) = (r["spread_before"].as_f64().unwrap(), r["spread_after"].as_f64().unwrap());
    // Covering uncovered villages may raise the spread; moves between officers never do: in
    // every township of the county where all villages are covered, the spread does not rise.
    assert!(before >= 1.0 - 1e-9 && after >= 1.0 - 1e-9, "max ÷ mean is at least 1: {before}, {after}");
    let county: model::RegionCode = "620602000000".parse().unwrap();
    let mut covered_townships = 0;
    for t in w.state.geography.regions_at(RegionLevel::Township, Some(county)) {
        let code = t.region.code;
        if w.truth.uncovered_villages.iter().any(|v| code.contains(*v)) {
            continue;
        }
        let (s, r) = w.get_as(Role::County, &format!("/api/workload/rebalance?region={code}")).await;
        assert_eq!(s, 200, "{r}");
        let (b, a) = (r["spread_before"].as_f64().unwrap(), r["spread_after"].as_f64().unwrap());
        assert!(a <= b + 1e-9, "{code}: {b} → {a}");
        assert!(r["moves"].as_array().unwrap().iter().all(|m| !m["from"].is_null()), "{code}: nothing to cover");
        covered_townships += 1;
    }
    assert!(covered_townships > 0, "some township has every village covered");
    let officer_ids: BTreeSet<u64> =
        wl["officers"].as_array().unwrap().iter().map(|o| o["officer"]["id"].as_u64().unwrap()).collect();
    let moves = r["moves"].as_array().unwrap();
    assert!(moves.len() <= 20 + wl["unassigned"].as_array().unwrap().len());
    for m in moves {
        assert!(m["village"]["code"].as_str().unwrap().starts_with("620602"), "{m}");
        assert!(officer_ids.contains(&m["to"]["id"].as_u64().unwrap()), "{m}");
    }
    // After the moves every village is someone's: the loads after add up to every village's load.
    let after_sum: f64 = r["officers"].as_array().unwrap().iter().map(|o| o[2].as_f64().unwrap()).sum();
    assert!((after_sum - total).abs() < 1e-6 * total.max(1.0), "{after_sum} vs {total}");
    let (s, e) = w.get_as(Role::County, "/api/workload/rebalance?max_moves=0").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("max_moves")));
    assert_eq!(w.get_as(Role::County, "/api/workload/rebalance?region=620623000000").await.0, 404);
}
