//! Users, roles and jurisdictions: who may see and change what.

use crate::code::RegionCode;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// A user's role. Access rules match on it exhaustively: a new role does not build until
    /// every rule says what it may do.
    Role {
        /// 指挥中心: the city command centre.
        City = ("city", "指挥中心", "command centre"),
        /// 县（区）公安分局: a county bureau.
        County = ("county", "县（区）公安分局", "county bureau"),
        /// 派出所: a township police station.
        Township = ("township", "派出所", "police station"),
        /// 驻村民警: a village officer.
        Village = ("village", "驻村民警", "village officer"),
        /// 分析员: read-only analysis.
        Analyst = ("analyst", "分析员", "analyst"),
        /// 管理员: users and the audit log.
        Admin = ("admin", "管理员", "administrator"),
        /// 部门处置人员: a department's staff, who see and handle only their department's work
        /// orders.
        Department = ("department", "部门处置人员", "department staff"),
        /// 网格员: a grid worker, who reports, verifies and calls back in their own cells (a
        /// village's 网格长: the village's cells) from the phone app.
        GridWorker = ("grid_worker", "网格员", "grid worker"),
        /// 领导: a city, county or township leader (书记, 县长, 乡镇长 …) over that jurisdiction:
        /// reads the situation, the scorecard and the briefing, takes charge of backlog cases
        /// (领导包案) and writes their progress, and keeps the receptions calendar; changes no
        /// case and sees personal data masked.
        Leader = ("leader", "领导", "leader"),
    }
}

impl Role {
    /// Whether the role handles cases (reports, dispatch) and so sees reporters' personal data
    /// unmasked inside its jurisdiction. Grid workers are civilians: they report, verify and
    /// call back through the field app, with reporters masked.
    pub fn handles_cases(self) -> bool {
        match self {
            Role::City | Role::County | Role::Township | Role::Village | Role::Department => true,
            Role::Analyst | Role::Admin | Role::GridWorker | Role::Leader => false,
        }
    }

    /// Whether the role leads townships, counties or the city: it reassigns village officers
    /// and takes charge of backlog cases.
    pub fn leads(self) -> bool {
        match self {
            Role::City | Role::County | Role::Township => true,
            Role::Village | Role::Analyst | Role::Admin | Role::Department | Role::GridWorker | Role::Leader => false,
        }
    }

    /// Whether the role takes personal charge of backlog cases (领导包案: named on a case, its
    /// `/api/my-cases`, progress notes) and keeps the leaders' receptions calendar: the command
    /// centres and the leaders.
    pub fn takes_charge(self) -> bool {
        match self {
            Role::City | Role::County | Role::Township | Role::Leader => true,
            Role::Village | Role::Analyst | Role::Admin | Role::Department | Role::GridWorker => false,
        }
    }

    /// Whether the role ranks regions on the assessment scorecard (督导考核): the command
    /// centres and analysts over their counties or townships; not a village officer or grid
    /// worker (whose villages or cells are no region to rank) nor department staff.
    pub fn reads_scorecard(self) -> bool {
        match self {
            Role::City | Role::County | Role::Township | Role::Analyst | Role::Admin | Role::Leader => true,
            Role::Village | Role::GridWorker | Role::Department => false,
        }
    }

    /// Whether the role may create or change incidents through the staff API. Grid workers
    /// write only their field reports, notes (核查) and return visits (回访) on 综治 events.
    pub fn writes_cases(self) -> bool {
        self.handles_cases()
    }

    /// Whether the role files a village's monthly dispute screening (矛盾纠纷排查): the village
    /// officer, the village's 网格长 (whose jurisdiction is the village; other grid workers hold
    /// one cell and are refused the village) and the police station for its villages.
    pub fn files_screenings(self) -> bool {
        match self {
            Role::Village | Role::GridWorker | Role::Township => true,
            Role::City | Role::County | Role::Analyst | Role::Admin | Role::Department | Role::Leader => false,
        }
    }

