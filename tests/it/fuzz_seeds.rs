//! The fuzz targets' seed inputs (fuzz/seeds/), replayed as ordinary tests: each parses as the
//! valid input it is, so the fuzzers start from real shapes.

use std::path::PathBuf;

fn seed(target: &str, file: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    std::fs::read(root.join("fuzz/seeds").join(target).join(file)).unwrap()
}

#[test]
fn seeds_are_valid_inputs() {
    let now = tests::test_now();
    let feature: serde_json::Value = serde_json::from_slice(&seed("intake", "feature.json")).unwrap();
    let n = server::intake::incident_from_feature(&feature, now, model::Source::Call110).unwrap();
    assert_eq!(n.category, model::Category::CRIMINAL);

    let q = String::from_utf8(seed("query", "full.txt")).unwrap();
    let mut p = server::api::params::Params::parse(Some(&q));
    let query = p.incident_query(true).unwrap();
    assert_eq!(query.categories.len(), 2);
    assert_eq!(p.limit().unwrap(), 100);
    assert_eq!(p.cursor().unwrap(), Some((1_700_000_000, 42)));
    p.finish().unwrap();

    let csv = seed("csv_import", "rows.csv");
    let args = server::config::ImportArgs::with_defaults("/nonexistent".as_ref(), "seed.csv".as_ref()).unwrap();
    let rows = server::cli::csv_rows(&csv[..], csv.len() as u64, &args).unwrap();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3]);
    assert!(rows.iter().all(|r| r.1.is_ok()));

    let t = String::from_utf8(seed("timestamp", "philly.txt")).unwrap();
    assert!(model::time::parse_timestamp(&t).is_ok());
    let p = store::gpkg::blob::decode_point(&seed("geopackage_blob", "point.bin")).unwrap();
    assert_eq!((p.x(), p.y()), (102.64, 37.93));
}
