//! What leaders take to their meetings: the assessment scorecard (`/api/scorecard`), counted
//! here again from the raw records and compared.

use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::auth::Role;
use model::scorecard::Month;
use model::{RegionCode, ResourceKind};
use serde_json::{Value, json};
use std::sync::Arc;
use tests::TestWorld;

const LIANGZHOU: &str = "620602000000";
const MINQIN: &str = "620621000000";

fn point_in(w: &TestWorld, region: &str) -> (f64, f64) {
    let range = w.state.geography.cell_range(region.parse().unwrap());
    let p = w.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    (p.x(), p.y())
}

/// A criminal case reported now in `region`: its id.
async fn report(w: &TestWorld, region: &str) -> u64 {
    let (lon, lat) = point_in(w, region);
    let now = w.state.clock.now();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": {"category": "criminal", "occurred_at": (now - Duration::minutes(5)).to_rfc3339(),
                                     "reported_at": now.to_rfc3339()}});
    let (s, f) = w.post("/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{f}");
    f["id"].as_u64().unwrap()
}

/// Takes the step `to` at `at`.
async fn step_at(w: &TestWorld, id: u64, at: DateTime<Utc>, body: Value) {
    w.clock.set(at);
    let (s, v) = w.post(&format!("/api/incidents/{id}/transitions"), body.to_string()).await;
    assert_eq!(s, 200, "{body}: {v}");
}

fn unit_in(w: &TestWorld, county: &str) -> u64 {
    let county: RegionCode = county.parse().unwrap();
    w.state
        .geography
        .resources()
        .iter()
        .find(|r| r.kind == ResourceKind::PatrolUnit && county.contains(r.region_code))
        .unwrap()
        .id
}

fn row<'a>(card: &'a Value, code: &str) -> &'a Value {
    card["rows"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap_or_else(|| panic!("no {code}: {card}"))
}

fn cell<'a>(row: &'a Value, indicator: &str) -> &'a Value {
    row["cells"].as_array().unwrap().iter().find(|c| c["indicator"] == indicator).unwrap()
}

fn counts(c: &Value) -> (u64, u64) {
    (c["numerator"].as_u64().unwrap(), c["denominator"].as_u64().unwrap())
}

/// Incidents that occurred in `month` in `county`, counted from the index's records directly.
fn incidents_in(w: &TestWorld, month: Month, county: &str) -> u64 {
    let (from, to) = month.bounds();
    let county: RegionCode = county.parse().unwrap();
    let index = w.state.index();
    let filter = server::incident_index::IncidentFilter::new(server::incident_index::CellScope::all());
    let mut n = 0;
    index.for_each(&filter, |p| {
        let code = w.state.geography.cell_code(p.cell);
        n += u64::from(county.contains(code.village()) && (from.timestamp()..to.timestamp()).contains(&p.occurred_s));
    });
    n
}

