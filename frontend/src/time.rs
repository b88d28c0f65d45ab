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

/// `HH:MM` in Asia/Shanghai.
pub fn local_hhmm(ms: i64) -> String {
    local_minutes(ms).chars().skip(11).collect()
}

/// Start of the local (Asia/Shanghai) day containing `ms`.
pub fn local_midnight_ms(ms: i64) -> i64 {
    let off = i64::from(SHANGHAI_OFFSET_S) * 1000;
    (ms + off).div_euclid(86_400_000) * 86_400_000 - off
}

/// The placeholder of a time input: the one format the inputs show and take.
pub const INPUT_FORMAT: &str = "YYYY-MM-DD HH:MM";

/// `YYYY-MM-DD HH:MM` for a time input, in Asia/Shanghai: the same whatever the browser's
/// locale (a `datetime-local` input would show `12/04/2026, 06:00 PM` in an English browser).
pub fn input_value(ms: i64) -> String {
    local_minutes(ms)
}

/// Parses a time input as Asia/Shanghai time: `YYYY-MM-DD HH:MM` (or with a `T`, or seconds).
pub fn parse_input(v: &str) -> Option<i64> {
    let v = v.trim();
    let (date, time) = v.split_once(['T', ' '])?;
    let mut d = date.split('-').map(|p| p.trim().parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.trim().split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi) = (t.next()??, t.next()??);
    if d.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || t.next().flatten().is_some_and(|s| !(0..60).contains(&s))
    {
        return None;
    }
    let days = model::time::days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(day).ok()?);
    let (cy, cm, cd) = civil_from_days(days);
    if (cy, i64::from(cm), i64::from(cd)) != (y, m, day) {
        return None;
    }
    Some(((days * 24 + h) * 60 + mi) * 60_000 - i64::from(SHANGHAI_OFFSET_S) * 1000)
}

/// Marks the input an event came from as holding a time or not (`invalid`: a red border).
pub fn mark_time_input(ev: &web_sys::Event, ok: bool) {
    use wasm_bindgen::JsCast;
    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.class_list().toggle_with_force("invalid", !ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_show_and_take_one_format_in_china_time() {
        // 2026-12-04 10:00 UTC is 18:00 in Shanghai.
        let ms = 1_796_378_400_000;
        assert_eq!(input_value(ms), "2026-12-04 18:00");
        assert_eq!(parse_input("2026-12-04 18:00"), Some(ms));
        assert_eq!(parse_input(" 2026-12-04T18:00 "), Some(ms));
        assert_eq!(parse_input("2026-12-04 18:00:00"), Some(ms));
        for bad in
            ["12/04/2026, 06:00 PM", "2026-12-04", "2026-02-30 10:00", "2026-12-04 24:00", "2026-12-04 18:60", ""]
        {
            assert_eq!(parse_input(bad), None, "{bad}");
        }
    }
}
