//! CSV files given to `safegrid import`: reading rows never panics, errors carry line numbers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(args) = server::config::ImportArgs::with_defaults("/nonexistent".as_ref(), "fuzz.csv".as_ref()) else {
        return;
    };
    if let Ok(rows) = server::cli::csv_rows(data, data.len() as u64, &args) {
        let now = chrono::DateTime::from_timestamp(1_793_500_000, 0).unwrap_or_default();
        for (_, row) in rows {
            if let Ok(feature) = row {
                let _ = server::intake::incident_from_feature(&feature, now, model::Source::Import);
            }
        }
    }
});
