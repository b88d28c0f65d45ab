//! World layers as zipped Shapefiles (`cells.zip` holding `cells.shp`, `.dbf`, `.prj`, `.cpg`):
//! Point and Polygon shapes (Z and M values ignored), dBASE attributes in the encoding the `.cpg`
//! or the file's language driver names (GBK, as Chinese desktop GIS writes, or UTF-8), and the
//! coordinate system of the `.prj` (WGS84, CGCS2000, or a CGCS2000 Gauss–Krüger zone).

use super::fields::{Row, Shape, Value, layer_of, match_columns, push};
use super::transform::{SourceCrs, choose};
use super::{WorldFileError, WorldRead};
use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use world::Layer;

/// The files of one Shapefile, by extension (lower case).
type Parts = HashMap<String, Vec<u8>>;

pub(super) fn read_zip(path: &Path, crs: Option<analytics::crs::Crs>) -> Result<WorldRead, WorldFileError> {
    let open = |message: String| WorldFileError::Open { path: path.to_path_buf(), message };
    let file = std::fs::File::open(path).map_err(|e| open(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| open(format!("not a zip file: {e}")))?;
    let mut sets: BTreeMap<String, Parts> = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| open(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().rsplit('/').next().unwrap_or_default().to_owned();
        let Some((stem, ext)) = name.rsplit_once('.') else { continue };
        let ext = ext.to_ascii_lowercase();
        if !["shp", "dbf", "prj", "cpg"].contains(&ext.as_str()) {
            continue;
        }
        // A layer file is never larger than this; a zip bomb stops here.
        const MAX_PART_BYTES: u64 = 512 * 1024 * 1024;
        if entry.size() > MAX_PART_BYTES {
            return Err(open(format!("{name} is larger than {} MiB", MAX_PART_BYTES >> 20)));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.by_ref().take(MAX_PART_BYTES + 1).read_to_end(&mut bytes).map_err(|e| open(format!("{name}: {e}")))?;
        sets.entry(stem.to_owned()).or_default().insert(ext, bytes);
    }
    let zip_stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let shapefiles: Vec<(String, Parts)> = sets.into_iter().filter(|(_, p)| p.contains_key("shp")).collect();
    let single = shapefiles.len() == 1;
    // Named after its layer; a zip of one Shapefile may instead be named after the layer.
    let mut layers: Vec<(Layer, Parts)> = shapefiles
        .into_iter()
        .filter_map(|(stem, parts)| {
            let layer = layer_of(&stem).or_else(|| if single { layer_of(&zip_stem) } else { None })?;
            Some((layer, parts))
        })
        .collect();
    layers.sort_by_key(|(layer, _)| *layer);
    let mut out = WorldRead::default();
    for (layer, parts) in layers {
        read_layer(path, layer, &parts, crs, &mut out)?;
    }
    Ok(out)
}

fn read_layer(
    path: &Path,
    layer: Layer,
    parts: &Parts,
    crs: Option<analytics::crs::Crs>,
    out: &mut WorldRead,
) -> Result<(), WorldFileError> {
    let name = layer.as_str();
    let bad =
        |row: u64, field: &'static str, message: String| WorldFileError::Field { layer: name, row, field, message };
    let in_file = parts.get("prj").map(|p| crs_of_prj(&String::from_utf8_lossy(p)));
    let (transform, note) = choose(name, in_file, crs, false)?;
    out.notes.push(note);
    let shapes = shapes(&parts["shp"]).map_err(|m| bad(0, "geom", m))?;
    let Some(dbf) = parts.get("dbf") else {
        return Err(WorldFileError::Open {
            path: path.to_path_buf(),
            message: format!("{name}: the Shapefile has no .dbf (its attributes)"),
        });
    };
    let encoding = encoding_of(parts.get("cpg").map(|c| String::from_utf8_lossy(c).into_owned()), dbf);
    let table = dbase(dbf, encoding).map_err(|m| bad(0, "dbf", m))?;
    let fields = match_columns(layer, &table.names);
    for (k, record) in table.records.iter().enumerate() {
        let number = k as u64 + 1;
        let mut row = Row { layer, number, values: HashMap::new() };
        for (value, field) in record.iter().zip(&fields) {
            if let Some(f) = field {
                row.values.insert(f, value.clone());
            }
        }
        let shape = match shapes.get(k) {
            Some(Shape::Area(a)) => Shape::Area(transform.geometry(a)),
            Some(Shape::Point(p)) => Shape::Point(transform.geometry(p)),
            _ => Shape::None,
        };
        push(&mut out.world, &row, shape)?;
    }
    out.layers.push(layer);
    Ok(())
}

/// The coordinate system a `.prj`'s WKT names.
fn crs_of_prj(wkt: &str) -> Result<SourceCrs, String> {
    let w = wkt.to_ascii_lowercase();
    let number = |param: &str| -> Option<f64> {
        let at = w.find(&format!("parameter[\"{param}\""))?;
        let rest = &w[at..];
        rest.split(',').nth(1)?.trim_end_matches([']', ' ']).trim().parse().ok()
    };
    let cgcs2000 = w.contains("2000");
    if w.starts_with("projcs") {
        let transverse = w.contains("transverse_mercator") || w.contains("gauss_kruger");
        match (cgcs2000, transverse, number("central_meridian"), number("false_easting")) {
            (true, true, Some(cm), Some(fe)) if number("scale_factor").is_none_or(|k| (k - 1.0).abs() < 1e-9) => {
                Ok(SourceCrs::gauss_kruger(cm, fe))
            }
            _ => Err(format!("the projected system of its .prj ({})", wkt.chars().take(60).collect::<String>())),
        }
    } else if cgcs2000 {
        Ok(SourceCrs::Geographic(analytics::crs::Crs::Cgcs2000))
    } else if w.contains("wgs_1984") || w.contains("wgs 84") || w.contains("wgs84") {
        Ok(SourceCrs::Geographic(analytics::crs::Crs::Wgs84))
    } else {
        // Beijing 1954 and Xi'an 1980 need a datum shift SafeGrid does not guess.
        Err(format!("the system of its .prj ({})", wkt.chars().take(60).collect::<String>()))
    }
}

/// The text encoding of a `.dbf`: its `.cpg`, else its language driver (0x4D: GBK), else UTF-8
/// when every text byte is valid UTF-8, else GBK (what Chinese desktop GIS writes).
fn encoding_of(cpg: Option<String>, dbf: &[u8]) -> &'static encoding_rs::Encoding {
    if let Some(label) = cpg {
        let label = label.trim();
        let label = match label {
            "936" | "CP936" | "cp936" => "gbk",
            "65001" => "utf-8",
            other => other,
        };
        if let Some(e) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            return e;
        }
    }
    if dbf.get(29) == Some(&0x4D) {
        return encoding_rs::GBK;
    }
    if std::str::from_utf8(dbf).is_ok() { encoding_rs::UTF_8 } else { encoding_rs::GBK }
}

