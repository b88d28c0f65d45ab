//! Time zone of the UI: Asia/Shanghai, UTC+8 all year (no daylight saving since 1991).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};

/// Offset of Asia/Shanghai from UTC, in seconds.
pub const SHANGHAI_OFFSET_S: i32 = 8 * 3600;

/// The Asia/Shanghai offset as a chrono zone.
pub fn shanghai() -> FixedOffset {
    match FixedOffset::east_opt(SHANGHAI_OFFSET_S) {
        Some(offset) => offset,
        None => unreachable!("8 h is within the ±24 h chrono accepts"),
    }
}

/// Local calendar date in Asia/Shanghai.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// Local hour (0–23) and weekday (0 = Monday … 6 = Sunday) in Asia/Shanghai.
pub fn local_hour_weekday(t: DateTime<Utc>) -> (u32, u32) {
    let l = t.with_timezone(&shanghai());
    (l.hour(), l.weekday().num_days_from_monday())
}

/// Local hour and weekday from Unix seconds, without building a `DateTime` (hot loops).
pub fn local_hour_weekday_unix(t_s: i64) -> (u32, u32) {
    let local = t_s + i64::from(SHANGHAI_OFFSET_S);
    let day = local.div_euclid(86_400);
    let hour = (local.rem_euclid(86_400) / 3600) as u32;
    // 1970-01-01 was a Thursday (Monday = 0 → Thursday = 3).
    let weekday = ((day + 3).rem_euclid(7)) as u32;
    (hour, weekday)
}

/// Local day number (days since 1970-01-01 in Asia/Shanghai) from Unix seconds.
pub fn local_day_unix(t_s: i64) -> i64 {
    (t_s + i64::from(SHANGHAI_OFFSET_S)).div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fast_path_matches_chrono() {
        for t_s in (1_600_000_000i64..1_700_000_000).step_by(7_777_777) {
            let t = Utc.timestamp_opt(t_s, 0).unwrap();
            assert_eq!(local_hour_weekday(t), local_hour_weekday_unix(t_s));
            let d = local_date(t);
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            assert_eq!((d - epoch).num_days(), local_day_unix(t_s));
        }
    }

    #[test]
    fn utc_evening_is_next_morning_in_shanghai() {
        let t = Utc.with_ymd_and_hms(2024, 1, 7, 20, 30, 0).unwrap(); // Sunday 20:30 UTC
        assert_eq!(local_hour_weekday(t), (4, 0)); // Monday 04:30 in Shanghai
    }
}
