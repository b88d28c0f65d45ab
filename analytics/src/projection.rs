//! Transverse Mercator (UTM) on the WGS84 ellipsoid, by Krüger's series to third order in n
//! (Karney 2011): millimetre accuracy within a few degrees of the central meridian.
//!
//! Distance work in SafeGrid projects lon/lat to metres first; for Wuwei that is UTM zone 48N.

/// WGS84 semi-major axis, metres.
const A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// UTM scale on the central meridian.
const K0: f64 = 0.9996;
/// UTM false easting, metres.
const FALSE_EASTING_M: f64 = 500_000.0;
/// UTM false northing in the southern hemisphere, metres.
const FALSE_NORTHING_SOUTH_M: f64 = 10_000_000.0;

/// A transverse Mercator projection between WGS84 lon/lat degrees and easting/northing metres.
///
/// ```
/// use analytics::TransverseMercator;
/// let utm48n = TransverseMercator::utm(48, true);
/// let (x_m, y_m) = utm48n.forward(102.64, 37.93);
/// let (lon, lat) = utm48n.inverse(x_m, y_m);
/// assert!((lon - 102.64).abs() < 1e-8 && (lat - 37.93).abs() < 1e-8); // about 1 mm
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMercator {
    central_meridian_deg: f64,
    false_easting_m: f64,
    false_northing_m: f64,
    k0: f64,
}

struct Series {
    a_rect: f64,
    alpha: [f64; 3],
    beta: [f64; 3],
    delta: [f64; 3],
    e: f64,
}

fn series() -> Series {
    let n = F / (2.0 - F);
    let (n2, n3) = (n * n, n * n * n);
    Series {
        a_rect: A_M / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0),
        alpha: [n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0, 13.0 * n2 / 48.0 - 3.0 * n3 / 5.0, 61.0 * n3 / 240.0],
        beta: [n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0, n2 / 48.0 + n3 / 15.0, 17.0 * n3 / 480.0],
        delta: [2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3, 7.0 * n2 / 3.0 - 8.0 * n3 / 5.0, 56.0 * n3 / 15.0],
        e: (F * (2.0 - F)).sqrt(),
    }
}

impl TransverseMercator {
    /// UTM zone `zone` (1–60), northern or southern hemisphere.
    pub fn utm(zone: u8, north: bool) -> TransverseMercator {
        TransverseMercator {
            central_meridian_deg: -183.0 + 6.0 * f64::from(zone),
            false_easting_m: FALSE_EASTING_M,
            false_northing_m: if north { 0.0 } else { FALSE_NORTHING_SOUTH_M },
            k0: K0,
        }
    }

    /// A Gauss–Krüger zone of the Chinese national grids (CGCS2000 3° and 6° zones): scale 1 on
    /// `central_meridian_deg`, `false_easting_m` (500 000 m, plus the zone number × 10⁶ where the
    /// zone is prefixed). The CGCS2000 ellipsoid differs from WGS84's by 0.1 mm in its minor axis.
    ///
    /// ```
    /// use analytics::TransverseMercator;
    /// let cm102 = TransverseMercator::gauss_kruger(102.0, 500_000.0);
    /// let (x_m, _) = cm102.forward(102.0, 37.9);
    /// assert!((x_m - 500_000.0).abs() < 1e-6);
    /// ```
    pub fn gauss_kruger(central_meridian_deg: f64, false_easting_m: f64) -> TransverseMercator {
        TransverseMercator { central_meridian_deg, false_easting_m, false_northing_m: 0.0, k0: 1.0 }
    }

    /// The UTM zone whose strip contains `lon_deg` and `lat_deg`'s hemisphere (no Norway exceptions).
    pub fn utm_for(lon_deg: f64, lat_deg: f64) -> TransverseMercator {
        Self::utm(utm_zone(lon_deg), lat_deg >= 0.0)
    }

    /// Central meridian, degrees east.
    pub fn central_meridian_deg(&self) -> f64 {
        self.central_meridian_deg
    }

