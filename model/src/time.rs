//! Time zone of the UI: Asia/Shanghai, UTC+8 all year (no daylight saving since 1991).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

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

/// Parses the timestamp formats incident files use, returning UTC.
///
/// Accepted: RFC 3339 (`2024-01-17T17:18:00Z`, `…+08:00`); a space instead of `T` with an offset
/// of hours only or hours and minutes (`2024-01-17 17:18:00+00`, as Philadelphia's open data);
/// `/` as date separator; and, without an offset, local Asia/Shanghai time
/// (`2024-01-17 17:18[:00]`, `2024-01-17`).
///
/// ```
/// use model::time::parse_timestamp;
/// let t = parse_timestamp("2024-01-17 17:18:00+00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2024-01-17T17:18:00+00:00");
/// assert_eq!(parse_timestamp("2024-01-18").unwrap().to_rfc3339(), "2024-01-17T16:00:00+00:00");
/// ```
pub fn parse_timestamp(input: &str) -> Result<DateTime<Utc>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty timestamp".into());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if !s.is_ascii() {
        // Every accepted form is ASCII; slicing below relies on it (found by the fuzzer).
        return Err(format!("unrecognised timestamp {input:?}: non-ASCII characters"));
    }
    let norm = s.replace('/', "-");
    // Offsets written as +HH or +HHMM: bring them to +HH:MM for chrono.
    let with_offset = {
        let bytes = norm.as_bytes();
        let sign = norm.rfind(['+', '-']).filter(|&i| i > 10 && bytes.get(i - 1).is_some_and(u8::is_ascii_digit));
        match sign {
            Some(i) => {
                let off = &norm[i + 1..];
                let off = match off.len() {
                    2 => format!("{off}:00"),
                    4 if !off.contains(':') => format!("{}:{}", &off[..2], &off[2..]),
                    _ => off.to_owned(),
                };
                Some(format!("{}{}{}", norm[..i].replacen(' ', "T", 1), &norm[i..=i], off))
            }
            None if norm.ends_with('Z') || norm.ends_with('z') => Some(norm.replacen(' ', "T", 1)),
            None => None,
        }
    };
    if let Some(w) = with_offset {
        return DateTime::parse_from_rfc3339(&w)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("unrecognised timestamp {input:?}: {e}"));
    }
    let local = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&norm, f).ok())
        .or_else(|| NaiveDate::parse_from_str(&norm, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    match local {
        Some(naive) => shanghai()
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("ambiguous local time {input:?}")),
        None => Err(format!(
            "unrecognised timestamp {input:?}; use RFC 3339 (2024-01-17T17:18:00Z) or YYYY-MM-DD HH:MM:SS[+HH]"
        )),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.sssZ` (GeoPackage DATETIME, RFC 3339),
/// without allocating a `DateTime` (hot paths: storage and JSON of thousands of incidents).
pub fn format_utc_millis(ms: i64, out: &mut String) {
    use std::fmt::Write;
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z");
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc_seconds(t_s: i64, out: &mut String) {
    use std::fmt::Write;
    let (days, rem) = (t_s.div_euclid(86_400), t_s.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60);
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SS[.fff]Z` (what [`format_utc_millis`] writes) to Unix milliseconds.
pub fn parse_utc_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || *b.last()? != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac = match b[19] {
        b'Z' if b.len() == 20 => 0,
        b'.' => {
            let digits = &s[20..s.len() - 1];
            if digits.is_empty() || digits.len() > 9 {
                return None;
            }
            let v = num(20..s.len() - 1)?;
            v * 1000 / 10i64.pow(digits.len() as u32)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + frac)
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
    fn fast_formatting_matches_chrono() {
        for ms in (-86_400_000i64 * 400..4_102_444_800_000).step_by(86_399_999_937) {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            let mut s = String::new();
            format_utc_millis(ms, &mut s);
            assert_eq!(s, t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            assert_eq!(parse_utc_millis(&s), Some(ms));
            let mut s2 = String::new();
            format_utc_seconds(ms.div_euclid(1000), &mut s2);
            assert_eq!(s2, t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(parse_utc_millis(&s2), Some(ms.div_euclid(1000) * 1000));
        }
        assert_eq!(parse_utc_millis("2024-01-17T17:18:00+08:00"), None);
        assert_eq!(parse_utc_millis("2024-13-17T17:18:00Z"), None);
    }

    #[test]
    fn timestamp_formats() {
        let utc = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339());
        let want = Ok("2024-01-17T17:18:00+00:00".to_owned());
        assert_eq!(utc("2024-01-17T17:18:00Z"), want);
        assert_eq!(utc("2024-01-17 17:18:00+00"), want);
        assert_eq!(utc("2024-01-17 17:18:00+0000"), want);
        assert_eq!(utc("2024-01-18T01:18:00+08:00"), want);
        assert_eq!(utc("2024-01-18 01:18:00"), want);
        assert_eq!(utc("2024/01/18 01:18"), want);
        assert_eq!(utc("2024-01-17 12:18:00-05"), want);
        assert!(parse_timestamp("17/01/2024").is_err());
        assert!(parse_timestamp("").is_err());
        assert!(parse_timestamp("2024-13-01").is_err());
        // Found by `cargo fuzz run timestamp`: a multi-byte character in the offset panicked.
        assert!(parse_timestamp("2410-01112-1\u{0}-01-1\u{708}7 ").is_err());
    }

    #[test]
    fn utc_evening_is_next_morning_in_shanghai() {
        let t = Utc.with_ymd_and_hms(2024, 1, 7, 20, 30, 0).unwrap(); // Sunday 20:30 UTC
        assert_eq!(local_hour_weekday(t), (4, 0)); // Monday 04:30 in Shanghai
    }
}
