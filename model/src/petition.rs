//! Petitions (信访) as pure rules, after the 信访工作条例 (2022): how a petition came in, what it
//! is about, which stages it passes and the deadline of each, and who supervises (督办) one
//! that is overdue. No clock is read: `now` is always a parameter.
//!
//! # The stages
//!
//! ```text
//! registered ─► accepted ─► assigned ─► answered ─► closed
//!     │            │  (交办)     │         │  ▲
//!     │            └────────────┴─► answered │
//!     ▼                                     ▼  │
//! not_accepted                     review_requested ─► reviewed ─► closed
//!                                                        │
//!                                                        ▼
//!                                             recheck_requested ─► rechecked (终结)
//! ```
//!
//! Deadlines (条例 §31–§37): accept or refuse within [`ACCEPT_DAYS`] (15) days of receipt;
//! answer within [`ANSWER_DAYS`] (60) days of acceptance, extendable once by
//! [`EXTENSION_DAYS`] (30) with a reason; the petitioner may ask for a review (复查) within
//! [`REQUEST_DAYS`] (30) days of the answer, answered within [`REVIEW_DAYS`] (30) days; then a
//! re-check (复核) on the same terms, after which the matter is final (终结). A stage past its
//! deadline is supervised by the level above the region handling it.

use crate::code::RegionLevel;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Days to accept or refuse a petition after it is received (条例 §31).
pub const ACCEPT_DAYS: i64 = 15;
/// Days to answer an accepted petition (条例 §35).
pub const ANSWER_DAYS: i64 = 60;
/// The one extension of the answer's deadline, with a reason (条例 §35).
pub const EXTENSION_DAYS: i64 = 30;
/// Days the petitioner has to ask for a review or a re-check after an answer (条例 §36–§37).
pub const REQUEST_DAYS: i64 = 30;
/// Days to give a review's (复查) or a re-check's (复核) opinion (条例 §36–§37).
pub const REVIEW_DAYS: i64 = 30;
/// Petitioners at or above which a petition is collective (集体访), by the usual count.
pub const COLLECTIVE_HEADCOUNT: u32 = 5;

labelled_enum! {
    /// How a petition came in (信访形式).
    Channel {
        /// 来信.
        Letter = ("letter", "来信", "letter"),
        /// 来访: in person.
        Visit = ("visit", "来访", "in person"),
        /// 网上信访.
        Online = ("online", "网上", "online"),
        /// 电话.
        Phone = ("phone", "电话", "telephone"),
    }
}

labelled_enum! {
    /// What a petition is about (信访事项分类), the groups common in a county's statistics.
    PetitionKind {
        /// 土地承包、流转.
        Land = ("land", "农村土地", "rural land"),
        /// 征地拆迁.
        Expropriation = ("expropriation", "征地拆迁", "land taking and demolition"),
        /// 劳动和社会保障: unpaid wages, pensions.
        Labour = ("labour", "劳动社保", "labour and social security"),
        /// 城乡建设: housing, property management, construction.
        Construction = ("construction", "城乡建设", "housing and construction"),
        /// 农业农村: subsidies, irrigation water, village affairs.
        Rural = ("rural", "农村事务", "rural affairs"),
        /// 民政: relief, subsistence allowances.
        Welfare = ("welfare", "民政救助", "welfare and relief"),
        /// 环境保护.
        Environment = ("environment", "环境保护", "environment"),
        /// 医疗卫生.
        Health = ("health", "医疗卫生", "health"),
        /// 政法: complaints about police and justice (涉法涉诉 go to the courts' channels).
        Law = ("law", "政法", "law and justice"),
        /// 其他.
        Other = ("other", "其他", "other"),
    }
}

labelled_enum! {
    /// A leader's meeting with petitioners (领导干部接访下访).
    ReceptionKind {
        /// 接访: the leader receives petitioners at the reception office on a set day.
        Reception = ("reception", "接访", "receiving petitioners"),
        /// 下访: the leader goes to a township or village to meet them.
        Visit = ("visit", "下访", "visiting petitioners"),
    }
}