    /// Projects WGS84 degrees to (easting, northing) metres.
    pub fn forward(&self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        let s = series();
        let phi = lat_deg.to_radians();
        let lam = (lon_deg - self.central_meridian_deg).to_radians();
        let t = (phi.sin().atanh() - s.e * (s.e * phi.sin()).atanh()).sinh();
        let xi_p = t.atan2(lam.cos());
        let eta_p = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
        let (mut xi, mut eta) = (xi_p, eta_p);
        for (j, a) in s.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
            eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
        }
        (self.false_easting_m + self.k0 * s.a_rect * eta, self.false_northing_m + self.k0 * s.a_rect * xi)
    }

    /// Inverse of [`Self::forward`]: (easting, northing) metres to WGS84 (lon, lat) degrees.
    pub fn inverse(&self, x_m: f64, y_m: f64) -> (f64, f64) {
        let s = series();
        let xi = (y_m - self.false_northing_m) / (self.k0 * s.a_rect);
        let eta = (x_m - self.false_easting_m) / (self.k0 * s.a_rect);
        let (mut xi_p, mut eta_p) = (xi, eta);
        for (j, b) in s.beta.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi_p -= b * (k * xi).sin() * (k * eta).cosh();
            eta_p -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let chi = (xi_p.sin() / eta_p.cosh()).asin();
        let mut phi = chi;
        for (j, d) in s.delta.iter().enumerate() {
            phi += d * (2.0 * (j as f64 + 1.0) * chi).sin();
        }
        let lam = eta_p.sinh().atan2(xi_p.cos());
        (self.central_meridian_deg + lam.to_degrees(), phi.to_degrees())
    }
}

/// A plane tangent to the WGS84 ellipsoid at an origin: metres east and north of it, scaled by
/// the ellipsoid's radii of curvature there. Within a few kilometres of the origin distances are
/// true to about 0.01% (no UTM scale error); it costs two multiplications a point, which is what
/// the per-report alert rules need (UTM's series cost a dozen transcendental functions).
///
/// ```
/// use analytics::projection::LocalPlane;
/// let plane = LocalPlane::at(102.64, 37.93);
/// let d_m = plane.distance_m(102.64, 37.93, 102.6437, 37.9321);
/// assert!((d_m - 400.1758).abs() < 0.05); // GeographicLib: 400.1758 m
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalPlane {
    lon0_deg: f64,
    lat0_deg: f64,
    east_m_per_deg: f64,
    north_m_per_deg: f64,
}

impl LocalPlane {
    /// The plane touching the ellipsoid at (`lon_deg`, `lat_deg`).
    pub fn at(lon_deg: f64, lat_deg: f64) -> LocalPlane {
        let e2 = F * (2.0 - F);
        let (sin, cos) = lat_deg.to_radians().sin_cos();
        let w2 = 1.0 - e2 * sin * sin;
        // Prime vertical (east) and meridian (north) radii of curvature.
        let n_m = A_M / w2.sqrt();
        let m_m = A_M * (1.0 - e2) / (w2 * w2.sqrt());
        let per_deg = std::f64::consts::PI / 180.0;
        LocalPlane {
            lon0_deg: lon_deg,
            lat0_deg: lat_deg,
            east_m_per_deg: n_m * cos * per_deg,
            north_m_per_deg: m_m * per_deg,
        }
    }

    /// Metres east and north of the origin.
    pub fn forward(&self, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
        ((lon_deg - self.lon0_deg) * self.east_m_per_deg, (lat_deg - self.lat0_deg) * self.north_m_per_deg)
    }

    /// Distance in metres between two points near the origin.
    pub fn distance_m(&self, lon_a: f64, lat_a: f64, lon_b: f64, lat_b: f64) -> f64 {
        let (xa, ya) = self.forward(lon_a, lat_a);
        let (xb, yb) = self.forward(lon_b, lat_b);
        (xb - xa).hypot(yb - ya)
    }

