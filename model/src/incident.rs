//! Security incidents (警情/案事件): the 110 taxonomy, sources, severities and the event-loop status.

use crate::code::{CellCode, RegionCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::taxonomy::{Category, Subcategory};

labelled_enum! {
    /// The channel an incident arrived through.
    Source {
        /// 110 报警电话.
        Call110 = ("call_110", "110报警", "110 call"),
        /// 巡逻发现.
        Patrol = ("patrol", "巡逻发现", "patrol"),
        /// 网格员上报.
        GridWorker = ("grid_worker", "网格员上报", "grid worker"),
        /// 群众APP/小程序.
        CitizenApp = ("citizen_app", "群众APP", "citizen app"),
        /// 12345 政务服务热线.
        Hotline12345 = ("hotline_12345", "12345热线", "12345 hotline"),
        /// 微信公众号/小程序.
        WeChat = ("wechat", "微信", "WeChat"),
        /// 视频监控/传感器.
        Sensor = ("sensor", "视频/传感器", "camera or sensor"),
        /// 批量导入.
        Import = ("import", "批量导入", "import"),
    }
}

labelled_enum! {
    /// Severity grade (一般/较大/重大/特别重大).
    Severity {
        /// 一般.
        Minor = ("minor", "一般", "minor"),
        /// 较大.
        Serious = ("serious", "较大", "serious"),
        /// 重大.
        Major = ("major", "重大", "major"),
        /// 特别重大.
        Critical = ("critical", "特别重大", "critical"),
    }
}

labelled_enum! {
    /// Where an incident stands in its loop: the police chain 接警 → 派警 → 到场 → 处置 → 反馈 →
    /// 结案, or a department's work order 受理 → 派单 → 签收 → 办结 → 回访 → 结案 (with 退单).
    /// The work-order states come last so that the police ones keep their positions.
    #[derive(Default)]
    Status {
        /// 接警.
        #[default]
        Reported = ("reported", "接警", "reported"),
        /// 派警.
        Dispatched = ("dispatched", "派警", "dispatched"),
        /// 到场.
        OnScene = ("on_scene", "到场", "on scene"),
        /// 处置.
        Resolved = ("resolved", "处置完毕", "resolved"),
        /// 反馈.
        Feedback = ("feedback", "反馈", "feedback"),
        /// 结案.
        Closed = ("closed", "结案", "closed"),
        /// 已派单（待签收）: a department has the order and has not taken it yet.
        Assigned = ("assigned", "已派单", "assigned"),
        /// 办理中: the department took the order (签收) and works on it.
        Accepted = ("accepted", "办理中", "accepted"),
        /// 被退回: the department sent the order back to the centre (退单).
        Returned = ("returned", "被退回", "returned"),
        /// 已办结（待回访）: the department reports the work done.
        Completed = ("completed", "已办结", "completed"),
    }
}

impl Status {
    /// Whether the event still needs work (not yet closed).
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

/// Store-assigned incident identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub u64);

/// A validated incident before the store has given it an id or located it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    /// Channel it arrived through.
    pub source: Source,
    /// The sender's own id; (source, external_id) is unique when present.
    pub external_id: Option<String>,
    /// 110 category.
    pub category: Category,
    /// Finer classification; belongs to `category`.
    pub subcategory: Option<Subcategory>,
    /// When it happened (UTC).
    pub occurred_at: DateTime<Utc>,
    /// When it was reported (UTC).
    pub reported_at: DateTime<Utc>,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Street address as reported.
    pub address: Option<String>,
    /// Free-text summary (简要案情).
    pub summary: Option<String>,
    /// Reporter's name (personal data).
    pub reporter_name: Option<String>,
    /// Reporter's phone number (personal data).
    pub reporter_phone: Option<String>,
    /// Severity grade.
    pub severity: Severity,
    /// Event-loop status.
    pub status: Status,
}

impl NewIncident {
    /// Whether `other` describes the same report (a retry), ignoring what legitimately changes
    /// after the first submission (status, severity, reported_at). Times compare to the
    /// millisecond and positions to 1e-7° (what storage keeps).
    pub fn same_report(&self, other: &NewIncident) -> bool {
        self.category == other.category
            && self.subcategory == other.subcategory
            && self.occurred_at.timestamp_millis() == other.occurred_at.timestamp_millis()
            && (self.lon - other.lon).abs() < 1e-7
            && (self.lat - other.lat).abs() < 1e-7
            && self.address == other.address
            && self.summary == other.summary
            && self.reporter_name == other.reporter_name
            && self.reporter_phone == other.reporter_phone
    }
}

/// Where an incident falls in the governance hierarchy, assigned on write by the spatial index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    /// County (district) code.
    pub county_code: RegionCode,
    /// Township (street) code.
    pub township_code: RegionCode,
    /// Village (community) code.
    pub village_code: RegionCode,
    /// Grid cell code (15 digits).
    pub cell_code: CellCode,
}

impl Placement {
    /// The placement implied by a cell code (every level is a prefix of it).
    pub fn of_cell(cell_code: CellCode) -> Placement {
        let village_code = cell_code.village();
        Placement {
            county_code: village_code.truncate(crate::RegionLevel::County),
            township_code: village_code.truncate(crate::RegionLevel::Township),
            village_code,
            cell_code,
        }
    }
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Store-assigned id.
    pub id: IncidentId,
    /// The reported facts.
    #[serde(flatten)]
    pub fields: NewIncident,
    /// Regions and cell it falls in.
    #[serde(flatten)]
    pub placement: Placement,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_in_both_languages() {
        assert_eq!(Category::parse_label("刑事"), Some(Category::CRIMINAL));
        assert_eq!(Category::parse_label("public_order"), Some(Category::PUBLIC_ORDER));
        assert_eq!(Category::parse_label("Public Order"), Some(Category::PUBLIC_ORDER));
        assert_eq!(Category::parse_label("crime"), None);
        assert_eq!(Status::parse_label("到场"), Some(Status::OnScene));
    }

    #[test]
    fn every_110_category_has_a_subcategory_except_other() {
        for c in &Category::POLICE {
            let n = Subcategory::of(*c).count();
            assert_eq!(n == 0, *c == Category::OTHER, "{c:?} has {n}");
        }
    }

    #[test]
    fn index_round_trips() {
        for c in Category::all() {
            assert_eq!(Category::from_index(c.index()), Some(*c));
        }
        assert_eq!(Category::from_index(200), None);
    }

    #[test]
    fn serde_uses_snake_case_names() {
        assert_eq!(serde_json::to_string(&Status::OnScene).unwrap(), "\"on_scene\"");
        assert_eq!(serde_json::to_string(&Source::Call110).unwrap(), "\"call_110\"");
    }
}
