//! From the coordinates a file holds to WGS84: geographic systems (WGS84, CGCS2000, GCJ-02,
//! BD-09) and the CGCS2000 Gauss–Krüger zones that surveying bureaus deliver (EPSG:4491–4554).

use analytics::TransverseMercator;
use analytics::crs::Crs;

/// The system a layer's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SourceCrs {
    /// Longitude and latitude.
    Geographic(Crs),
    /// Easting and northing of a CGCS2000 Gauss–Krüger zone.
    GaussKruger {
        /// Its EPSG code.
        epsg: u32,
        /// Central meridian, degrees east.
        central_meridian_deg: f64,
        /// False easting, metres.
        false_easting_m: f64,
    },
}

impl SourceCrs {
    /// The system of an EPSG code, if SafeGrid reads it.
    ///
    /// ```
    /// use store::world_file::SourceCrs;
    /// assert!(matches!(SourceCrs::of_epsg(4543), Some(SourceCrs::GaussKruger { central_meridian_deg: 102.0, .. })));
    /// assert!(matches!(SourceCrs::of_epsg(4522), Some(SourceCrs::GaussKruger { false_easting_m: 34_500_000.0, .. })));
    /// ```
    pub fn of_epsg(epsg: i64) -> Option<SourceCrs> {
        let gk = |cm: i64, fe: f64| SourceCrs::GaussKruger {
            epsg: epsg as u32,
            central_meridian_deg: cm as f64,
            false_easting_m: fe,
        };
        match epsg {
            4326 => Some(SourceCrs::Geographic(Crs::Wgs84)),
            4490 => Some(SourceCrs::Geographic(Crs::Cgcs2000)),
            // 6° zones 13–23 with the zone number in the easting, then the same by central meridian.
            4491..=4501 => {
                let zone = epsg - 4478;
                Some(gk(zone * 6 - 3, zone as f64 * 1e6 + 500_000.0))
            }
            4502..=4512 => Some(gk(75 + (epsg - 4502) * 6, 500_000.0)),
            // 3° zones 25–45 with the zone number in the easting, then the same by central meridian.
            4513..=4533 => {
                let zone = epsg - 4488;
                Some(gk(zone * 3, zone as f64 * 1e6 + 500_000.0))
            }
            4534..=4554 => Some(gk(75 + (epsg - 4534) * 3, 500_000.0)),
            _ => None,
        }
    }

    /// The CGCS2000 Gauss–Krüger zone with `central_meridian_deg` and `false_easting_m` (as a
    /// `.prj` states them), with its EPSG code when it is one of EPSG:4491–4554 (else 0).
    ///
    /// ```
    /// use store::world_file::SourceCrs;
    /// assert_eq!(SourceCrs::gauss_kruger(102.0, 500_000.0), SourceCrs::of_epsg(4543).unwrap());
    /// assert_eq!(SourceCrs::gauss_kruger(102.0, 34_500_000.0), SourceCrs::of_epsg(4522).unwrap());
    /// ```
    pub fn gauss_kruger(central_meridian_deg: f64, false_easting_m: f64) -> SourceCrs {
        let epsg = (4491..=4554)
            .find(|&e| {
                matches!(SourceCrs::of_epsg(e), Some(SourceCrs::GaussKruger { central_meridian_deg: cm, false_easting_m: fe, .. })
                    if cm == central_meridian_deg && fe == false_easting_m)
            })
            .unwrap_or(0) as u32;
        SourceCrs::GaussKruger { epsg, central_meridian_deg, false_easting_m }
    }

    /// The system in words (`EPSG:4490`, `GCJ-02`, …).
    pub fn describe(self) -> String {
        match self {
            SourceCrs::Geographic(Crs::Wgs84) => "WGS84 (EPSG:4326)".into(),
            SourceCrs::Geographic(Crs::Cgcs2000) => "CGCS2000 (EPSG:4490)".into(),
            SourceCrs::Geographic(Crs::Gcj02) => "GCJ-02".into(),
            SourceCrs::Geographic(Crs::Bd09) => "BD-09".into(),
            SourceCrs::GaussKruger { epsg, central_meridian_deg, .. } => {
                format!("CGCS2000 Gauss-Krüger, central meridian {central_meridian_deg}°E (EPSG:{epsg})")
            }
        }
    }
}

/// Converts one layer's coordinates to WGS84.
#[derive(Debug, Clone, Copy)]
pub struct Transform {
    crs: SourceCrs,
    plane: Option<TransverseMercator>,
}

impl Transform {
    /// The conversion from `crs`.
    pub fn new(crs: SourceCrs) -> Transform {
        let plane = match crs {
            SourceCrs::GaussKruger { central_meridian_deg, false_easting_m, .. } => {
                Some(TransverseMercator::gauss_kruger(central_meridian_deg, false_easting_m))
            }
            SourceCrs::Geographic(_) => None,
        };
        Transform { crs, plane }
    }

    /// What the layer was read as.
    pub fn crs(&self) -> SourceCrs {
        self.crs
    }

    /// (x, y) of the file to WGS84 (lon, lat).
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        match (self.crs, self.plane) {
            (SourceCrs::Geographic(crs), _) => crs.to_wgs84(x, y),
            (_, Some(plane)) => plane.inverse(x, y),
            (_, None) => (x, y),
        }
    }

    /// The geometry in WGS84.
    pub fn geometry<G: geo::MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| {
            let (x, y) = self.apply(c.x, c.y);
            geo::Coord { x, y }
        })
    }
}

/// How a layer's coordinates are read: what the file says, overridden by `given` (with a note),
/// or `given` where the file says nothing, or WGS84 where the format defaults to it.
pub(super) fn choose(
    layer: &'static str,
    in_file: Option<Result<SourceCrs, String>>,
    given: Option<Crs>,
    default_wgs84: bool,
) -> Result<(Transform, String), super::WorldFileError> {
    let err = |message: String| super::WorldFileError::Crs { layer, message };
    let (crs, how) = match (in_file, given) {
        (Some(Ok(SourceCrs::GaussKruger { .. })), Some(g)) => {
            return Err(err(format!(
                "the file's coordinates are projected (metres), so --crs {} cannot apply; drop --crs",
                g.as_str()
            )));
        }
        (Some(Ok(file)), Some(g)) if file != SourceCrs::Geographic(g) => {
            (SourceCrs::Geographic(g), format!("--crs {} (the file says {})", g.as_str(), file.describe()))
        }
        (Some(Ok(file)), _) => (file, "from the file".to_owned()),
        (Some(Err(unknown)), None) => {
            return Err(err(format!(
                "{unknown} is not supported: reproject to EPSG:4490 or EPSG:4326, or a CGCS2000 Gauss-Krüger zone (EPSG:4491-4554)"
            )));
        }
        (Some(Err(unknown)), Some(g)) => {
            (SourceCrs::Geographic(g), format!("--crs {} (the file says {unknown})", g.as_str()))
        }
        (None, Some(g)) => (SourceCrs::Geographic(g), format!("--crs {}", g.as_str())),
        (None, None) if default_wgs84 => (SourceCrs::Geographic(Crs::Wgs84), "the GeoJSON default".to_owned()),
        (None, None) => {
            return Err(err(
                "the file does not say its coordinate system: give --crs wgs84|cgcs2000|gcj02|bd09".to_owned()
            ));
        }
    };
    Ok((Transform::new(crs), format!("{layer}: {} ({how})", crs.describe())))
}
