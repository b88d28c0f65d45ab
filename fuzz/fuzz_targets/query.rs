//! Query strings of every list, stats and tile endpoint: strict parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use server::api::params::Params;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let mut p = Params::parse(Some(q));
        let _ = p.incident_query(true);
        let _ = p.limit();
        let _ = p.cursor();
        let _ = p.finish();
    }
});