#[tokio::test]
async fn the_scorecard_counts_each_indicator_as_the_records_have_it_and_ranks_the_counties() {
    let w = TestWorld::new(3_000).await;
    let now = tests::test_now(); // 2026-11-01 12:00 local
    let november = Month::parse("2026-11").unwrap();

    // Stages: in 凉州 one dispatch on time (2 of 3 minutes) and one arrival late (30 of 15);
    // in 民勤 one dispatch late (5 of 3).
    let a = report(&w, "620602001000").await;
    let unit_a = unit_in(&w, LIANGZHOU);
    step_at(&w, a, now + Duration::minutes(2), json!({"to": "dispatched", "unit": unit_a})).await;
    step_at(&w, a, now + Duration::minutes(32), json!({"to": "on_scene"})).await;
    w.clock.set(now);
    let b = report(&w, MINQIN).await;
    step_at(&w, b, now + Duration::minutes(5), json!({"to": "dispatched", "unit": unit_in(&w, MINQIN)})).await;

    // A backlog case: an event reported 40 days before the month, still open.
    w.clock.set(now);
    w.leave_open("620602001000", 40).await;

    // Disputes closed in November in the first officer's villages: one agreed, one that failed
    // on every track.
    let officer = w.state.geography.officers()[0].id;
    let village = w.state.live.desk().villages_of(officer)[0];
    let dispute_county = village.truncate(model::RegionLevel::County).to_string();
    let mut dispute_ids = Vec::new();
    for title in ["宅基地边界", "灌溉用水"] {
        let body = json!({"village": village.to_string(), "kind": "land", "title": title, "parties": "张某、李某",
                          "summary": "协商未果", "mediator": "村调委会"});
        let (s, d) = w.post_as(Role::Village, "/api/disputes", body.to_string()).await;
        assert_eq!(s, 201, "{d}");
        dispute_ids.push(d["id"].as_u64().unwrap());
    }
    let walk = |id: u64, steps: &'static [&'static str]| {
        let w = &w;
        async move {
            for to in steps {
                let uri = format!("/api/disputes/{id}/transitions");
                let (s, v) = w.post_as(Role::Village, &uri, json!({"to": to, "outcome": "记录"}).to_string()).await;
                assert_eq!(s, 200, "{to}: {v}");
            }
        }
    };
    walk(dispute_ids[0], &["mediating", "agreed", "closed"]).await;
    walk(
        dispute_ids[1],
        &["mediating", "failed", "escalated", "mediating", "failed", "escalated", "mediating", "failed", "closed"],
    )
    .await;

    // A visit to one of the officer's villages in October.
    let body = json!({"village": village.to_string(), "visited_at": now - Duration::days(5), "place": "村委会"});
    let (s, v) = w.post_as(Role::Village, "/api/visits", body.to_string()).await;
    assert_eq!(s, 201, "{v}");

    let (s, card) = w.get("/api/scorecard?period=2026-11&level=county").await;
    assert_eq!(s, 200, "{card}");
    assert_eq!((card["period"].as_str(), card["previous_period"].as_str()), (Some("2026-11"), Some("2026-10")));
    assert_eq!(card["partial"], true, "the clock is inside November");
    assert_eq!(card["rows"].as_array().unwrap().len(), 4, "the city's four counties");

    // Incidents per 10,000 residents, from the raw records and the regions' populations.
    for county in [LIANGZHOU, MINQIN] {
        let r = row(&card, county);
        let c = cell(r, "incidents_per_10k");
        let (_, region) = w.get(&format!("/api/regions/{county}")).await;
        let population = region["properties"]["population"].as_u64().unwrap();
        let n = incidents_in(&w, november, county);
        assert!(n > 0);
        assert_eq!(counts(c), (n, population), "{county}");
        let want = n as f64 * 10_000.0 / population as f64;
        assert!((c["value"].as_f64().unwrap() - want).abs() < 1e-9);
        // 环比 against October, counted the same way.
        let october = incidents_in(&w, november.previous(), county) as f64 * 10_000.0 / population as f64;
        assert!((c["previous"].as_f64().unwrap() - october).abs() < 1e-9);
        assert!((c["change_prev"].as_f64().unwrap() - (want - october)).abs() < 1e-9);
        // 同比: the history begins on 1 November 2025 (local noon), within a day of the month.
        let year_ago = incidents_in(&w, november.year_ago(), county) as f64 * 10_000.0 / population as f64;
        assert!((c["year_ago"].as_f64().unwrap() - year_ago).abs() < 1e-9, "{c}");
    }
    // Stages.
    assert_eq!(counts(cell(row(&card, LIANGZHOU), "on_time_rate")), (1, 2));
    assert_eq!(counts(cell(row(&card, MINQIN), "on_time_rate")), (0, 1));
    assert_eq!(cell(row(&card, MINQIN), "on_time_rate")["judgement"], "too_few", "1 stage is under 20");
    // Disputes, backlog and visits.
    assert_eq!(counts(cell(row(&card, &dispute_county), "dispute_resolution_rate")), (1, 2));
    let backlog = cell(row(&card, LIANGZHOU), "backlog_clearance");
    assert_eq!(counts(backlog), (0, 1), "{backlog}");
    let (_, october) = w.get("/api/scorecard?period=2026-10&level=county").await;
    assert_eq!(counts(cell(row(&october, LIANGZHOU), "backlog_clearance")), (0, 0), "only 8 days old then");
    // October 2025 began before the records: no 同比 rather than a fall to nothing.
    let c = cell(row(&october, LIANGZHOU), "incidents_per_10k");
    assert!(c["previous"].is_f64() && c["year_ago"].is_null(), "{c}");
    let villages_with_officer: u64 = w
        .state
        .geography
        .regions_at(model::RegionLevel::Village, Some(dispute_county.parse().unwrap()))
        .filter(|r| w.state.live.desk().officer_of(r.region.code).is_some())
        .count() as u64;
    let (done, due) = counts(cell(row(&october, &dispute_county), "visit_completion"));
    assert_eq!((done, due), (1, villages_with_officer * (31 / 7)), "a visit of 4 due per village with an officer");
    // November has run 12 hours: no visit is due yet.
    assert_eq!(counts(cell(row(&card, &dispute_county), "visit_completion")), (0, 0));
    assert_eq!(cell(row(&card, LIANGZHOU), "screening_on_time")["judgement"], "unavailable");

    // Ranks follow the scores; every county is scored on its incident rate at least.
    let rows = card["rows"].as_array().unwrap();
    let scores: Vec<f64> = rows.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "{scores:?}");
    assert_eq!(rows[0]["rank"], 1);
    let rates: Vec<f64> = rows.iter().map(|r| cell(r, "incidents_per_10k")["value"].as_f64().unwrap()).collect();
    let lowest = rates.iter().cloned().fold(f64::INFINITY, f64::min);
    let best = rows.iter().find(|r| cell(r, "incidents_per_10k")["value"].as_f64() == Some(lowest)).unwrap();
    assert_eq!(cell(best, "incidents_per_10k")["score"], 100.0, "the lowest rate scores 100");

    // CSV: the same rows and numbers.
    let req = axum::http::Request::get("/api/scorecard?period=2026-11&level=county&format=csv")
        .header("authorization", format!("Bearer {}", w.token(Role::City)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    let mut csv = csv::Reader::from_reader(&bytes[..]);
    let head: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    for (rec, r) in records.iter().zip(rows) {
        assert_eq!(&rec[col("code")], r["code"].as_str().unwrap());
        assert_eq!(rec[col("score")].parse::<f64>().unwrap(), r["score"].as_f64().unwrap());
        let c = cell(r, "on_time_rate");
        assert_eq!(rec[col("on_time_rate_numerator")].parse::<u64>().unwrap(), c["numerator"].as_u64().unwrap());
        assert_eq!(&rec[col("on_time_rate_judgement")], c["judgement"].as_str().unwrap());
    }
    let _ = (a, b);
}

#[tokio::test]
async fn the_scorecard_stays_in_the_callers_jurisdiction_and_refuses_bad_parameters() {
    let w = TestWorld::new(1_000).await;
    // Default: last whole month; the counties for the city, the townships for a county.
    let (_, city) = w.get("/api/scorecard").await;
    assert_eq!((city["period"].as_str(), city["level"].as_str()), (Some("2026-10"), Some("county")), "{city}");
    let (_, county) = w.get_as(Role::County, "/api/scorecard").await;
    assert_eq!(county["level"], "township");
    let codes: Vec<&str> = county["rows"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(!codes.is_empty() && codes.iter().all(|c| c.starts_with("620602")), "{codes:?}");
    // A township sees its own township only, and no county.
    let (_, own) = w.get_as(Role::Township, "/api/scorecard?level=township").await;
    let codes: Vec<&str> = own["rows"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["620602001000"]);
    for (role, uri, status, field) in [
        (Role::Township, "/api/scorecard?level=county", 422, Some("level")),
        (Role::GridWorker, "/api/scorecard", 403, None),
        (Role::Village, "/api/scorecard", 403, None),
        (Role::Department, "/api/scorecard", 403, None),
        (Role::City, "/api/scorecard?level=village", 400, Some("level")),
        (Role::City, "/api/scorecard?period=2026-13", 400, Some("period")),
        (Role::City, "/api/scorecard?period=2026-12", 400, Some("period")),
        (Role::City, "/api/scorecard?period=2023-10", 400, Some("period")),
        (Role::City, "/api/scorecard?format=docx", 400, Some("format")),
        (Role::City, "/api/scorecard?region=620602000000", 400, Some("region")),
    ] {
        let (s, e) = w.get_as(role, uri).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, field), "{role:?} {uri}: {e}");
    }
}