labelled_enum! {
    /// Where a petition stands.
    PetitionStatus {
        /// 已登记: received and registered; acceptance is due within 15 days.
        Registered = ("registered", "已登记", "registered"),
        /// 已受理.
        Accepted = ("accepted", "已受理", "accepted"),
        /// 不予受理: refused, with the reason and the proper channel told (e.g. litigation).
        NotAccepted = ("not_accepted", "不予受理", "not accepted"),
        /// 已交办: handed to a department or a region to handle.
        Assigned = ("assigned", "已交办", "assigned"),
        /// 已答复: the handling opinion was given to the petitioner.
        Answered = ("answered", "已答复", "answered"),
        /// 申请复查: the petitioner asked for a review.
        ReviewRequested = ("review_requested", "申请复查", "review requested"),
        /// 已复查.
        Reviewed = ("reviewed", "已复查", "reviewed"),
        /// 申请复核: the petitioner asked for a re-check.
        RecheckRequested = ("recheck_requested", "申请复核", "re-check requested"),
        /// 已复核: final (信访终结).
        Rechecked = ("rechecked", "已复核（终结）", "re-checked (final)"),
        /// 已办结.
        Closed = ("closed", "已办结", "closed"),
    }
}

impl PetitionStatus {
    /// Still being handled: every status but not accepted, re-checked and closed.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::NotAccepted | Self::Rechecked | Self::Closed)
    }
}

/// Why a petition step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PetitionError {
    /// `to` does not follow `from`.
    #[error("a petition cannot go from {} to {}", from.as_str(), to.as_str())]
    IllegalStep {
        /// Current status.
        from: PetitionStatus,
        /// Requested status.
        to: PetitionStatus,
    },
    /// An extension asked for twice, or outside acceptance and handling.
    #[error("the answer's deadline is extended once, while the petition is accepted or assigned")]
    ExtensionNotAllowed,
    /// A review or re-check asked for more than 30 days after the opinion.
    #[error("a review or re-check is asked for within 30 days of the opinion")]
    RequestTooLate,
}

/// Checks one status change of a petition.
///
/// Legal steps: registered → accepted or not accepted; accepted → assigned or answered (the
/// receiving office handles it itself); assigned → answered; answered → closed or review
/// requested; review requested → reviewed; reviewed → closed or re-check requested; re-check
/// requested → re-checked. [`check_request`] checks a request's timing.
///
/// ```
/// use model::petition::{petition_transition, PetitionStatus as S};
/// assert!(petition_transition(S::Registered, S::Accepted).is_ok());
/// assert!(petition_transition(S::Answered, S::ReviewRequested).is_ok());
/// assert!(petition_transition(S::Registered, S::Answered).is_err());
/// ```
pub fn petition_transition(from: PetitionStatus, to: PetitionStatus) -> Result<(), PetitionError> {
    use PetitionStatus as S;
    match (from, to) {
        (S::Registered, S::Accepted)
        | (S::Registered, S::NotAccepted)
        | (S::Accepted, S::Assigned)
        | (S::Accepted, S::Answered)
        | (S::Assigned, S::Answered)
        | (S::Answered, S::Closed)
        | (S::Answered, S::ReviewRequested)
        | (S::ReviewRequested, S::Reviewed)
        | (S::Reviewed, S::Closed)
        | (S::Reviewed, S::RecheckRequested)
        | (S::RecheckRequested, S::Rechecked) => Ok(()),
        _ => Err(PetitionError::IllegalStep { from, to }),
    }
}

/// Checks the timing of a request for review or re-check: within [`REQUEST_DAYS`] of the
/// opinion it contests (`stage_began`: when the petition was answered or reviewed). Other steps
/// pass.
pub fn check_request(to: PetitionStatus, stage_began: DateTime<Utc>, at: DateTime<Utc>) -> Result<(), PetitionError> {
    let request = matches!(to, PetitionStatus::ReviewRequested | PetitionStatus::RecheckRequested);
    if request && at - stage_began > TimeDelta::days(REQUEST_DAYS) {
        return Err(PetitionError::RequestTooLate);
    }
    Ok(())
}

/// Whether the answer's deadline may be extended now: once, while accepted or assigned.
pub fn extension_allowed(status: PetitionStatus, extended: bool) -> bool {
    !extended && matches!(status, PetitionStatus::Accepted | PetitionStatus::Assigned)
}

