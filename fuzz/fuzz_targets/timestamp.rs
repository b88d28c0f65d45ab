//! The timestamp formats import files use: parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = model::time::parse_timestamp(s);
        let _ = model::time::parse_utc_millis(s);
    }
});
