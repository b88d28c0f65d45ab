//! GeoPackage geometry blobs read from the store file: decoding never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = store::gpkg::blob::decode_point(data);
    let _ = store::gpkg::blob::decode_multipolygon(data);
});
