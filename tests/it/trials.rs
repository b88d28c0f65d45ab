//! Forecast trials (#32): each county's methods backtested on its own incidents shift by shift,
//! kept once per night whatever the number of runs, read by those who hold the whole county, and
//! followed by the forecast layer and the patrol planner.

use model::auth::Role;
use serde_json::{Value, json};
use tests::TestWorld;

const LIANGZHOU: &str = "620602000000";

fn county_line<'a>(fc: &'a Value, county: &str) -> &'a Value {
    fc["parameters"]["counties"].as_array().unwrap().iter().find(|c| c["county_code"] == county).unwrap()
}

fn risks_of(fc: &Value, county_prefix: &str) -> Vec<(String, f64)> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["code"].as_str().unwrap().starts_with(county_prefix))
        .map(|p| (p["code"].as_str().unwrap().to_owned(), p["risk"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn each_county_forecasts_with_the_method_its_own_trial_chose() {
    let w = TestWorld::new(20_000).await;
    // The next shift (a plan may not start in the past).
    let at = (w.state.clock.now() + chrono::Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let forecast = format!("/api/hotspots/forecast?at={at}&hours=8");

    // Before any trial: the model, said so.
    let (s, fc) = w.get(&forecast).await;
    assert_eq!(s, 200, "{fc}");
    let line = county_line(&fc, LIANGZHOU);
    assert_eq!((line["chosen_by"].as_str(), line["method"].as_str()), (Some("no_trial"), Some("self-exciting")));
    assert!(line["summary_zh"].as_str().unwrap().contains("尚无预测方法回测"), "{line}");
    assert!(line["fitted"]["decay_per_day"].as_f64().unwrap() > 0.0, "{line}");

    // Who may ask for one, and for what.
    let body = |county: &str| json!({ "county": county }).to_string();
    for role in [Role::Township, Role::Village, Role::Leader, Role::GridWorker, Role::Department, Role::Admin] {
        let (s, e) = w.post_as(role, "/api/forecast/trials", body(LIANGZHOU)).await;
        assert_eq!(s, 403, "{role:?}: {e}");
    }
    for (county, field) in [("abc", "county"), ("620602001000", "county"), ("620699000000", "county")] {
        let (s, e) = w.post_as(Role::Analyst, "/api/forecast/trials", body(county)).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some(field)), "{county}: {e}");
    }
    let (s, e) = w.post_as(Role::County, "/api/forecast/trials", body("620621000000")).await;
    assert_eq!(s, 403, "another county: {e}");

    // The nightly run: one trial per county with incidents, kept once; a second run finds none due.
    let now = w.state.clock.now();
    let clock = std::time::Instant::now();
    let kept = server::forecast_trials::run_due(&w.state, now).await;
    eprintln!("nightly trials of every county: {:.1} s", clock.elapsed().as_secs_f64());
    let counties = server::forecast_trials::counties(&w.state).len();
    assert!(kept >= 1 && kept <= counties, "{kept} of {counties}");
    assert_eq!(server::forecast_trials::run_due(&w.state, now).await, 0, "not due again tonight");
    // Two instances deciding on the same version: one trial is kept.
    let county: model::RegionCode = LIANGZHOU.parse().unwrap();
    let (seen, _) = server::forecast_trials::latest(&w.state, county).unwrap();
    let a = server::forecast_trials::run(&w.state, county, now, "analyst").await.unwrap();
    assert!(server::forecast_trials::keep(&w.state, &a, seen).await.is_ok());
    assert!(server::forecast_trials::keep(&w.state, &a, seen).await.is_err(), "stale");

    // What the trial found: every method scored on 56 shifts; the model only if it is better.
    let (s, t) = w.get(&format!("/api/forecast/trials?county={LIANGZHOU}")).await;
    assert_eq!(s, 200, "{t}");
    let trials = t["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 2, "{t}");
    let newest = &trials[0];
    assert_eq!((newest["shifts"].as_u64(), newest["shift_hours"].as_u64()), (Some(56), Some(8)));
    let scores = newest["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 12);
    assert_eq!(scores[0]["method"], "self-exciting");
    let best = scores[1..].iter().max_by(|a, b| a["pai"].as_f64().unwrap().total_cmp(&b["pai"].as_f64().unwrap()));
    let best = best.unwrap();
    let chosen = newest["chosen"].as_str().unwrap();
    if newest["summary_en"].as_str().unwrap().contains("the model is better") {
        assert_eq!(chosen, "self-exciting");
    } else {
        assert_eq!(best["pai"], scores.iter().find(|x| x["method"] == chosen).unwrap()["pai"], "{newest}");
    }
    assert!(newest["summary_zh"].as_str().unwrap().contains("近 8 周（56 个班次）"), "{newest}");

    // Only those holding the whole county read its figures.
    for role in [Role::Township, Role::Village, Role::GridWorker, Role::Department] {
        let (s, _) = w.get_as(role, &format!("/api/forecast/trials?county={LIANGZHOU}")).await;
        assert_eq!(s, 404, "{role:?}");
    }
    let (s, e) = w.get("/api/forecast/trials").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("county")));

    // The forecast follows the choice: the county's cells carry the chosen method's surface.
    let (s, fc) = w.get(&forecast).await;
    assert_eq!(s, 200, "{fc}");
    let line = county_line(&fc, LIANGZHOU);
    assert_eq!((line["chosen_by"].as_str(), line["method"].as_str()), (Some("trial"), Some(chosen)), "{line}");
    let label = line["label_zh"].as_str().unwrap();
    assert!(line["summary_zh"].as_str().unwrap().ends_with(&format!("采用{label}。")), "{line}");
    let (s, fixed) = w.get(&format!("{forecast}&method={chosen}")).await;
    assert_eq!(s, 200, "{fixed}");
    assert_eq!(county_line(&fixed, LIANGZHOU)["chosen_by"], "request");
    assert_eq!(risks_of(&fc, "620602"), risks_of(&fixed, "620602"));
    let other = if chosen == "last-7-days" { "last-365-days" } else { "last-7-days" };
    let (_, different) = w.get(&format!("{forecast}&method={other}")).await;
    assert_ne!(risks_of(&fc, "620602"), risks_of(&different, "620602"));
    // A police station sees which method its county uses, not the county's figures.
    let (s, fc) = w.get_as(Role::Township, &forecast).await;
    assert_eq!(s, 200, "{fc}");
    let line = county_line(&fc, LIANGZHOU);
    assert_eq!((line["method"].as_str(), line["trial"].is_null()), (Some(chosen), true), "{line}");
    assert!(!line["summary_zh"].as_str().unwrap().contains("PAI"), "{line}");
    assert!(line["summary_zh"].as_str().unwrap().contains("回测选定方法"), "{line}");
    let (s, e) = w.get(&format!("{forecast}&method=crystal-ball")).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("method")));

    // The planner follows it too, and says so.
    let units: Vec<u64> = w
        .state
        .geography
        .resources()
        .iter()
        .filter(|r| r.kind == model::ResourceKind::PatrolUnit && county.contains(r.region_code))
        .map(|r| r.id)
        .take(2)
        .collect();
    let plan = json!({"shift_start": at, "shift_hours": 8, "units": units});
    let (s, p) = w.post_as(Role::County, "/api/plans", plan.to_string()).await;
    assert_eq!(s, 200, "{p}");
    let methods = p["forecast_methods"].as_array().unwrap();
    assert_eq!(methods.len(), 1, "a county bureau's plan covers its county");
    assert_eq!((methods[0]["method"].as_str(), methods[0]["chosen_by"].as_str()), (Some(chosen), Some("trial")));

    // An analyst's request runs in the background and is kept as the newest trial.
    let (s, started) = w.post_as(Role::Analyst, "/api/forecast/trials", body(LIANGZHOU)).await;
    assert_eq!((s.as_u16(), started["started"].as_bool()), (202, Some(true)), "{started}");
    let (s, again) = w.post_as(Role::City, "/api/forecast/trials", body(LIANGZHOU)).await;
    assert_eq!((s.as_u16(), again["started"].as_bool()), (202, Some(false)), "one at a time: {again}");
    // The trial runs one shift per job: an analysis asked for meanwhile is answered, not refused
    // as busy.
    let (s, fc) = w.get(&forecast).await;
    assert_eq!(s, 200, "{fc}");
    let mut waited = 0;
    loop {
        let (_, t) = w.get(&format!("/api/forecast/trials?county={LIANGZHOU}")).await;
        if t["trials"].as_array().unwrap().len() == 3 {
            assert_eq!(t["trials"][0]["by"], "analyst");
            assert_eq!(t["running"], false);
            break;
        }
        waited += 1;
        assert!(waited < 600, "the requested trial never landed: {t}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
