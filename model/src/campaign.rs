//! Special campaigns (专项整治): what a leader declares, and the rules of its dates. The
//! evaluation's statistics are `analytics::campaign`'s; its answer is [`crate::api::campaign`].

use crate::code::RegionCode;
use crate::incident::Category;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Longest campaign, days.
pub const MAX_DAYS: i64 = 366;
/// Longest baseline, days.
pub const MAX_BASELINE_DAYS: i64 = 730;
/// Longest name, characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Inner and outer radii of the rings around a campaign's area where displacement is looked
/// for, metres (0–500 m and 500–1,000 m).
pub const RINGS_M: [(f64, f64); 2] = [(0.0, 500.0), (500.0, 1000.0)];

/// Where a campaign works: a region (a county, township, village) or a drawn polygon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignArea {
    /// A region of the hierarchy.
    Region(RegionCode),
    /// A polygon, WGS84 lon/lat: its outer ring first, then any holes; each ring closed.
    Polygon(Vec<Vec<[f64; 2]>>),
}

/// `campaign` data: a campaign as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Its name (e.g. 夏季治安打击整治).
    pub name: String,
    /// Where.
    pub area: CampaignArea,
    /// The county the area lies in (the default control area is the rest of it).
    pub county: RegionCode,
    /// The kinds it targets (empty: every kind).
    pub categories: Vec<Category>,
    /// First day, local date.
    pub start: NaiveDate,
    /// Last day, local date (inclusive).
    pub end: NaiveDate,
    /// Days before `start` the comparison counts (default: as long as the campaign).
    pub baseline_days: i64,
    /// A control area the user chose instead of the rest of the county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<RegionCode>,
    /// Who declared it (username).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Campaign {
    /// Its length in days (both ends included).
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// `[first instant, instant after the last day)` in UTC (days are local).
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (local_midnight(self.start), local_midnight(self.end + chrono::Duration::days(1)))
    }

    /// The baseline: the `baseline_days` before the start.
    pub fn baseline(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = local_midnight(self.start);
        (start - chrono::Duration::days(self.baseline_days), start)
    }
}

/// A local date's first instant in UTC.
pub fn local_midnight(d: NaiveDate) -> DateTime<Utc> {
    let t = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    t - chrono::Duration::seconds(i64::from(crate::time::SHANGHAI_OFFSET_S))
}

/// Checks a campaign's dates: both in 2000–2100, start ≤ end, at most [`MAX_DAYS`] long, a baseline of 1 to
/// [`MAX_BASELINE_DAYS`] days. The error names the field.
pub fn check_dates(start: NaiveDate, end: NaiveDate, baseline_days: i64) -> Result<(), (&'static str, String)> {
    use chrono::Datelike;
    for (field, d) in [("start", start), ("end", end)] {
        if !(2000..=2100).contains(&d.year()) {
            return Err((field, format!("{d} is not a day of 2000–2100")));
        }
    }
    if end < start {
        return Err(("end", format!("the campaign ends ({end}) before it starts ({start})")));
    }
    if (end - start).num_days() + 1 > MAX_DAYS {
        return Err(("end", format!("a campaign lasts at most {MAX_DAYS} days")));
    }
    if !(1..=MAX_BASELINE_DAYS).contains(&baseline_days) {
        return Err(("baseline_days", format!("the baseline is 1 to {MAX_BASELINE_DAYS} days")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_are_local_and_inclusive() {
        let c = Campaign {
            name: "夏季整治".into(),
            area: CampaignArea::Region("620602001000".parse().unwrap()),
            county: "620602000000".parse().unwrap(),
            categories: vec![],
            start: d("2026-06-01"),
            end: d("2026-06-30"),
            baseline_days: 30,
            control: None,
            by: "city".into(),
            at: DateTime::default(),
        };
        assert_eq!(c.days(), 30);
        let (from, to) = c.bounds();
        assert_eq!(from.to_rfc3339(), "2026-05-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-06-30T16:00:00+00:00");
        assert_eq!(c.baseline(), (from - chrono::Duration::days(30), from));
    }

    #[test]
    fn dates_are_checked_naming_the_field() {
        assert!(check_dates(d("2026-06-01"), d("2026-06-01"), 1).is_ok());
        assert_eq!(check_dates(d("2026-06-02"), d("2026-06-01"), 30).unwrap_err().0, "end");
        assert_eq!(check_dates(d("2026-01-01"), d("2027-01-02"), 30).unwrap_err().0, "end");
        assert_eq!(check_dates(d("2026-06-01"), d("2026-06-30"), 0).unwrap_err().0, "baseline_days");
        assert_eq!(check_dates(d("2026-06-01"), d("2026-06-30"), 731).unwrap_err().0, "baseline_days");
        let far = NaiveDate::from_ymd_opt(262_142, 12, 31).unwrap();
        assert_eq!(check_dates(d("2026-06-01"), far, 30).unwrap_err().0, "end");
        assert_eq!(check_dates(d("1999-12-31"), d("2000-01-01"), 30).unwrap_err().0, "start");
    }
}