/// The deadline of the stage a petition is in, or `None` for a stage without one (answered and
/// reviewed wait on the petitioner; the closed ones are done). `stage_began` is when the
/// status was entered; `accepted_at` when it was accepted (the answer's clock runs from there
/// through assignment); `extended`: whether the answer's deadline was extended.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use model::petition::{stage_due, PetitionStatus as S};
/// let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// assert_eq!(stage_due(S::Registered, t, None, false), Some(t + Duration::days(15)));
/// assert_eq!(stage_due(S::Assigned, t + Duration::days(3), Some(t), true), Some(t + Duration::days(90)));
/// assert_eq!(stage_due(S::Answered, t, Some(t), false), None);
/// ```
pub fn stage_due(
    status: PetitionStatus,
    stage_began: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    extended: bool,
) -> Option<DateTime<Utc>> {
    use PetitionStatus as S;
    let days = |d: i64| TimeDelta::try_days(d);
    match status {
        S::Registered => stage_began.checked_add_signed(days(ACCEPT_DAYS)?),
        S::Accepted | S::Assigned => {
            let extra = if extended { EXTENSION_DAYS } else { 0 };
            accepted_at.unwrap_or(stage_began).checked_add_signed(days(ANSWER_DAYS + extra)?)
        }
        S::ReviewRequested | S::RecheckRequested => stage_began.checked_add_signed(days(REVIEW_DAYS)?),
        S::Answered | S::Reviewed | S::NotAccepted | S::Rechecked | S::Closed => None,
    }
}

/// The level that supervises (督办) an overdue petition handled in `handling`: the level above
/// it (a village's or township's by the county, a county's by the city); `None` for the city.
///
/// ```
/// use model::RegionLevel as L;
/// use model::petition::supervising_level;
/// assert_eq!(supervising_level(L::Township), Some(L::County));
/// assert_eq!(supervising_level(L::Village), Some(L::County));
/// assert_eq!(supervising_level(L::City), None);
/// ```
pub fn supervising_level(handling: RegionLevel) -> Option<RegionLevel> {
    match handling {
        RegionLevel::Village | RegionLevel::Township => Some(RegionLevel::County),
        RegionLevel::County => Some(RegionLevel::City),
        RegionLevel::City => None,
    }
}

/// The supervision label of a level: 县级督办 / "county supervision".
pub fn supervision_label(level: RegionLevel) -> (&'static str, &'static str) {
    match level {
        RegionLevel::City => ("市级督办", "city supervision"),
        RegionLevel::County => ("县级督办", "county supervision"),
        RegionLevel::Township => ("乡级督办", "township supervision"),
        RegionLevel::Village => ("村级提醒", "village reminder"),
    }
}

/// A petitioner (信访人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Petitioner {
    /// Name.
    pub name: String,
    /// Phone, if given.
    #[serde(default)]
    pub phone: String,
}

