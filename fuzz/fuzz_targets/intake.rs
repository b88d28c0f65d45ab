//! A submitted GeoJSON Feature (POST /api/incidents, a batch's items, GeoJSON import): validation
//! never panics, and a Feature's text is answered as its parsed value is.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_793_500_000, 0).unwrap_or_default();
    let parsed = serde_json::from_slice::<serde_json::Value>(data);
    if let Ok(value) = &parsed {
        let answer = server::intake::incident_from_feature(value, now, model::Source::Call110);
        if let Ok(text) = std::str::from_utf8(data) {
            let from_text = server::intake::incident_from_text(text, now, model::Source::Call110);
            assert_eq!(from_text.ok(), Some(answer), "{text}");
        }
    } else if let Ok(text) = std::str::from_utf8(data) {
        assert!(server::intake::incident_from_text(text, now, model::Source::Call110).is_err(), "{text}");
    }
});
