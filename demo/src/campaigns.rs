//! The demo's two finished special campaigns (专项整治): one with a real effect and one without,
//! so the evaluation has something true to find. Deterministic from the seed; no clock.
//!
//! - 治安秩序专项整治 in the township of 凉州区 with the most public-order (治安) incidents, 60
//!   days ending 140 days before the history's end: the generator removes [`EFFECT`] of that
//!   township's public-order incidents in those days (a 40 % fall).
//! - 夏季矛盾纠纷排查整治 in the busiest township of 民勤县 by disputes (纠纷), 30 days ending 90
//!   days before the end: nothing is removed (no effect).
//!
//! Both end before the emerging hot spots' last-90-day ramp and lie in different counties, so
//! neither touches the other's control area nor the planted hot spots' trends.

use crate::DemoIncident;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use model::campaign::{Campaign, CampaignArea};
use model::{Category, RegionCode, RegionLevel, RegionShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Share of the targeted incidents the effective campaign removes.
pub const EFFECT: f64 = 0.4;

/// A planted campaign: what it is and the share of its incidents removed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlantedCampaign {
    /// As declared.
    pub campaign: Campaign,
    /// Share of the area's targeted incidents removed during it (0: no effect).
    pub removed_share: f64,
}

fn township_with_most(incidents: &[DemoIncident], county: RegionCode, category: Category) -> Option<RegionCode> {
    let mut counts: HashMap<RegionCode, usize> = HashMap::new();
    for i in incidents.iter().filter(|i| i.incident.category == category && county.contains(i.cell_code.village())) {
        *counts.entry(i.cell_code.village().truncate(RegionLevel::Township)).or_default() += 1;
    }
    counts.into_iter().max_by_key(|&(code, n)| (n, std::cmp::Reverse(code))).map(|(code, _)| code)
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    model::time::local_date(t)
}

/// Plans the two campaigns over `incidents` (a history ending at `end`) and removes the first
/// one's effect from them.
pub fn plant(
    regions: &[RegionShape],
    incidents: &mut Vec<DemoIncident>,
    end: DateTime<Utc>,
    seed: u64,
) -> Vec<PlantedCampaign> {
    let county_of = |code: &str| -> Option<RegionCode> {
        let code: RegionCode = code.parse().ok()?;
        regions.iter().any(|r| r.region.code == code).then_some(code)
    };
    let mut out = Vec::new();
    let specs = [
        ("620602000000", Category::parse("public_order"), "治安秩序专项整治", 140, 60, EFFECT),
        ("620621000000", Category::parse("dispute"), "夏季矛盾纠纷排查整治", 90, 30, 0.0),
    ];
    for (county, category, name, ends_days_before, days, removed_share) in specs {
        let (Some(county), Some(category)) = (county_of(county), category) else { continue };
        let Some(township) = township_with_most(incidents, county, category) else { continue };
        let last = local_day(end - Duration::days(ends_days_before));
        let start = last - Duration::days(days - 1);
        let campaign = Campaign {
            name: name.into(),
            area: CampaignArea::Region(township),
            county,
            categories: vec![category],
            start,
            end: last,
            baseline_days: days,
            control: None,
            by: "city".into(),
            at: model::campaign::local_midnight(start) - Duration::days(3),
        };
        if removed_share > 0.0 {
            let (from, to) = campaign.bounds();
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xca4a);
            incidents.retain(|i| {
                let targeted = i.incident.category == category
                    && township.contains(i.cell_code.village())
                    && i.incident.occurred_at >= from
                    && i.incident.occurred_at < to;
                !targeted || rng.random::<f64>() >= removed_share
            });
        }
        out.push(PlantedCampaign { campaign, removed_share });
    }
    out
}
