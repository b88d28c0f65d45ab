//! Chinese coordinate systems at the edge: GCJ-02 (火星坐标, WeChat/AMap), BD-09 (Baidu) and
//! CGCS2000 (EPSG:4490; equal to WGS84 within centimetres, so passed through). SafeGrid stores
//! WGS84 only; these conversions run where data enters or leaves.
//!
//! GCJ-02 is an obfuscation published only as code: this is the widely reproduced algorithm
//! (Krasovsky-based offset polynomial). Its exact inverse is found by fixed-point iteration.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid that GCJ-02 uses, metres.
const KRASOVSKY_A_M: f64 = 6_378_245.0;
/// Krasovsky 1940 first eccentricity squared.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
/// BD-09's angular scale.
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// A coordinate reference system that positions may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS84 (EPSG:4326), SafeGrid's own.
    Wgs84,
    /// CGCS2000 geographic (EPSG:4490), the national datum; treated as WGS84.
    Cgcs2000,
    /// GCJ-02, the offset system of Chinese web maps.
    Gcj02,
    /// BD-09, Baidu's further offset of GCJ-02.
    Bd09,
}

impl Crs {
    /// Every system, in API order.
    pub const ALL: [Crs; 4] = [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09];

    /// API name: `wgs84`, `cgcs2000`, `gcj02`, `bd09`.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Cgcs2000 => "cgcs2000",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Parses an API name (case-insensitive).
    pub fn parse(s: &str) -> Option<Crs> {
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Converts (lon, lat) in this system to WGS84 degrees.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => {
                let (glon, glat) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(glon, glat)
            }
        }
    }
}

/// Whether GCJ-02 applies at all: outside mainland China's rough box the offset is zero.
pub fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (degrees).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let d_lat = offset_lat(lon - 105.0, lat - 35.0);
    let d_lon = offset_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat = d_lat * 180.0 / ((KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon * 180.0 / (KRASOVSKY_A_M / sqrt_magic * rad_lat.cos() * PI);
    (lon + d_lon, lat + d_lat)
}

/// GCJ-02 → WGS84 (degrees), exact to 1e-10° by fixed-point iteration on [`wgs84_to_gcj02`].
///
/// ```
/// use analytics::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let (glon, glat) = wgs84_to_gcj02(102.64, 37.93);
/// let (lon, lat) = gcj02_to_wgs84(glon, glat);
/// assert!((lon - 102.64).abs() < 1e-9 && (lat - 37.93).abs() < 1e-9);
/// ```
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if outside_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (dlon, dlat) = (glon - lon, glat - lat);
        wlon -= dlon;
        wlat -= dlat;
        if dlon.abs() < 1e-11 && dlat.abs() < 1e-11 {
            break;
        }
    }
    (wlon, wlat)
}

/// BD-09 → GCJ-02 (degrees).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.000_02 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * BD_X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// GCJ-02 → BD-09 (degrees).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.000_02 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * BD_X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference numbers from the PyPI package `eviltransform` (googollee/eviltransform) with its
    // `earthR` set to the Krasovsky axis 6378245 m of the published GCJ-02 code (its own default,
    // 6378137 m, moves results by about 1 cm). (lat, lon) order there; (lon, lat) here.
    #[test]
    fn wgs84_to_gcj02_matches_reference() {
        let cases = [
            ((116.404, 39.915), (116.410_244_499_169_38, 39.916_404_281_501_64)),
            ((102.64, 37.93), (102.641_721_385_776_01, 37.930_288_583_679_63)),
        ];
        for ((lon, lat), (glon, glat)) in cases {
            let (x, y) = wgs84_to_gcj02(lon, lat);
            assert!((x - glon).abs() < 1e-12 && (y - glat).abs() < 1e-12, "{x},{y}");
        }
    }

    #[test]
    fn gcj02_inverse_matches_reference() {
        // eviltransform.gcj2wgs_exact(37.93, 102.64), a bisection that stops within 1e-6°.
        let (lon, lat) = gcj02_to_wgs84(102.64, 37.93);
        assert!((lon - 102.638_282_470_703_1).abs() < 1e-6, "{lon}");
        assert!((lat - 37.929_713_134_765_62).abs() < 1e-6, "{lat}");
    }

    #[test]
    fn bd09_matches_reference() {
        let (x, y) = gcj02_to_bd09(116.404, 39.915);
        assert!((x - 116.410_369_493_710_28).abs() < 1e-12 && (y - 39.921_336_993_510_2).abs() < 1e-12);
        let (x, y) = bd09_to_gcj02(116.404, 39.915);
        assert!((x - 116.397_627_291_193_15).abs() < 1e-12 && (y - 39.908_656_739_576_31).abs() < 1e-12);
    }

    #[test]
    fn round_trips_over_wuwei() {
        for i in 0..40 {
            let lon = 101.5 + f64::from(i) * 0.06;
            let lat = 36.6 + f64::from(i) * 0.06;
            let (g0, g1) = wgs84_to_gcj02(lon, lat);
            let (w0, w1) = gcj02_to_wgs84(g0, g1);
            assert!((w0 - lon).abs() < 1e-10 && (w1 - lat).abs() < 1e-10);
            let (b0, b1) = gcj02_to_bd09(g0, g1);
            let (w0, w1) = Crs::Bd09.to_wgs84(b0, b1);
            assert!((w0 - lon).abs() < 1e-6 && (w1 - lat).abs() < 1e-6);
        }
    }

    #[test]
    fn outside_china_is_untouched() {
        assert_eq!(wgs84_to_gcj02(-75.15, 40.03), (-75.15, 40.03));
        assert_eq!(Crs::Cgcs2000.to_wgs84(102.0, 37.0), (102.0, 37.0));
        assert_eq!(Crs::parse("GCJ02"), Some(Crs::Gcj02));
    }
}