/// The root of a petition's group of repeats (重复信访): follow `repeat_of` until a petition
/// that repeats none (or one not known, or a loop).
pub fn group_root(id: u64, repeat_of: impl Fn(u64) -> Option<u64>) -> u64 {
    let mut at = id;
    for _ in 0..64 {
        match repeat_of(at) {
            Some(prev) if prev != id => at = prev,
            _ => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_value_has_both_labels() {
        fn check<T: Copy + std::fmt::Debug>(all: &[T], zh: fn(T) -> &'static str, en: fn(T) -> &'static str) {
            for &v in all {
                assert!(has_han(zh(v)) && !en(v).is_empty() && !has_han(en(v)), "{v:?}");
            }
        }
        check(Channel::ALL, Channel::label_zh, Channel::label_en);
        check(PetitionKind::ALL, PetitionKind::label_zh, PetitionKind::label_en);
        check(PetitionStatus::ALL, PetitionStatus::label_zh, PetitionStatus::label_en);
        check(ReceptionKind::ALL, ReceptionKind::label_zh, ReceptionKind::label_en);
        assert_eq!(PetitionStatus::ALL.len(), 10);
        assert_eq!(PetitionStatus::ALL.iter().filter(|s| s.is_open()).count(), 7);
    }

    #[test]
    fn every_pair_of_statuses() {
        use PetitionStatus as S;
        let legal = [
            (S::Registered, S::Accepted),
            (S::Registered, S::NotAccepted),
            (S::Accepted, S::Assigned),
            (S::Accepted, S::Answered),
            (S::Assigned, S::Answered),
            (S::Answered, S::Closed),
            (S::Answered, S::ReviewRequested),
            (S::ReviewRequested, S::Reviewed),
            (S::Reviewed, S::Closed),
            (S::Reviewed, S::RecheckRequested),
            (S::RecheckRequested, S::Rechecked),
        ];
        for &from in S::ALL {
            for &to in S::ALL {
                let want =
                    if legal.contains(&(from, to)) { Ok(()) } else { Err(PetitionError::IllegalStep { from, to }) };
                assert_eq!(petition_transition(from, to), want, "{from:?} → {to:?}");
            }
        }
        // Nothing leaves a finished petition.
        for &to in S::ALL {
            for from in [S::NotAccepted, S::Rechecked, S::Closed] {
                assert!(petition_transition(from, to).is_err());
            }
        }
    }

    #[test]
    fn deadlines_follow_the_regulation() {
        use PetitionStatus as S;
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let d = Duration::days;
        assert_eq!(stage_due(S::Registered, t, None, false), Some(t + d(15)));
        // The answer's clock runs from acceptance, through assignment.
        assert_eq!(stage_due(S::Accepted, t, Some(t), false), Some(t + d(60)));
        assert_eq!(stage_due(S::Assigned, t + d(10), Some(t), false), Some(t + d(60)));
        assert_eq!(stage_due(S::Assigned, t + d(10), Some(t), true), Some(t + d(90)));
        assert_eq!(stage_due(S::ReviewRequested, t, Some(t - d(90)), false), Some(t + d(30)));
        assert_eq!(stage_due(S::RecheckRequested, t, Some(t - d(90)), true), Some(t + d(30)));
        for s in [S::Answered, S::Reviewed, S::NotAccepted, S::Rechecked, S::Closed] {
            assert_eq!(stage_due(s, t, Some(t), false), None, "{s:?}");
        }
        // Requests: within 30 days of the opinion.
        assert_eq!(check_request(S::ReviewRequested, t, t + d(30)), Ok(()));
        assert_eq!(
            check_request(S::ReviewRequested, t, t + d(30) + Duration::seconds(1)),
            Err(PetitionError::RequestTooLate)
        );
        assert_eq!(check_request(S::RecheckRequested, t, t + d(31)), Err(PetitionError::RequestTooLate));
        assert_eq!(check_request(S::Closed, t, t + d(300)), Ok(()));
        // One extension, while the petition is being handled.
        assert!(extension_allowed(S::Accepted, false) && extension_allowed(S::Assigned, false));
        assert!(!extension_allowed(S::Assigned, true));
        assert!(!extension_allowed(S::Registered, false) && !extension_allowed(S::Answered, false));
    }

    #[test]
    fn overdue_petitions_are_supervised_from_above() {
        assert_eq!(supervising_level(RegionLevel::Village), Some(RegionLevel::County));
        assert_eq!(supervising_level(RegionLevel::Township), Some(RegionLevel::County));
        assert_eq!(supervising_level(RegionLevel::County), Some(RegionLevel::City));
        assert_eq!(supervising_level(RegionLevel::City), None);
        assert_eq!(supervision_label(RegionLevel::County).0, "县级督办");
    }

    #[test]
    fn repeats_group_under_their_first_petition() {
        let links = |id: u64| match id {
            5 => Some(3),
            3 => Some(1),
            9 => Some(9),
            11 => Some(12),
            12 => Some(11),
            _ => None,
        };
        assert_eq!(group_root(5, links), 1);
        assert_eq!(group_root(1, links), 1);
        assert_eq!(group_root(9, links), 9, "a petition repeating itself");
        assert_eq!(group_root(7, links), 7);
        // A loop ends (at some member) rather than spinning.
        let r = group_root(11, links);
        assert!(r == 11 || r == 12);
    }
}