/// Declares a planted campaign through the API as the city: its id.
async fn declare(w: &TestWorld, planted: &demo::campaigns::PlantedCampaign) -> u64 {
    let c = &planted.campaign;
    let model::campaign::CampaignArea::Region(region) = c.area else { panic!("the demo's campaigns are regions") };
    let body = json!({"name": c.name, "region": region.to_string(), "start": c.start, "end": c.end,
                      "categories": c.categories.iter().map(|k| k.as_str()).collect::<Vec<_>>()});
    let (s, v) = w.post("/api/campaigns", body.to_string()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["stage"].as_str(), v["baseline_days"].as_i64()), (Some("finished"), Some(c.days())));
    v["id"].as_u64().unwrap()
}

/// Incidents of `category` in `region` in `[from, to)`, counted from the index directly.
fn count_in(
    w: &TestWorld,
    region: RegionCode,
    category: model::Category,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> u64 {
    let index = w.state.index();
    let filter = server::incident_index::IncidentFilter::new(server::incident_index::CellScope::all());
    let mut n = 0;
    index.for_each(&filter, |p| {
        let inside = region.contains(w.state.geography.cell_code(p.cell).village());
        n += u64::from(inside && p.category == category && (from.timestamp()..to.timestamp()).contains(&p.occurred_s));
    });
    n
}

#[tokio::test]
async fn a_planted_campaign_effect_is_recovered_and_a_campaign_without_one_is_not() {
    let w = TestWorld::new(60_000).await;
    let planted = w.truth.campaigns.clone();
    assert_eq!(planted.len(), 2);
    assert!(planted[0].removed_share > 0.0 && planted[1].removed_share == 0.0);
    let worked = declare(&w, &planted[0]).await;
    let did_not = declare(&w, &planted[1]).await;
    let (_, list) = w.get("/api/campaigns").await;
    let ids: Vec<u64> = list.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [did_not, worked], "newest first");

    let (s, e) = w.get(&format!("/api/campaigns/{worked}/evaluation")).await;
    assert_eq!(s, 200, "{e}");
    // The area's counts are the index's, before and during.
    let c = &planted[0].campaign;
    let model::campaign::CampaignArea::Region(area) = c.area else { unreachable!() };
    let category = c.categories[0];
    let (before_from, start) = c.baseline();
    let (_, end) = c.bounds();
    let before = count_in(&w, area, category, before_from, start);
    let during = count_in(&w, area, category, start, end);
    assert_eq!((e["target"]["before"].as_u64(), e["target"]["after"].as_u64()), (Some(before), Some(during)), "{e}");
    // The control is the rest of the county less the rings.
    let county_rest = count_in(&w, c.county, category, before_from, start) - before;
    let rings_before: u64 =
        e["rings"].as_array().unwrap().iter().map(|r| r["rate_ratio"]["before"].as_u64().unwrap()).sum();
    let control_before = e["control"]["before"].as_u64().unwrap();
    assert!(
        control_before <= county_rest && control_before + rings_before >= county_rest,
        "{control_before} {county_rest}"
    );
    // The planted 40 % fall is recovered against the control: its interval holds 0.6 and lies below 1.
    let relative = &e["relative"];
    let (lo, hi) = (relative["ci_low"].as_f64().unwrap(), relative["ci_high"].as_f64().unwrap());
    let truth = 1.0 - planted[0].removed_share;
    assert!(lo <= truth && truth <= hi && hi < 1.0, "planted {truth}, found {relative}");
    assert!(e["summary_zh"].as_str().unwrap().contains("效果显著"), "{}", e["summary_zh"]);
    assert!(e["method_en"].as_str().unwrap().contains("exact conditional Poisson"));
    assert_eq!(e["rings"].as_array().unwrap().len(), 2);

    // No effect planted: the interval holds 1 and the summary says so.
    let (_, e) = w.get(&format!("/api/campaigns/{did_not}/evaluation")).await;
    let relative = &e["relative"];
    assert!(relative["ci_low"].as_f64().unwrap() <= 1.0 && relative["ci_high"].as_f64().unwrap() >= 1.0, "{e}");
    assert!(e["summary_en"].as_str().unwrap().contains("no significant change"), "{}", e["summary_en"]);

    // Jurisdiction: a township sees neither (both lie outside it), and may not declare one there.
    let (_, own) = w.get_as(Role::Township, "/api/campaigns").await;
    assert_eq!(own, json!([]));
    assert_eq!(w.get_as(Role::Township, &format!("/api/campaigns/{worked}/evaluation")).await.0, 404);
    for role in [Role::Village, Role::GridWorker, Role::Department] {
        assert_eq!(w.get_as(role, "/api/campaigns").await.0, 403, "{role:?}");
    }
}

