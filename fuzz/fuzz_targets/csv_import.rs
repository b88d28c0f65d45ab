//! CSV files given to `safegrid import`: reading rows never panics, errors carry line numbers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let args = server::config::ImportArgs {
        store: server::config::StoreArgs { data_dir: "/nonexistent".into(), database_url: None },
        file: "fuzz.csv".into(),
        format: None,
        lon_col: "lon".into(),
        lat_col: "lat".into(),
        time_col: "occurred_at".into(),
        category_col: "category".into(),
        subcategory_col: "subcategory".into(),
        id_col: "external_id".into(),
        address_col: "address".into(),
        summary_col: "summary".into(),
        source: "import".into(),
        crs: "wgs84".into(),
        skip_invalid: true,
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
