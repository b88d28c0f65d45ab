//! The fields of each layer, their Chinese aliases, and the records built from one row.

use super::WorldFileError;
use geo::{MultiPolygon, Point};
use std::collections::HashMap;
use world::{
    CellRecord, DepartmentRecord, GridWorkerRecord, Layer, MediatorRecord, OfficerRecord, RegionRecord, ResourceRecord,
    UnitRecord,
};

/// One field of a layer: its canonical name, whether a row must have it, and the other names
/// a file may give it (matched without regard to case; a Shapefile's names are cut to 10
/// characters, so those are listed too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The name SafeGrid writes.
    pub name: &'static str,
    /// Whether every row must have a value.
    pub required: bool,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
}

const fn f(name: &'static str, required: bool, aliases: &'static [&'static str]) -> Field {
    Field { name, required, aliases }
}

const REGIONS: &[Field] = &[
    f("code", true, &["编码", "代码", "区划代码", "行政区划代码", "xzqdm"]),
    f("name", true, &["名称", "区划名称", "xzqmc"]),
    f("level", false, &["级别", "层级"]),
    f("parent_code", false, &["上级编码", "上级代码", "parent", "parent_cod"]),
    f("population", false, &["人口", "常住人口", "户籍人口"]),
    f("households", false, &["户数"]),
    f("synthetic", false, &["合成"]),
];
const CELLS: &[Field] = &[
    f("code", true, &["编码", "网格编码", "代码"]),
    f("name", true, &["名称", "网格名称"]),
    f("village_code", false, &["村编码", "所属村", "社区编码", "所属村社区", "village_co"]),
    f("population", false, &["人口", "常住人口"]),
    f("households", false, &["户数"]),
    f("synthetic", false, &["合成"]),
];
const RESOURCES: &[Field] = &[
    f("id", true, &["编号"]),
    f("kind", true, &["类型", "类别"]),
    f("name", true, &["名称"]),
    f("region_code", true, &["区域编码", "所属区域", "所属村", "region_cod"]),
    f("subtype", false, &["子类", "子类型"]),
    f("heading_deg", false, &["朝向", "方向", "heading", "heading_de"]),
    f("fov_deg", false, &["视角", "视场角", "fov"]),
    f("range_m", false, &["范围", "可视距离", "range"]),
];
const OFFICERS: &[Field] = &[
    f("id", true, &["编号"]),
    f("name", true, &["姓名", "名称"]),
    f("badge", false, &["警号"]),
    f("station_id", true, &["派出所编号", "所属派出所"]),
    f("villages", false, &["包村", "负责村", "村"]),
];
const GRID_WORKERS: &[Field] = &[
    f("id", true, &["编号"]),
    f("name", true, &["姓名", "名称"]),
    f("cell_code", true, &["网格编码", "所属网格"]),
    f("phone", false, &["电话", "手机", "联系电话"]),
    f("leader", false, &["网格长"]),
];
const UNITS: &[Field] = &[
    f("id", true, &["编号"]),
    f("name", true, &["名称"]),
    f("type", false, &["类型", "unit_type", "巡逻方式"]),
    f("region_code", true, &["区域编码", "所属乡镇", "所属区域", "region_cod"]),
];

const DEPARTMENTS: &[Field] = &[
    f("code", true, &["编码", "部门编码", "代码"]),
    f("kind", true, &["类型", "部门类型"]),
    f("name_zh", true, &["名称", "部门名称", "name"]),
    f("name_en", false, &["英文名称"]),
    f("region_code", true, &["区域编码", "服务区域", "所属区域", "region_cod"]),
];

const MEDIATORS: &[Field] = &[
    f("id", true, &["编号"]),
    f("name", true, &["姓名", "名称"]),
    f("role", true, &["身份", "类型", "类别", "mediator_role", "mediator_r"]),
    f("village_code", true, &["村编码", "所属村", "所属村社区", "village_co"]),
    f("phone", false, &["电话", "手机", "联系电话"]),
];

/// The fields of `layer`.
pub fn fields(layer: Layer) -> &'static [Field] {
    match layer {
        Layer::Regions => REGIONS,
        Layer::Cells => CELLS,
        Layer::Resources => RESOURCES,
        Layer::Officers => OFFICERS,
        Layer::GridWorkers => GRID_WORKERS,
        Layer::Units => UNITS,
        Layer::Departments => DEPARTMENTS,
        Layer::Mediators => MEDIATORS,
    }
}

