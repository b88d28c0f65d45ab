//! Times for people: Asia/Shanghai (UTC+8), from the browser clock.

use model::time::{SHANGHAI_OFFSET_S, civil_from_days, format_utc_millis};

/// Milliseconds since 1970 now, from the browser.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `YYYY-MM-DD HH:MM` in Asia/Shanghai.
pub fn local_minutes(ms: i64) -> String {
    let local = ms + i64::from(SHANGHAI_OFFSET_S) * 1000;
    let mut s = String::new();
    format_utc_millis(local, &mut s);
    // 2026-11-27T21:30:00.000Z → 2026-11-27 21:30
    s.replace('T', " ").chars().take(16).collect()
}

/// Start of the local (Asia/Shanghai) day containing `ms`.
pub fn local_midnight_ms(ms: i64) -> i64 {
    let off = i64::from(SHANGHAI_OFFSET_S) * 1000;
    (ms + off).div_euclid(86_400_000) * 86_400_000 - off
}

/// `YYYY-MM-DDTHH:MM` for a datetime-local input, in Asia/Shanghai.
pub fn input_value(ms: i64) -> String {
    local_minutes(ms).replace(' ', "T")
}

/// Parses a datetime-local input value as Asia/Shanghai time.
pub fn parse_input(v: &str) -> Option<i64> {
    let (date, time) = v.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi) = (t.next()??, t.next()??);
    let days = model::time::days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(day).ok()?);
    let (cy, cm, cd) = civil_from_days(days);
    if (cy, i64::from(cm), i64::from(cd)) != (y, m, day) {
        return None;
    }
    Some(((days * 24 + h) * 60 + mi) * 60_000 - i64::from(SHANGHAI_OFFSET_S) * 1000)
}
