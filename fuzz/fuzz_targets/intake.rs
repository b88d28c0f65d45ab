//! A submitted GeoJSON Feature (POST /api/incidents, GeoJSON import): validation never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let now = chrono::DateTime::from_timestamp(1_793_500_000, 0).unwrap_or_default();
        let _ = server::intake::incident_from_feature(&value, now, model::Source::Call110);
    }
});
