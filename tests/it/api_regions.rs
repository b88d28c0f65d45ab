//! Regions, cells, resources, stats and health.

use model::api::geo::Feature;
use model::api::hotspots::{EmergingAnswer, ForecastAnswer, GiStarAnswer, KdeAnswer, LisaAnswer, NearRepeatAnswer};
use model::api::regions::{AreaFeature, RegionDetail};
use serde_json::Value;
use std::collections::BTreeSet;
use tests::{TestWorld, typed};

fn codes(fc: &Value) -> Vec<String> {
    fc["features"].as_array().unwrap().iter().map(|f| f["properties"]["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn health_reports_the_store() {
    let w = TestWorld::new(2_000).await;
    let (status, body) = w.get("/api/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], "geopackage");
    assert_eq!(body["incidents"].as_u64().unwrap() as usize, w.truth.incidents);
}

#[tokio::test]
async fn the_hierarchy_drills_down_by_code_prefix() {
    let w = TestWorld::new(1_000).await;
    let (status, counties) = w.get("/api/regions").await;
    assert_eq!(status, 200);
    assert_eq!(codes(&counties), ["620602000000", "620621000000", "620622000000", "620623000000"]);
    let names: Vec<&str> =
        counties["features"].as_array().unwrap().iter().map(|f| f["properties"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["凉州区", "民勤县", "古浪县", "天祝藏族自治县"]);
    let (_, townships) = w.get("/api/regions?parent=620621000000").await;
    let t = codes(&townships);
    assert_eq!(t.len(), 18);
    assert!(t.iter().all(|c| c.starts_with("620621") && c.ends_with("000")));
    let (_, villages) = w.get(&format!("/api/regions?parent={}", t[0])).await;
    let v = codes(&villages);
    assert!(!v.is_empty() && v.iter().all(|c| c.starts_with(&t[0][..9])));
    let (_, cells) = w.get(&format!("/api/regions?parent={}&level=cell", v[0])).await;
    assert!(codes(&cells).iter().all(|c| c.len() == 15 && c.starts_with(&v[0])));
    let (_, city) = w.get("/api/regions?level=city").await;
    assert_eq!(codes(&city), ["620600000000"]);
    assert_eq!(city["features"][0]["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn one_region_carries_children_and_officers() {
    let w = TestWorld::new(1_000).await;
    let (status, county) = w.get("/api/regions/620602000000").await;
    assert_eq!(status, 200);
    assert_eq!(county["properties"]["children"], 50);
    let AreaFeature::Region(read) = typed::<AreaFeature>(&county) else { panic!("a county reads as a region") };
    assert_eq!((read.properties.children, read.properties.officers), (50, None));
    // A covered village lists its officer; an uncovered one lists none.
    let uncovered = w.truth.uncovered_villages[0].to_string();
    let (_, v) = w.get(&format!("/api/regions/{uncovered}")).await;
    assert_eq!(v["properties"]["officers"].as_array().unwrap().len(), 0);
    let officer = &w.state.geography.officers()[0];
    let (_, v) = w.get(&format!("/api/regions/{}", officer.villages[0])).await;
    assert_eq!(v["properties"]["officers"][0]["badge"], officer.badge.as_str());
    let read: Feature<RegionDetail> = typed(&v);
    assert_eq!(read.properties.officers.unwrap()[0].id, officer.id);
    let cell = w.state.geography.cells()[0].cell.code.to_string();
    let (status, c) = w.get(&format!("/api/regions/{cell}")).await;
    assert_eq!((status.as_u16(), c["properties"]["level"].as_str()), (200, Some("cell")));
    assert!(matches!(typed::<AreaFeature>(&c), AreaFeature::Cell(f) if f.properties.code.to_string() == cell));
}

#[tokio::test]
async fn cell_counts_match_the_incident_list_and_stats() {
    let w = TestWorld::new(4_000).await;
    let window = "from=2026-08-01T00:00:00Z&to=2026-11-01T00:00:00Z";
    let (status, cells) = w.get(&format!("/api/cells?region=620622000000&{window}&category=traffic")).await;
    assert_eq!(status, 200);
    let feats = cells["features"].as_array().unwrap();
    assert!(feats.iter().all(|f| { f["properties"]["code"].as_str().unwrap().starts_with("620622") }));
    let sum: u64 = feats.iter().map(|f| f["properties"]["count"].as_u64().unwrap()).sum();
    let (_, list) = w.get(&format!("/api/incidents?region=620622000000&{window}&category=traffic&limit=5000")).await;
    assert_eq!(list["count"].as_u64().unwrap(), sum);
    assert!(sum > 0);
    let (_, stats) = w.get(&format!("/api/stats?region=620622000000&{window}&category=traffic")).await;
    assert_eq!(stats["total"].as_u64().unwrap(), sum);
    // A cell's count equals the list filtered to that cell.
    let busiest = feats.iter().max_by_key(|f| f["properties"]["count"].as_u64().unwrap()).unwrap();
    let code = busiest["properties"]["code"].as_str().unwrap();
    let (_, one) = w.get(&format!("/api/incidents?region={code}&{window}&category=traffic&limit=5000")).await;
    assert_eq!(one["count"], busiest["properties"]["count"]);
    // bbox keeps only cells whose box meets it.
    let (_, boxed) = w.get("/api/cells?bbox=102.60,37.90,102.66,37.96").await;
    let n = boxed["features"].as_array().unwrap().len();
    assert!(n > 0 && n < w.state.geography.cells().len());
}

#[tokio::test]
async fn stats_add_up() {
    let w = TestWorld::new(5_000).await;
    let (status, s) = w.get("/api/stats?from=2025-11-01T04:00:00Z&to=2026-11-01T04:00:00Z").await;
    assert_eq!(status, 200);
    let total = s["total"].as_u64().unwrap();
    assert_eq!(total as usize, w.truth.incidents);
    let sum = |v: &Value| -> u64 { v.as_array().unwrap().iter().map(|x| x["count"].as_u64().unwrap()).sum() };
    assert_eq!(sum(&s["by_category"]), total);
    assert_eq!(sum(&s["by_day"]), total);
    assert_eq!(s["by_day"].as_array().unwrap().len(), 366, "every local day of the window, zeros included");
    let matrix: u64 = s["hour_weekday"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(matrix, total);
    let share = s["share_of_cells_holding_half"].as_f64().unwrap();
    assert!(share > 0.0 && share < 0.2, "{share}");
    let top: Vec<u64> = s["top_cells"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert!(top.windows(2).all(|p| p[0] >= p[1]));
    // Default window: the last 30 days before the (fixed) clock.
    let (_, recent) = w.get("/api/stats").await;
    assert_eq!(recent["by_day"].as_array().unwrap().len(), 31);
}

#[tokio::test]
async fn resources_filter_by_kind_and_region() {
    let w = TestWorld::new(1_000).await;
    let (status, cams) = w.get("/api/resources?kind=camera&region=620602000000").await;
    assert_eq!(status, 200);
    let feats = cams["features"].as_array().unwrap();
    assert!(!feats.is_empty());
    for f in feats {
        assert_eq!(f["properties"]["kind"], "camera");
        assert_eq!(f["properties"]["prevention"], "technical");
        assert!(f["properties"]["region_code"].as_str().unwrap().starts_with("620602"));
        assert!(f["properties"]["range_m"].as_f64().unwrap() > 0.0);
    }
    let (_, stations) = w.get("/api/resources?kind=station").await;
    let townships: BTreeSet<&str> = stations["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["region_code"].as_str().unwrap())
        .collect();
    assert_eq!(townships.len(), 108, "a station per township");
}

#[tokio::test]
async fn hotspots_over_the_cells_state_their_parameters_and_find_the_planted_hot_cells() {
    let w = TestWorld::new(20_000).await;
    let window = "from=2025-11-01T04:00:00Z&to=2026-11-01T04:00:00Z";
    let (status, fc) = w.get(&format!("/api/hotspots?{window}")).await;
    assert_eq!(status, 200, "{fc}");
    let feats = fc["features"].as_array().unwrap();
    assert_eq!(feats.len(), w.state.geography.cells().len());
    assert_eq!(typed::<GiStarAnswer>(&fc).members.parameters.method, "gi-star");
    let params = &fc["parameters"];
    assert_eq!(params["neighbourhood_m"], 1500.0);
    assert!(
        params["description_zh"].as_str().unwrap().contains("热点")
            && params["description_en"].as_str().unwrap().contains("Gi*")
    );
    let (_, stats) = w.get(&format!("/api/stats?{window}")).await;
    let total: f64 = feats.iter().map(|f| f["properties"]["count"].as_f64().unwrap()).sum();
    assert_eq!(total as u64, stats["total"].as_u64().unwrap());
    // Gi* marks clusters (a hot cell's neighbours too), and an isolated hot cell among quiet ones may
    // not survive the FDR: check that at least half the planted hot cells lie in 95%+ hot spots
    // (measured: 74 of 137 for this 20,000-incident world).
    let hot: BTreeSet<&str> = feats
        .iter()
        .filter(|f| f["properties"]["bin"].as_i64().unwrap() >= 2)
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    let planted: Vec<String> = w.truth.hot_cells.iter().map(|c| c.to_string()).collect();
    let recalled = planted.iter().filter(|c| hot.contains(c.as_str())).count();
    assert!(recalled * 2 >= planted.len(), "{recalled} of {} planted hot cells in 95%+ hot spots", planted.len());
    // A county's analysis covers its cells only.
    let (_, county) = w.get(&format!("/api/hotspots?{window}&region=620621000000&weights=distance:3000")).await;
    let codes: Vec<&str> =
        county["features"].as_array().unwrap().iter().map(|f| f["properties"]["code"].as_str().unwrap()).collect();
    assert!(codes.iter().all(|c| c.starts_with("620621")));
    assert_eq!(w.get("/api/hotspots?weights=queen").await.0, 400);
}

#[tokio::test]
async fn every_hotspot_analysis_answers_with_its_parameters_in_words() {
    let w = TestWorld::new(20_000).await;
    let n_cells = w.state.geography.cells().len();
    let to = "to=2026-11-01T04:00:00Z";
    let window = format!("from=2025-11-01T04:00:00Z&{to}");
    let props = |fc: &Value| -> Vec<Value> {
        fc["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect()
    };
    let described = |fc: &Value| {
        let p = &fc["parameters"];
        assert!(p["description_zh"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
        assert!(p["description_en"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
    };

    // Optimized Gi*: the band is chosen, and said.
    let (s, fc) = w.get(&format!("/api/hotspots?{window}&method=optimized")).await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    typed::<GiStarAnswer>(&fc);
    assert!(fc["parameters"]["neighbourhood_m"].as_f64().unwrap() > 0.0);
    assert!(fc["parameters"]["description_en"].as_str().unwrap().contains("clustering"));
    assert!(props(&fc).iter().any(|p| p["bin"] == 3));

    // Local Moran: high-high clusters are busy cells.
    let (s, fc) = w.get(&format!("/api/hotspots?{window}&method=local-moran")).await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    typed::<LisaAnswer>(&fc);
    let cells = props(&fc);
    assert_eq!(cells.len(), n_cells);
    let mean = |f: &dyn Fn(&Value) -> bool| {
        let v: Vec<f64> = cells.iter().filter(|p| f(p)).map(|p| p["count"].as_f64().unwrap()).collect();
        (v.iter().sum::<f64>() / v.len().max(1) as f64, v.len())
    };
    let (hh_mean, hh) = mean(&|p| p["cluster"] == "HH");
    let (all_mean, _) = mean(&|_| true);
    assert!(hh > 0 && hh_mean > 2.0 * all_mean, "{hh} HH cells, mean {hh_mean} vs {all_mean}");
    assert_eq!(w.get("/api/hotspots?method=kriging").await.0, 400);

    // Emerging: one pattern per cell, counts per step adding up to the window's total.
    let (s, fc) = w.get(&format!("/api/hotspots/emerging?{to}&step_days=14&steps=12")).await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    typed::<EmergingAnswer>(&fc);
    let cells = props(&fc);
    assert!(cells.iter().all(|p| p["counts"].as_array().unwrap().len() == 12 && p["label_zh"].is_string()));
    assert!(cells.iter().any(|p| p["pattern"].as_str().unwrap().ends_with("_hot")));
    let steps_total: f64 =
        cells.iter().flat_map(|p| p["counts"].as_array().unwrap().clone()).map(|c| c.as_f64().unwrap()).sum();
    let (_, stats) = w.get(&format!("/api/stats?from=2026-05-17T04:00:00Z&{to}")).await;
    assert_eq!(steps_total as u64, stats["total"].as_u64().unwrap());
    assert_eq!(w.get("/api/hotspots/emerging?steps=2").await.0, 400);

    // KDE: ArcGIS's bandwidth rule by default; a given bandwidth is used as given.
    let (s, fc) = w.get(&format!("/api/hotspots/kde?{window}")).await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    let kde = typed::<KdeAnswer>(&fc);
    assert_eq!(fc["parameters"]["bandwidth_rule"], "arcgis-default");
    let dens: Vec<f64> = props(&fc).iter().map(|p| p["density_per_km2"].as_f64().unwrap()).collect();
    assert!(dens.iter().all(|d| *d >= 0.0) && dens.iter().any(|d| *d > 0.0));
    assert_eq!(kde.max_density_per_km2(), dens.iter().copied().fold(0.0, f64::max));
    let (_, fc) = w.get(&format!("/api/hotspots/kde?{window}&bandwidth_m=800")).await;
    assert_eq!(fc["parameters"]["bandwidth_m"], 800.0);
    let (s, e) = w.get("/api/hotspots/kde?bandwidth_m=-3").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("bandwidth_m")));

    // Near-repeat: the Knox test finds the planted contagion in criminal incidents and none in
    // traffic; open alerts are recent criminal incidents.
    let (s, fc) = w.get(&format!("/api/hotspots/near-repeat?{to}")).await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    typed::<NearRepeatAnswer>(&fc);
    let knox = fc["parameters"]["knox"].as_array().unwrap();
    let of = |c: &str| knox.iter().find(|t| t["category"] == c).unwrap().clone();
    assert_eq!(of("traffic")["near_repeat"], false, "{knox:?}");
    assert_eq!(of("criminal")["near_repeat"], true, "{knox:?}");
    let alerts = props(&fc);
    assert!(!alerts.is_empty(), "recent criminal incidents raise alerts");
    for p in alerts {
        assert_eq!(p["category"], "criminal");
        let cells: Vec<&str> = p["cells"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert!(cells.contains(&p["cell_code"].as_str().unwrap()), "{p}");
        assert!(p["expires_at"].as_str().unwrap() > "2026-11-01T04:00:00Z");
    }

    // Forecast: ranks, flags and the fitted parameters.
    let (s, fc) = w.get("/api/hotspots/forecast?at=2026-10-25T00:00:00Z&hours=8&area_share=0.05").await;
    assert_eq!(s, 200, "{fc}");
    described(&fc);
    typed::<ForecastAnswer>(&fc);
    let cells = props(&fc);
    let flagged = cells.iter().filter(|p| p["flagged"] == true).count();
    assert_eq!(flagged, (n_cells as f64 * 0.05).ceil() as usize);
    let min_flagged =
        cells.iter().filter(|p| p["flagged"] == true).map(|p| p["risk"].as_f64().unwrap()).fold(f64::MAX, f64::min);
    assert!(cells.iter().filter(|p| p["flagged"] == false).all(|p| p["risk"].as_f64().unwrap() <= min_flagged));
    let mut ranks: Vec<u64> = cells.iter().map(|p| p["rank"].as_u64().unwrap()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=n_cells as u64).collect::<Vec<_>>());
    // Without a forecast trial every county uses the model, and says so with its parameters.
    for county in fc["parameters"]["counties"].as_array().unwrap() {
        assert_eq!(
            (county["method"].as_str(), county["chosen_by"].as_str()),
            (Some("self-exciting"), Some("no_trial"))
        );
        let own = county["fitted"]["own_cell_share"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&own) && county["fitted"]["decay_per_day"].as_f64().unwrap() > 0.0, "{county}");
    }
    // Explained: per cell the share of its risk from the long-term background, and over the
    // area the same share in words (the rest from recent incidents).
    let (mut risk, mut background) = (0.0, 0.0);
    for p in &cells {
        let r = p["risk"].as_f64().unwrap();
        match p["background_share"].as_f64() {
            Some(b) => {
                assert!((0.0..=1.0).contains(&b) && r > 0.0, "{p}");
                (risk, background) = (risk + r, background + r * b);
            }
            None => assert_eq!(r, 0.0, "{p}"),
        }
    }
    let pct = format!("{:.0}%", background / risk * 100.0);
    let zh = fc["parameters"]["description_zh"].as_str().unwrap();
    let en = fc["parameters"]["description_en"].as_str().unwrap();
    assert!(zh.contains(&format!("约 {pct} 来自各处长期规律")), "{pct}: {zh}");
    assert!(en.contains(&format!("About {pct} of the expected incidents")), "{pct}: {en}");
    let (s, e) = w.get("/api/hotspots/forecast?hours=0").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("hours")));
}