#[tokio::test]
async fn campaigns_are_declared_by_leaders_inside_their_jurisdiction_with_clear_errors() {
    let w = TestWorld::new(3_000).await;
    let own = "620602001000"; // the township user's
    let base = json!({"name": "城区盗窃整治", "region": own, "start": "2026-10-01", "end": "2026-10-20",
                      "categories": ["criminal"]});
    let with = |changes: Value| {
        let mut b = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b.to_string()
    };
    let (lon, lat) = point_in(&w, own);
    let square = |d: f64| json!({"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]});
    for (changes, status, field) in [
        (json!({"name": " "}), 422, Some("name")),
        (json!({"geometry": square(0.001)}), 422, Some("region")),
        (json!({"region": null}), 422, Some("region")),
        (json!({"region": "620602"}), 422, Some("region")),
        (json!({"region": "620621000000"}), 403, None),
        (json!({"categories": ["arson_and_more"]}), 422, Some("categories[0]")),
        (json!({"end": "2026-09-30"}), 422, Some("end")),
        (json!({"end": "2027-12-31"}), 422, Some("end")),
        (json!({"baseline_days": 0}), 422, Some("baseline_days")),
        (json!({"control": own}), 422, Some("control")),
        (json!({"control": "620621000000"}), 403, None),
        (
            json!({"region": null, "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat], [lon, lat + 0.01]]]}}),
            422,
            Some("geometry"),
        ),
        (json!({"region": null, "geometry": {"type": "Point", "coordinates": [lon, lat]}}), 422, Some("geometry")),
        (json!({"region": null, "geometry": square(1.5)}), 422, Some("geometry")),
        (json!({"start": "2026-10-01x"}), 422, Some("start")),
        (json!({"end": 20261020}), 422, Some("end")),
        (json!({"end": "+262142-12-31"}), 422, Some("end")),
        (json!({"start": "-262143-01-01"}), 422, Some("start")),
    ] {
        let (s, e) = w.post_as(Role::Township, "/api/campaigns", with(changes.clone())).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, field), "{changes}: {e}");
    }
    assert_eq!(
        w.post_as(Role::Analyst, "/api/campaigns", base.to_string()).await.0,
        403,
        "analysts read, leaders declare"
    );
    assert_eq!(w.post_as(Role::Village, "/api/campaigns", base.to_string()).await.0, 403);
    // A drawn square inside the township: declared, listed, evaluated (interim: it ended before
    // the clock, so finished; too few incidents to conclude).
    let (s, v) =
        w.post_as(Role::Township, "/api/campaigns", with(json!({"region": null, "geometry": square(0.002)}))).await;
    assert_eq!((s.as_u16(), v["area_name"].as_str()), (201, Some("自定范围")), "{v}");
    let id = v["id"].as_u64().unwrap();
    let (s, e) = w.get_as(Role::Township, &format!("/api/campaigns/{id}/evaluation")).await;
    assert_eq!(s, 200, "{e}");
    assert!(e["warnings_en"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().contains("too few")), "{e}");
    // A campaign that has not begun has nothing to evaluate.
    let (_, v) =
        w.post_as(Role::Township, "/api/campaigns", with(json!({"start": "2026-12-01", "end": "2026-12-31"}))).await;
    let (s, e) = w.get_as(Role::Township, &format!("/api/campaigns/{}/evaluation", v["id"])).await;
    assert_eq!((s.as_u16(), v["stage"].as_str()), (409, Some("planned")), "{e}");
    // The county sees the township's campaigns; nothing was stored by the refused requests.
    let (_, list) = w.get_as(Role::County, "/api/campaigns").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A patrol plan tagged with a campaign carries its id and name; an unknown one is refused.
    let county: RegionCode = LIANGZHOU.parse().unwrap();
    let units: Vec<u64> = w
        .state
        .geography
        .resources()
        .iter()
        .filter(|r| r.kind == ResourceKind::PatrolUnit && county.contains(r.region_code))
        .take(2)
        .map(|r| r.id)
        .collect();
    let shift = w.state.clock.now() + Duration::hours(1);
    let (s, plan) = w
        .post_as(Role::County, "/api/plans", json!({"shift_start": shift, "units": units, "campaign": id}).to_string())
        .await;
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["campaign"], json!([id, "城区盗窃整治"]));
    let (s, e) = w
        .post_as(Role::County, "/api/plans", json!({"shift_start": shift, "units": units, "campaign": 999}).to_string())
        .await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("campaign")), "{e}");
}

