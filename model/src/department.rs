//! Departments (部门) and their work orders (工单): who handles a 综治 event, who helps (协办),
//! how often it came back (退单, 不满意重办), and the public's verdict (回访). The order's rules
//! are in [`crate::workflow`]; this module holds the data and the department suggestion.

use crate::code::{CellCode, RegionCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A department's code: ASCII letters, digits, `-` and `_`, 1–40 characters (`zfj-620602`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    /// Checks the spelling.
    pub fn parse(s: &str) -> Result<DepartmentCode, String> {
        let ok = (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(DepartmentCode(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a department code (1–40 ASCII letters, digits, - or _)"))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DepartmentCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DepartmentCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
        DepartmentCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A department that handles 综治 events in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Stable code.
    pub code: DepartmentCode,
    /// Its type: a code of the taxonomy's `department_types` (`law_enforcement`, `water`, …).
    pub kind: String,
    /// Chinese name (武威市凉州区综合行政执法局).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The region it serves (a county or a township).
    pub region: RegionCode,
}

/// The department suggested for an event of department type `kind` in `cell`: of that type,
/// serving a region that holds the cell, the most local first (a township's 司法所 before the
/// county's 司法局), then by code. `None` when no such department serves the place.
pub fn suggest<'a>(departments: &'a [Department], kind: &str, cell: CellCode) -> Option<&'a Department> {
    departments
        .iter()
        .filter(|d| d.kind == kind && d.region.contains(cell.village()))
        .max_by(|a, b| a.region.level().cmp(&b.region.level()).then(b.code.cmp(&a.code)))
}

labelled_enum! {
    /// The reporter's verdict at the return visit (回访).
    Verdict {
        /// 满意.
        Satisfied = ("satisfied", "满意", "satisfied"),
        /// 基本满意.
        BasicallySatisfied = ("basically_satisfied", "基本满意", "basically satisfied"),
        /// 不满意.
        Dissatisfied = ("dissatisfied", "不满意", "dissatisfied"),
    }
}

impl Verdict {
    /// Whether it counts towards the satisfaction rate (满意 and 基本满意).
    pub fn is_satisfied(self) -> bool {
        self != Verdict::Dissatisfied
    }
}

labelled_enum! {
    /// Why a department sent an order back (退单).
    ReturnReason {
        /// 非本部门职责.
        NotOurs = ("not_ours", "非本部门职责", "not ours"),
        /// 地址有误.
        WrongAddress = ("wrong_address", "地址有误", "wrong address"),
        /// 重复工单.
        Duplicate = ("duplicate", "重复工单", "duplicate"),
    }
}

/// An event's work order as it stands: kept with the incident, and carried whole by every
/// status change of the order (so the live log alone tells its story).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// The lead department (主办).
    pub department: DepartmentCode,
    /// Departments that help (协办): they add notes, they do not move the order.
    #[serde(default)]
    pub co_departments: Vec<DepartmentCode>,
    /// When the work must be done, if the centre set it (otherwise the taxonomy's deadline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Times a department sent it back.
    #[serde(default)]
    pub returns: u32,
    /// Whether a dissatisfied verdict already sent it back to the department once (重办).
    #[serde(default)]
    pub reworked: bool,
}

impl WorkOrder {
    /// Whether `department` works on it, as lead or as 协办.
    pub fn involves(&self, department: &DepartmentCode) -> bool {
        self.department == *department || self.co_departments.contains(department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(code: &str, kind: &str, region: &str) -> Department {
        Department {
            code: DepartmentCode::parse(code).unwrap(),
            kind: kind.into(),
            name_zh: code.into(),
            name_en: code.into(),
            region: region.parse().unwrap(),
        }
    }

    #[test]
    fn codes_are_short_ascii_words() {
        assert!(DepartmentCode::parse("zfj-620602_1").is_ok());
        for bad in ["", "执法局", "a b", "a/b", &"x".repeat(41)] {
            assert!(DepartmentCode::parse(bad).is_err(), "{bad:?}");
        }
        let err = serde_json::from_str::<DepartmentCode>("\"a b\"").unwrap_err().to_string();
        assert!(err.contains("department code"), "{err}");
    }

    #[test]
    fn the_most_local_department_of_the_type_is_suggested() {
        let ds = [
            dept("sfj-620602", "justice", "620602000000"),
            dept("sfs-620602001", "justice", "620602001000"),
            dept("sfs-620602002", "justice", "620602002000"),
            dept("zfj-620602", "law_enforcement", "620602000000"),
            dept("sfj-620621", "justice", "620621000000"),
        ];
        let cell = |s: &str| CellCode::parse(s).unwrap();
        let code = |k: &str, c: &str| suggest(&ds, k, cell(c)).map(|d| d.code.to_string());
        assert_eq!(code("justice", "620602001003001").as_deref(), Some("sfs-620602001"));
        assert_eq!(code("justice", "620602003001001").as_deref(), Some("sfj-620602"), "no 司法所 there: the county's");
        assert_eq!(code("justice", "620621100201001").as_deref(), Some("sfj-620621"));
        assert_eq!(code("law_enforcement", "620602001003001").as_deref(), Some("zfj-620602"));
        assert_eq!(code("water", "620602001003001"), None);
        assert_eq!(code("law_enforcement", "620622100201001"), None, "other county");
    }

    #[test]
    fn an_order_involves_its_lead_and_its_helpers() {
        let code = |s: &str| DepartmentCode::parse(s).unwrap();
        let order = WorkOrder {
            department: code("a"),
            co_departments: vec![code("b")],
            due_at: None,
            returns: 0,
            reworked: false,
        };
        assert!(order.involves(&code("a")) && order.involves(&code("b")) && !order.involves(&code("c")));
        let back: WorkOrder = serde_json::from_str(r#"{"department":"a"}"#).unwrap();
        assert_eq!((back.co_departments.len(), back.returns, back.reworked), (0, 0, false));
        assert!(Verdict::BasicallySatisfied.is_satisfied() && !Verdict::Dissatisfied.is_satisfied());
    }
}