    /// Half-widths in degrees (longitude, latitude) of the box `radius_m` around the origin.
    pub fn degrees_around(&self, radius_m: f64) -> (f64, f64) {
        (radius_m / self.east_m_per_deg, radius_m / self.north_m_per_deg)
    }
}

/// UTM zone number (1–60) of a longitude.
pub fn utm_zone(lon_deg: f64) -> u8 {
    let z = ((lon_deg + 180.0) / 6.0).floor() as i64 + 1;
    z.clamp(1, 60) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from PROJ 9 (pyproj: Transformer EPSG:4326 -> EPSG:32648 / 32618 / 32631).
    const REFERENCE: &[(u8, f64, f64, f64, f64)] = &[
        (48, 102.64, 37.93, 292_587.038_339, 4_200_675.034_603),
        (48, 103.09, 38.62, 333_721.874_833, 4_276_339.151_367),
        (48, 101.6, 37.2, 198_227.521_418, 4_122_476.474_117),
        (18, -75.15, 40.03, 487_201.647_570, 4_431_097.709_300),
        (31, 0.44, 51.64, 322_861.854_697, 5_724_103.166_259),
    ];

    #[test]
    fn matches_proj_to_the_millimetre() {
        for &(zone, lon, lat, x, y) in REFERENCE {
            let tm = TransverseMercator::utm(zone, true);
            let (px, py) = tm.forward(lon, lat);
            assert!((px - x).abs() < 1e-3 && (py - y).abs() < 1e-3, "{lon},{lat}: {px},{py} vs {x},{y}");
        }
    }

    #[test]
    fn inverse_round_trips_across_the_zone() {
        // Third-order series: round trips within 1e-8° (about 1 mm) over Wuwei.
        let tm = TransverseMercator::utm(48, true);
        for i in 0..50 {
            let lon = 101.0 + f64::from(i) * 0.08;
            let lat = 36.5 + f64::from(i) * 0.05;
            let (x, y) = tm.forward(lon, lat);
            let (l2, p2) = tm.inverse(x, y);
            assert!((l2 - lon).abs() < 1e-8 && (p2 - lat).abs() < 1e-8, "{lon},{lat}: {}, {}", l2 - lon, p2 - lat);
        }
    }

    #[test]
    fn local_plane_distances_match_geographiclib() {
        // GeographicLib 2.0 (Geodesic.WGS84.Inverse), metres.
        let reference = [
            ((102.64, 37.93), (102.6437, 37.9321), 400.1758),
            ((103.09, 38.62), (103.0878, 38.6165), 433.2024),
            ((101.6, 37.2), (101.6, 37.2036), 399.5331),
            ((102.64, 37.93), (102.6445, 37.93), 395.6215),
        ];
        for ((lon_a, lat_a), (lon_b, lat_b), s_m) in reference {
            let d_m = LocalPlane::at(lon_a, lat_a).distance_m(lon_a, lat_a, lon_b, lat_b);
            assert!((d_m - s_m).abs() < 0.05, "{lon_a},{lat_a} → {lon_b},{lat_b}: {d_m} vs {s_m}");
        }
        // The box around a point holds exactly the points at its radius east and north.
        let plane = LocalPlane::at(102.64, 37.93);
        let (dlon, dlat) = plane.degrees_around(400.0);
        assert!((plane.distance_m(102.64, 37.93, 102.64 + dlon, 37.93) - 400.0).abs() < 1e-6);
        assert!((plane.distance_m(102.64, 37.93, 102.64, 37.93 + dlat) - 400.0).abs() < 1e-6);
    }

    #[test]
    fn zones() {
        assert_eq!(utm_zone(102.6), 48);
        assert_eq!(utm_zone(-75.2), 18);
        assert_eq!(utm_zone(0.44), 31);
        assert_eq!(utm_zone(-0.5), 30);
        assert_eq!(TransverseMercator::utm(48, true).central_meridian_deg(), 105.0);
    }
}
