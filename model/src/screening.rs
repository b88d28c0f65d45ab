//! Monthly dispute screening (矛盾纠纷排查) as pure rules. Every village files one screening a
//! month, by default by the month's end (local time): the disputes found (registered at the desk)
//! or a zero report (零报告, "screened, nothing found"), and the village's risk grade
//! (红/橙/黄/绿). A screening not filed by its due time is overdue on the desk, and the share of
//! villages that filed on time is the scorecard's `screening_on_time`. A filing may be corrected
//! later (a new version of the same village and month); whether it was on time is judged by its
//! first filing. No clock is read: `now` is always a parameter.

use crate::code::RegionCode;
use crate::scorecard::Month;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// A village's risk grade after a screening (风险等级), the usual four colours.
    RiskGrade {
        /// 红: serious risk, a dispute may turn into a case or a mass incident; reported upward.
        Red = ("red", "红", "red"),
        /// 橙: considerable risk.
        Orange = ("orange", "橙", "orange"),
        /// 黄: some risk, watched.
        Yellow = ("yellow", "黄", "yellow"),
        /// 绿: stable.
        Green = ("green", "绿", "green"),
    }
}

/// Disputes a screening may list.
pub const MAX_SCREENING_DISPUTES: usize = 50;

/// `screening` data: one village's screening of one month (subject: [`subject`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningReport {
    /// The village screened.
    pub village: RegionCode,
    /// The month screened (local calendar).
    pub month: Month,
    /// 零报告: screened, and no dispute found.
    pub zero_report: bool,
    /// The desk's disputes (ids) found in the village this screening; empty for a zero report.
    pub disputes: Vec<u64>,
    /// The village's risk grade.
    pub risk: RiskGrade,
    /// What was checked and found.
    #[serde(default)]
    pub notes: String,
    /// Who filed it (username).
    pub by: String,
    /// When it was filed.
    pub at: DateTime<Utc>,
}

/// Why a screening is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScreeningError {
    /// A zero report listed disputes, or a report that is not one listed none.
    #[error("a zero report lists no disputes, and a report that is not one lists at least one")]
    ZeroReportMismatch,
    /// More than [`MAX_SCREENING_DISPUTES`] disputes, or one listed twice.
    #[error("a screening lists at most 50 disputes, each once")]
    TooManyDisputes,
    /// The month has not begun yet.
    #[error("the month has not begun")]
    FutureMonth,
}

/// The live-log subject of a village's screening of `month`: the village code × 10⁶ + YYYYMM,
/// so every (village, month) has its own history of versions.
///
/// ```
/// use model::scorecard::Month;
/// use model::screening::subject;
/// let v = "620602100001".parse().unwrap();
/// assert_eq!(subject(v, Month::parse("2026-11").unwrap()), 620_602_100_001_202_611);
/// ```
pub fn subject(village: RegionCode, month: Month) -> u64 {
    village.as_u64() * 1_000_000 + u64::try_from(month.year).unwrap_or(0) * 100 + u64::from(month.month)
}

/// When `month`'s screening is due: the month's end (local midnight after its last day).
pub fn due_at(month: Month) -> DateTime<Utc> {
    month.bounds().1
}

/// Whether a screening first filed at `filed_at` was on time for `month`: by its due time.
pub fn on_time(month: Month, filed_at: DateTime<Utc>) -> bool {
    filed_at < due_at(month)
}

/// Whether `month`'s screening is overdue at `now`: due and not filed.
pub fn is_overdue(month: Month, filed: bool, now: DateTime<Utc>) -> bool {
    !filed && now >= due_at(month)
}

/// Checks a screening's content: a zero report exactly when no dispute is listed, at most
/// [`MAX_SCREENING_DISPUTES`] distinct disputes, and a month that has begun at `now`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use model::scorecard::Month;
/// use model::screening::{check, ScreeningError};
/// let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
/// let m = Month::parse("2026-11").unwrap();
/// assert_eq!(check(m, true, &[], now), Ok(()));
/// assert_eq!(check(m, true, &[3], now), Err(ScreeningError::ZeroReportMismatch));
/// assert_eq!(check(Month::parse("2026-12").unwrap(), true, &[], now), Err(ScreeningError::FutureMonth));
/// ```
pub fn check(month: Month, zero_report: bool, disputes: &[u64], now: DateTime<Utc>) -> Result<(), ScreeningError> {
    if zero_report != disputes.is_empty() {
        return Err(ScreeningError::ZeroReportMismatch);
    }
    let distinct: std::collections::BTreeSet<u64> = disputes.iter().copied().collect();
    if disputes.len() > MAX_SCREENING_DISPUTES || distinct.len() != disputes.len() {
        return Err(ScreeningError::TooManyDisputes);
    }
    if month.start() > now {
        return Err(ScreeningError::FutureMonth);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn grades_have_both_labels_and_round_trip() {
        assert_eq!(RiskGrade::ALL.len(), 4);
        for &g in RiskGrade::ALL {
            assert_eq!(RiskGrade::parse(g.as_str()), Some(g));
            assert_eq!(serde_json::from_str::<RiskGrade>(&serde_json::to_string(&g).unwrap()).unwrap(), g);
            assert!(g.label_zh().chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{g:?}");
        }
        assert_eq!(RiskGrade::parse_label("橙"), Some(RiskGrade::Orange));
    }

    #[test]
    fn subjects_differ_per_village_and_month() {
        let a: RegionCode = "620602100001".parse().unwrap();
        let b: RegionCode = "620602100002".parse().unwrap();
        let mut seen = std::collections::HashSet::new();
        for v in [a, b] {
            for m in ["2025-12", "2026-01", "2026-11", "2026-12"] {
                assert!(seen.insert(subject(v, month(m))), "{v} {m}");
            }
        }
        // The largest village code still fits.
        let max: RegionCode = "659999999999".parse().unwrap();
        assert!(subject(max, month("2100-12")) > subject(a, month("2026-01")));
    }

    #[test]
    fn due_at_the_months_local_end_and_on_time_strictly_before() {
        let m = month("2026-11");
        // 2026-12-01 00:00 in Shanghai is 2026-11-30 16:00 UTC.
        let due = Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap();
        assert_eq!(due_at(m), due);
        assert!(on_time(m, due - Duration::seconds(1)));
        assert!(!on_time(m, due));
        assert!(!is_overdue(m, false, due - Duration::seconds(1)));
        assert!(is_overdue(m, false, due));
        assert!(!is_overdue(m, true, due + Duration::days(40)));
        assert_eq!(due_at(month("2026-12")), Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
    }

    #[test]
    fn a_zero_report_lists_nothing_and_a_report_lists_each_dispute_once() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let m = month("2026-11");
        assert_eq!(check(m, true, &[], now), Ok(()));
        assert_eq!(check(m, false, &[1, 2], now), Ok(()));
        assert_eq!(check(m, false, &[], now), Err(ScreeningError::ZeroReportMismatch));
        assert_eq!(check(m, true, &[1], now), Err(ScreeningError::ZeroReportMismatch));
        assert_eq!(check(m, false, &[1, 1], now), Err(ScreeningError::TooManyDisputes));
        let many: Vec<u64> = (1..=51).collect();
        assert_eq!(check(m, false, &many, now), Err(ScreeningError::TooManyDisputes));
        assert_eq!(check(m, false, &many[..50], now), Ok(()));
        assert_eq!(check(month("2026-12"), true, &[], now), Err(ScreeningError::FutureMonth));
        assert_eq!(check(month("2020-01"), true, &[], now), Ok(()));
    }
}