struct Table {
    names: Vec<String>,
    records: Vec<Vec<Value>>,
}

fn le_u16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn le_u32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// A dBASE III/IV table: field names and every live record's values.
fn dbase(b: &[u8], encoding: &'static encoding_rs::Encoding) -> Result<Table, String> {
    let short = || "the .dbf is shorter than its header says".to_owned();
    let (count, header_len, record_len) =
        (le_u32(b, 4).ok_or_else(short)?, le_u16(b, 8).ok_or_else(short)?, le_u16(b, 10).ok_or_else(short)?);
    let text = |bytes: &[u8]| encoding.decode_without_bom_handling(bytes).0.trim().to_owned();
    let mut fields: Vec<(String, u8, usize)> = Vec::new();
    let mut at = 32;
    while at + 32 <= header_len.min(b.len()) && b[at] != 0x0D {
        let d = &b[at..at + 32];
        let name_end = d[..11].iter().position(|&c| c == 0).unwrap_or(11);
        fields.push((text(&d[..name_end]), d[11], d[16] as usize));
        at += 32;
    }
    if fields.iter().map(|f| f.2).sum::<usize>() + 1 != record_len {
        return Err(format!("the .dbf's field widths do not add up to its record length {record_len}"));
    }
    let mut records = Vec::with_capacity(count.min(1_000_000));
    for k in 0..count {
        let start = header_len + k * record_len;
        let r = b.get(start..start + record_len).ok_or_else(short)?;
        if r[0] == b'*' {
            continue; // deleted
        }
        let mut pos = 1;
        let mut values = Vec::with_capacity(fields.len());
        for (_, kind, width) in &fields {
            let raw = &r[pos..pos + width];
            pos += width;
            let s = text(raw);
            values.push(match kind {
                _ if s.is_empty() => Value::Null,
                // GDAL and ArcGIS write a missing number as asterisks.
                b'N' | b'F' if s.bytes().all(|c| c == b'*') => Value::Null,
                b'N' | b'F' => match (s.parse::<i64>(), s.parse::<f64>()) {
                    (Ok(i), _) => Value::Integer(i),
                    (_, Ok(x)) => Value::Real(x),
                    _ => Value::Text(s),
                },
                b'L' => match s.as_str() {
                    "T" | "t" | "Y" | "y" => Value::Integer(1),
                    "F" | "f" | "N" | "n" => Value::Integer(0),
                    _ => Value::Null,
                },
                _ => Value::Text(s),
            });
        }
        records.push(values);
    }
    Ok(Table { names: fields.into_iter().map(|f| f.0).collect(), records })
}