/// The layer a table or file is named after: its name (any case) or its Chinese name.
pub(super) fn layer_of(name: &str) -> Option<Layer> {
    let aliases = |layer: Layer| -> &'static [&'static str] {
        match layer {
            Layer::Regions => &["行政区划", "区划"],
            Layer::Cells => &["网格", "grid_cells"],
            Layer::Resources => &["防控资源", "资源"],
            Layer::Officers => &["驻村民警", "民警"],
            Layer::GridWorkers => &["网格员"],
            Layer::Units => &["巡逻组", "patrol_units"],
            Layer::Departments => &["部门", "职能部门"],
            Layer::Mediators => &["调解员", "调解员名册", "法治带头人"],
        }
    };
    let name = name.trim();
    Layer::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(name) || aliases(*l).contains(&name))
}

/// A value as a file holds it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Text(String),
    Integer(i64),
    Real(f64),
    List(Vec<String>),
}

/// One row of a layer: its values by canonical field name.
pub(super) struct Row {
    pub layer: Layer,
    pub number: u64,
    pub values: HashMap<&'static str, Value>,
}

/// Which column of a file feeds which field: `columns[k]` is the field of the file's k-th column.
pub(super) fn match_columns(layer: Layer, columns: &[String]) -> Vec<Option<&'static str>> {
    columns
        .iter()
        .map(|c| {
            let c = c.trim();
            fields(layer)
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(c) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(c)))
                .map(|f| f.name)
        })
        .collect()
}

impl Row {
    fn err(&self, field: &'static str, message: impl Into<String>) -> WorldFileError {
        WorldFileError::Field { layer: self.layer.as_str(), row: self.number, field, message: message.into() }
    }

    fn value(&self, field: &'static str) -> &Value {
        self.values.get(field).unwrap_or(&Value::Null)
    }

    fn required(&self, field: &'static str) -> Result<(), WorldFileError> {
        match self.value(field) {
            Value::Null => Err(self.err(field, "missing")),
            Value::Text(s) if s.trim().is_empty() => Err(self.err(field, "empty")),
            _ => Ok(()),
        }
    }

    fn text(&self, field: &'static str) -> Result<String, WorldFileError> {
        self.required(field)?;
        Ok(self.text_or_empty(field))
    }

    fn text_or_empty(&self, field: &'static str) -> String {
        match self.value(field) {
            Value::Null => String::new(),
            Value::Text(s) => s.trim().to_owned(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) if r.fract() == 0.0 && r.abs() < 1e15 => format!("{r:.0}"),
            Value::Real(r) => r.to_string(),
            Value::List(l) => l.join(","),
        }
    }

    fn optional_text(&self, field: &'static str) -> Option<String> {
        Some(self.text_or_empty(field)).filter(|s| !s.is_empty())
    }