    /// Whether the role works in the field (the phone app): grid workers and village officers.
    pub fn in_the_field(self) -> bool {
        match self {
            Role::GridWorker | Role::Village => true,
            Role::City
            | Role::County
            | Role::Township
            | Role::Analyst
            | Role::Admin
            | Role::Department
            | Role::Leader => false,
        }
    }

    /// Whether the role corrects and publishes the base data (regions, grid, resources): the
    /// administrators everywhere, the command centre inside its jurisdiction.
    pub fn edits_world(self) -> bool {
        match self {
            Role::City | Role::Admin => true,
            Role::County
            | Role::Township
            | Role::Village
            | Role::Analyst
            | Role::Department
            | Role::GridWorker
            | Role::Leader => false,
        }
    }

    /// Whether the role runs a county's forecast trial on demand (预测方法回测): the command
    /// centres and analysts, for counties wholly in their jurisdiction. Everyone who sees a
    /// forecast reads what the trials chose; the nightly trials need no one.
    pub fn runs_trials(self) -> bool {
        match self {
            Role::City | Role::County | Role::Analyst => true,
            Role::Township | Role::Village | Role::Admin | Role::Department | Role::GridWorker | Role::Leader => false,
        }
    }

    /// Whether the role administers users and reads the audit log.
    pub fn is_admin(self) -> bool {
        match self {
            Role::Admin => true,
            Role::City
            | Role::County
            | Role::Township
            | Role::Village
            | Role::Analyst
            | Role::Department
            | Role::GridWorker
            | Role::Leader => false,
        }
    }

    /// Whether the role sees the situation (the map, lists, counts, tiles, analyses) of its
    /// jurisdiction. Department staff do not: they see their department's work orders only.
    pub fn sees_situation(self) -> bool {
        match self {
            Role::City
            | Role::County
            | Role::Township
            | Role::Village
            | Role::Analyst
            | Role::Admin
            | Role::GridWorker
            | Role::Leader => true,
            Role::Department => false,
        }
    }
}

/// A user as the API shows it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Region whose subtree the user may see (absent for officer-linked village users).
    pub jurisdiction: Option<RegionCode>,
    /// For a village user: the officer whose current villages are the jurisdiction.
    pub officer_id: Option<u64>,
    /// For department staff: their department (the jurisdiction is the region it serves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<crate::department::DepartmentCode>,
    /// For a grid worker: the grid worker of the world (a resource id) whose current cells are
    /// the jurisdiction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_worker_id: Option<u64>,
    /// Disabled users cannot log in and their sessions end.
    pub disabled: bool,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`-` when unknown, `cli:<os user>` for the command line).
    pub actor: String,
    /// Their role, if known.
    pub role: Option<String>,
    /// What: `login`, `login_failed`, `logout`, `password_change`, `read_incident`,
    /// `create_incident`, `export`, `import`, `user_add`, `user_disable`, `read_audit`.
    pub action: String,
    /// On what (an incident id, a username, a file).
    pub target: String,
    /// From where (client address), if known.
    pub source: Option<String>,
    /// `ok`, `denied` or `error`.
    pub result: String,
    /// More detail.
    pub detail: Option<String>,
}

/// Masks a personal name for roles that do not handle the case: `张三` → `张*`.
///
/// ```
/// assert_eq!(model::auth::mask_name("张三丰"), "张**");
/// assert_eq!(model::auth::mask_name("Li"), "L*");
/// ```
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks a phone number, keeping the first three and last four digits: `13800005678` → `138****5678`.
///
/// ```
/// assert_eq!(model::auth::mask_phone("13800005678"), "138****5678");
/// assert_eq!(model::auth::mask_phone("110"), "***");
/// ```
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    chars.iter().enumerate().map(|(i, c)| if i < 3 || i >= chars.len() - 4 { *c } else { '*' }).collect()
}