/// The shapes of a `.shp`, in record order: points, polygons (rings grouped into shells and
/// their holes), or none.
fn shapes(b: &[u8]) -> Result<Vec<Shape>, String> {
    if b.len() < 100 || b[..4] != [0, 0, 0x27, 0x0a] {
        return Err("the .shp is not a Shapefile".into());
    }
    let f64_at = |at: usize| -> Option<f64> { Some(f64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?)) };
    let i32_at = |at: usize| -> Option<i32> { Some(i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)) };
    let short = || "the .shp is cut short".to_owned();
    let mut out = Vec::new();
    let mut at = 100;
    while at + 8 <= b.len() {
        let words = u32::from_be_bytes(b[at + 4..at + 8].try_into().map_err(|_| short())?) as usize;
        let content = at + 8;
        let end = content + words * 2;
        if end > b.len() {
            return Err(short());
        }
        let kind = i32_at(content).ok_or_else(short)?;
        out.push(match kind {
            0 => Shape::None,
            1 | 11 | 21 => Shape::Point(Point::new(
                f64_at(content + 4).ok_or_else(short)?,
                f64_at(content + 12).ok_or_else(short)?,
            )),
            8 | 18 | 28 => {
                // A multipoint of one point is a point; more are refused.
                let n = i32_at(content + 36).ok_or_else(short)?;
                if n != 1 {
                    return Err(format!("a multipoint of {n} points where one point is expected"));
                }
                Shape::Point(Point::new(
                    f64_at(content + 40).ok_or_else(short)?,
                    f64_at(content + 48).ok_or_else(short)?,
                ))
            }
            5 | 15 | 25 => {
                let (n_parts, n_points) = (
                    i32_at(content + 36).ok_or_else(short)?.max(0) as usize,
                    i32_at(content + 40).ok_or_else(short)?.max(0) as usize,
                );
                let starts: Vec<usize> = (0..n_parts)
                    .map(|k| i32_at(content + 44 + 4 * k).map(|v| v.max(0) as usize).ok_or_else(short))
                    .collect::<Result<_, _>>()?;
                let points_at = content + 44 + 4 * n_parts;
                let coord = |k: usize| -> Result<Coord<f64>, String> {
                    Ok(Coord {
                        x: f64_at(points_at + 16 * k).ok_or_else(short)?,
                        y: f64_at(points_at + 16 * k + 8).ok_or_else(short)?,
                    })
                };
                let mut rings = Vec::with_capacity(n_parts);
                for (k, &s) in starts.iter().enumerate() {
                    let e = starts.get(k + 1).copied().unwrap_or(n_points).min(n_points);
                    rings.push(LineString::new((s..e).map(coord).collect::<Result<_, _>>()?));
                }
                Shape::Area(polygons(rings))
            }
            other => return Err(format!("shape type {other} is not a point or a polygon")),
        });
        at = end;
    }
    Ok(out)
}

/// Shells (clockwise in a Shapefile) and holes (counter-clockwise), each hole inside the shell
/// that contains it; a ring wound the wrong way with no shell around it is a shell.
fn polygons(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    use geo::orient::{Direction, Orient};
    let signed =
        |r: &LineString<f64>| -> f64 { r.0.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum::<f64>() / 2.0 };
    let (mut shells, mut holes) = (Vec::new(), Vec::new());
    for r in rings {
        if signed(&r) <= 0.0 { shells.push((r, Vec::new())) } else { holes.push(r) }
    }
    for h in holes {
        let first = h.0.first().copied().map(Point::from);
        match first.and_then(|p| shells.iter().position(|(s, _)| Polygon::new(s.clone(), vec![]).contains(&p))) {
            Some(i) => shells[i].1.push(h),
            None => shells.push((h, Vec::new())),
        }
    }
    MultiPolygon::new(shells.into_iter().map(|(s, hs)| Polygon::new(s, hs)).collect()).orient(Direction::Default)
}