    fn number(&self, field: &'static str) -> Result<Option<f64>, WorldFileError> {
        match self.value(field) {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i as f64)),
            Value::Real(r) => Ok(Some(*r)),
            Value::Text(s) if s.trim().is_empty() => Ok(None),
            Value::Text(s) => {
                s.trim().parse::<f64>().map(Some).map_err(|_| self.err(field, format!("{s:?} is not a number")))
            }
            Value::List(_) => Err(self.err(field, "a list is not a number")),
        }
    }

    fn count(&self, field: &'static str) -> Result<u64, WorldFileError> {
        match self.number(field)? {
            None => Ok(0),
            Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => Ok(v as u64),
            Some(v) => Err(self.err(field, format!("{v} is not a whole number of zero or more"))),
        }
    }

    fn id(&self, field: &'static str) -> Result<u64, WorldFileError> {
        self.required(field)?;
        match self.number(field)? {
            Some(v) if v >= 1.0 && v.fract() == 0.0 && v < 1e15 => Ok(v as u64),
            _ => Err(self.err(field, format!("{} is not a positive whole number", self.text_or_empty(field)))),
        }
    }

    fn flag(&self, field: &'static str) -> Result<bool, WorldFileError> {
        match self.value(field) {
            Value::Null => Ok(false),
            Value::Integer(i) => Ok(*i != 0),
            Value::Real(r) => Ok(*r != 0.0),
            Value::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "" | "0" | "false" | "no" | "n" | "否" => Ok(false),
                "1" | "true" | "yes" | "y" | "是" => Ok(true),
                other => Err(self.err(field, format!("{other:?} is not yes/no (是/否, true/false, 1/0)"))),
            },
            Value::List(_) => Err(self.err(field, "a list is not yes/no")),
        }
    }

    fn list(&self, field: &'static str) -> Vec<String> {
        match self.value(field) {
            Value::List(l) => l.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            _ => self
                .text_or_empty(field)
                .split([',', '，', '、', ';', '；', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    fn area(&self, shape: Option<MultiPolygon<f64>>) -> Result<MultiPolygon<f64>, WorldFileError> {
        // An empty geometry is kept: validation reports it with the feature's code.
        Ok(shape.unwrap_or_else(|| MultiPolygon::new(vec![])))
    }

    fn point(&self, point: Option<Point<f64>>) -> Result<Point<f64>, WorldFileError> {
        point.ok_or_else(|| self.err("geom", "a point is required"))
    }
}

/// A geometry as read (already in WGS84).
pub(super) enum Shape {
    None,
    Area(MultiPolygon<f64>),
    Point(Point<f64>),
}

impl Shape {
    fn area(self) -> Option<MultiPolygon<f64>> {
        match self {
            Shape::Area(a) => Some(a),
            _ => None,
        }
    }

    fn point(self) -> Option<Point<f64>> {
        match self {
            Shape::Point(p) => Some(p),
            _ => None,
        }
    }
}

/// Adds one row and its geometry to `world`'s layer.
pub(super) fn push(world: &mut world::WorldFile, row: &Row, shape: Shape) -> Result<(), WorldFileError> {
    for f in fields(row.layer).iter().filter(|f| f.required) {
        row.required(f.name)?;
    }
    match row.layer {
        Layer::Regions => world.regions.push(RegionRecord {
            code: row.text("code")?,
            name: row.text("name")?,
            level: row.text_or_empty("level"),
            parent_code: row.text_or_empty("parent_code"),
            population: row.count("population")?,
            households: row.count("households")?,
            synthetic: row.flag("synthetic")?,
            boundary: row.area(shape.area())?,
        }),
        Layer::Cells => world.cells.push(CellRecord {
            code: row.text("code")?,
            name: row.text("name")?,
            village_code: row.text_or_empty("village_code"),
            population: row.count("population")?,
            households: row.count("households")?,
            synthetic: row.flag("synthetic")?,
            boundary: row.area(shape.area())?,
        }),
        Layer::Resources => world.resources.push(ResourceRecord {
            id: row.id("id")?,
            kind: row.text("kind")?,
            name: row.text("name")?,
            region_code: row.text("region_code")?,
            subtype: row.optional_text("subtype"),
            heading_deg: row.number("heading_deg")?,
            fov_deg: row.number("fov_deg")?,
            range_m: row.number("range_m")?,
            point: row.point(shape.point())?,
        }),
        Layer::Officers => world.officers.push(OfficerRecord {
            id: row.id("id")?,
            name: row.text("name")?,
            badge: row.text_or_empty("badge"),
            station_id: row.id("station_id")?,
            villages: row.list("villages"),
        }),
        Layer::GridWorkers => world.grid_workers.push(GridWorkerRecord {
            id: row.id("id")?,
            name: row.text("name")?,
            cell_code: row.text("cell_code")?,
            phone: row.optional_text("phone"),
            leader: row.flag("leader")?,
            point: shape.point(),
        }),
        Layer::Departments => world.departments.push(DepartmentRecord {
            code: row.text("code")?,
            kind: row.text("kind")?,
            name_zh: row.text("name_zh")?,
            name_en: row.text_or_empty("name_en"),
            region_code: row.text("region_code")?,
        }),
        Layer::Mediators => world.mediators.push(MediatorRecord {
            id: row.id("id")?,
            name: row.text("name")?,
            role: row.text("role")?,
            village_code: row.text("village_code")?,
            phone: row.optional_text("phone"),
        }),
        Layer::Units => world.units.push(UnitRecord {
            id: row.id("id")?,
            name: row.text("name")?,
            unit_type: row.optional_text("type"),
            region_code: row.text("region_code")?,
            point: row.point(shape.point())?,
        }),
    }
    Ok(())
}
