//! Users, roles and jurisdictions: who may see and change what.

use crate::code::RegionCode;
use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 指挥中心: the city command centre.
    City,
    /// 县（区）公安分局: a county bureau.
    County,
    /// 派出所: a township police station.
    Township,
    /// 驻村民警: a village officer.
    Village,
    /// 分析员: read-only analysis.
    Analyst,
    /// 管理员: users and the audit log.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [Role::City, Role::County, Role::Township, Role::Village, Role::Analyst, Role::Admin];

    /// API/CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::County => "county",
            Role::Township => "township",
            Role::Village => "village",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Parses the API/CLI name.
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::City => "指挥中心",
            Role::County => "县（区）公安分局",
            Role::Township => "派出所",
            Role::Village => "驻村民警",
            Role::Analyst => "分析员",
            Role::Admin => "管理员",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::City => "command centre",
            Role::County => "county bureau",
            Role::Township => "police station",
            Role::Village => "village officer",
            Role::Analyst => "analyst",
            Role::Admin => "administrator",
        }
    }

    /// Whether the role handles cases (reports, dispatch) and so sees reporters' personal data
    /// unmasked inside its jurisdiction.
    pub fn handles_cases(self) -> bool {
        matches!(self, Role::City | Role::County | Role::Township | Role::Village)
    }

    /// Whether the role may create or change incidents.
    pub fn writes_cases(self) -> bool {
        self.handles_cases()
    }

    /// Whether the role administers users and reads the audit log.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
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