#[tokio::test]
async fn the_briefing_shows_the_apis_numbers_in_its_print_view() {
    let mut w = TestWorld::new(20_000).await;
    // The font the server embeds by default (Debian's fonts-droid-fallback).
    let font_file = std::path::Path::new(server::docx::DEFAULT_FONT_FILE);
    let font = if font_file.exists() {
        Some(Arc::new(server::docx::EmbeddedFont::load(font_file).unwrap()))
    } else if tests::required() {
        panic!("{} is missing; the test command installs fonts-droid-fallback", font_file.display());
    } else {
        eprintln!("notice: {} is absent; skipping the embedded-font checks", font_file.display());
        None
    };
    w.state.settings =
        Arc::new(server::live::LiveSettings { briefing_font: font.clone(), ..(*w.state.settings).clone() });
    let (s, b) = w.get(&format!("/api/briefing?region={LIANGZHOU}&period=2026-10")).await;
    assert_eq!(s, 200, "{b}");
    // The month's incidents are /api/stats' for the same region and month.
    let (from, to) = Month::parse("2026-10").unwrap().bounds();
    let uri = format!("/api/stats?region={LIANGZHOU}&from={}&to={}", from.to_rfc3339(), to.to_rfc3339());
    let (_, stats) = w.get(&uri.replace('+', "%2B")).await;
    assert_eq!(b["incidents"]["now"], stats["total"], "{stats}");
    let kinds: u64 = b["by_category"].as_array().unwrap().iter().map(|c| c["counts"]["now"].as_u64().unwrap()).sum();
    assert_eq!(json!(kinds), stats["total"]);
    // The areas' incidents add up; the scorecard row is /api/scorecard's.
    let areas: u64 = b["areas"].as_array().unwrap().iter().map(|a| a["incidents"].as_u64().unwrap()).sum();
    assert_eq!(json!(areas), stats["total"]);
    let (_, card) = w.get("/api/scorecard?period=2026-10&level=county").await;
    assert_eq!(b["scorecard"][0], *row(&card, LIANGZHOU));
    assert_eq!(b["scorecard"][1], json!(4));
    // The print view shows the same figures.
    let req = axum::http::Request::get(format!("/api/briefing?region={LIANGZHOU}&period=2026-10&format=html"))
        .header("authorization", format!("Bearer {}", w.token(Role::City)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("font-src data:") && !csp.contains("script"), "{csp}");
    let page = String::from_utf8(http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec())
        .unwrap();
    assert!(
        page.contains(&format!("<tr data-figure=\"incidents\"><td>警情总数</td><td>{}</td>", b["incidents"]["now"]))
    );
    let on_time = cell(row(&card, LIANGZHOU), "on_time_rate");
    assert!(page.contains(&format!("({}/{})", on_time["numerator"], on_time["denominator"])), "the on-time fraction");
    let rank = row(&card, LIANGZHOU)["rank"].as_u64().unwrap();
    assert!(page.contains(&format!("排名 {rank}/4")), "the rank");
    for c in b["by_category"].as_array().unwrap().iter().filter(|c| c["counts"]["now"].as_u64() > Some(0)) {
        let code = c["category"].as_str().unwrap();
        assert!(page.contains(&format!("data-category=\"{code}\"")), "{code}");
    }
    assert!(page.contains("<svg") && page.contains("<path d=\"M"), "the map is drawn");
    if let Some(font) = &font {
        // The page carries a font that draws each of its Chinese characters the full font has.
        let data = page
            .split("src: url(data:font/ttf;base64,")
            .nth(1)
            .expect("an embedded @font-face")
            .split(')')
            .next()
            .unwrap();
        use base64::Engine as _;
        let subset = base64::engine::general_purpose::STANDARD.decode(data).unwrap();
        assert!(subset.len() < font.bytes.len() / 10, "a subset: {} bytes", subset.len());
        covers(&subset, &font.bytes, &page);
    }
    // The Word document holds the same numbers, and the map as a PNG the server drew.
    let req = axum::http::Request::get(format!("/api/briefing?region={LIANGZHOU}&period=2026-10&format=docx"))
        .header("authorization", format!("Bearer {}", w.token(Role::City)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(w.app(), req).await.unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    // The text of the runs, in order.
    let text: String = xml
        .split("<w:t xml:space=\"preserve\">")
        .skip(1)
        .filter_map(|s| s.split("</w:t>").next())
        .collect::<Vec<_>>()
        .join("|");
    assert!(text.contains(&format!("警情总数|{}|", b["incidents"]["now"])), "{text}");
    assert!(text.contains(&format!("({}/{})", on_time["numerator"], on_time["denominator"])), "{text}");
    assert!(text.contains(&format!("排名 {rank}/4")), "{text}");
    let mut png = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("word/media/image1.png").unwrap(), &mut png).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap())),
        (640, 420)
    );
    if let Some(font) = &font {
        // Every run names the embedded font, which the package holds obfuscated.
        assert!(xml.contains(&format!("w:eastAsia=\"{}\"", font.family)) && !xml.contains("宋体"));
        let mut odttf = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name("word/fonts/font1.odttf").unwrap(), &mut odttf).unwrap();
        server::docx::obfuscate(&mut odttf, server::docx::FONT_KEY);
        covers(&odttf, &font.bytes, &text);
    }
    // English too; the jurisdiction and the parameters are checked.
    let (s, _) = w.get(&format!("/api/briefing?region={LIANGZHOU}&format=html&lang=en")).await;
    assert_eq!(s, 200);
    for (role, uri, status, field) in [
        (Role::Township, format!("/api/briefing?region={LIANGZHOU}"), 403, None),
        (Role::Village, "/api/briefing".to_owned(), 403, None),
        (Role::City, "/api/briefing?region=620699999000".to_owned(), 404, Some("region")),
        (Role::City, "/api/briefing?format=pdf".to_owned(), 400, Some("format")),
        (Role::City, "/api/briefing?lang=fr".to_owned(), 400, Some("lang")),
        (Role::City, "/api/briefing?period=2026".to_owned(), 400, Some("period")),
    ] {
        let (s, e) = w.get_as(role, &uri).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (status, field), "{role:?} {uri}: {e}");
    }
    let (s, own) = w.get_as(Role::Township, "/api/briefing").await;
    assert_eq!((s.as_u16(), own["region"].as_str()), (200, Some("620602001000")), "a township's own by default");
}

/// Asserts that `subset` parses as a font and draws every character of `text` that `full` has,
/// with the same outline and advance.
fn covers(subset: &[u8], full: &[u8], text: &str) {
    use ttf_parser::{Face, OutlineBuilder};
    #[derive(Default)]
    struct Path(Vec<String>);
    impl OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("M{x},{y}"));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("L{x},{y}"));
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            self.0.push(format!("Q{x1},{y1},{x},{y}"));
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.0.push(format!("C{x1},{y1},{x2},{y2},{x},{y}"));
        }
        fn close(&mut self) {
            self.0.push("Z".into());
        }
    }
    let (small, big) = (Face::parse(subset, 0).expect("the subset parses"), Face::parse(full, 0).unwrap());
    let mut chinese = 0;
    for ch in text.chars().collect::<std::collections::BTreeSet<char>>() {
        let Some(want) = big.glyph_index(ch) else { continue };
        let got = small.glyph_index(ch).unwrap_or_else(|| panic!("{ch:?} is missing from the subset"));
        let (mut a, mut b) = (Path::default(), Path::default());
        small.outline_glyph(got, &mut a);
        big.outline_glyph(want, &mut b);
        assert_eq!((a.0, small.glyph_hor_advance(got)), (b.0, big.glyph_hor_advance(want)), "{ch:?}");
        chinese += usize::from(('\u{4e00}'..='\u{9fff}').contains(&ch));
    }
    assert!(chinese > 50, "{chinese} Chinese characters checked");
}
