//! The one-village-one-officer desk (一村一警) as pure rules: kinds of dispute (矛盾纠纷), the
//! mediation tracks (三调联动: people's, administrative, judicial), which status changes of a
//! dispute are legal, when an open event or dispute becomes a backlog case (积案), and when a
//! village officer's next visit is due. No clock is read: `now` is always a parameter.
//!
//! # The dispute loop
//!
//! ```text
//! registered → mediating → agreed → closed          (司法确认 may be recorded on a people's agreement)
//!      │           │  ▲
//!      │           ▼  │ (mediate again)
//!      │         failed ─► escalated (next track, if the parties agree) ─► mediating …
//!      │           │  └──► closed    (the parties let the matter rest)
//!      └───────────┴─────► referred  (to administrative mediation, arbitration, administrative
//!                                     review or litigation: the desk's case ends there)
//! ```
//!
//! Mediation is voluntary (《人民调解法》 §3, §17): a party may refuse it from the start, and when
//! it fails the parties choose where to go next. So nothing climbs a ladder by force: a failed or
//! refused mediation is closed as [`DisputeStatus::Referred`] naming the [`Referral`] the parties
//! took, or mediated again, or handed to the next track's mediation when the parties ask for it.
//! Escalation stops at the judicial track ([`DeskError::NoHigherTrack`]).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Days after which an open event becomes a backlog case, by default.
pub const EVENT_BACKLOG_DAYS: i64 = 30;
/// Days after which an open dispute becomes a backlog case, by default.
pub const DISPUTE_BACKLOG_DAYS: i64 = 60;
/// Days after receipt after which an open petition becomes a backlog case, by default: the
/// 15 days to accept and the 60 to answer of the 信访工作条例.
pub const PETITION_BACKLOG_DAYS: i64 = crate::petition::ACCEPT_DAYS + crate::petition::ANSWER_DAYS;
/// A village officer visits each of his villages at least this often, in days, by default.
pub const VISIT_EVERY_DAYS: i64 = 7;
/// Number of age bands of [`age_band`] (0 to 3).
pub const AGE_BANDS: u8 = 4;

labelled_enum! {
    /// What a dispute (矛盾纠纷) is about.
    DisputeKind {
        /// 邻里纠纷.
        Neighbour = ("neighbour", "邻里", "neighbours"),
        /// 婚姻家庭纠纷.
        Family = ("family", "婚姻家庭", "marriage and family"),
        /// 土地承包纠纷 (contracted farmland, plots and their boundaries).
        Land = ("land", "土地承包", "land contracts"),
        /// 水事纠纷: irrigation water, its turns and channels (Wuwei's oases live on it).
        Water = ("water", "水事", "irrigation water"),
        /// 草场纠纷: grazing land (天祝, 古浪's hills).
        Grassland = ("grassland", "草场", "grassland"),
        /// 征地拆迁纠纷.
        Expropriation = ("expropriation", "征地拆迁", "land taking and demolition"),
        /// 劳资纠纷.
        Labour = ("labour", "劳资", "labour and wages"),
        /// 医疗纠纷.
        Medical = ("medical", "医疗", "medical"),
        /// 合同/债务纠纷.
        Contract = ("contract", "合同/债务", "contract and debt"),
        /// 物业纠纷.
        Property = ("property", "物业", "property management"),
        /// 其他纠纷.
        Other = ("other", "其他", "other"),
    }
}

labelled_enum! {
    /// The body mediating a dispute; the three are linked (三调联动): when the parties ask, a
    /// failed mediation is handed to the next ([`MediationTrack::next`]).
    MediationTrack {
        /// 人民调解: the village's people's mediation committee.
        Peoples = ("peoples", "人民调解", "people's mediation"),
        /// 行政调解: the police station or another administrative body.
        Administrative = ("administrative", "行政调解", "administrative mediation"),
        /// 司法调解: mediation by the court.
        Judicial = ("judicial", "司法调解", "judicial mediation"),
    }
}

labelled_enum! {
    /// Where a dispute stands.
    DisputeStatus {
        /// 已登记: registered at the desk.
        Registered = ("registered", "已登记", "registered"),
        /// 调解中: mediation under way on the current track.
        Mediating = ("mediating", "调解中", "mediating"),
        /// 已达成协议: the parties agreed; open until the agreement is carried out and closed.
        Agreed = ("agreed", "已达成协议", "agreement reached"),
        /// 调解未成: mediation on the current track failed.
        Failed = ("failed", "调解未成", "mediation failed"),
        /// 已移交上级调解: handed to the next track, waiting for its mediation to start.
        Escalated = ("escalated", "已移交上级调解", "escalated"),
        /// 已结案: closed.
        Closed = ("closed", "已结案", "closed"),
        /// 已引导其他途径: mediation was refused or failed and the parties took the matter
        /// elsewhere ([`Referral`]); the desk's case ends.
        Referred = ("referred", "已引导其他途径", "referred elsewhere"),
    }
}

labelled_enum! {
    /// Where the parties took a dispute that mediation did not settle (多元化解: 调解、仲裁、
    /// 行政复议、诉讼). Recorded when the desk's case is closed as referred.
    Referral {
        /// 行政调解 by a body outside the desk (the land bureau, the labour inspectorate …).
        AdministrativeMediation = ("administrative_mediation", "行政调解", "administrative mediation"),
        /// 仲裁: labour arbitration, rural land contract arbitration, commercial arbitration.
        Arbitration = ("arbitration", "仲裁", "arbitration"),
        /// 行政复议: review of an administrative decision (land taking, a licence …).
        AdministrativeReview = ("administrative_review", "行政复议", "administrative review"),
        /// 诉讼: a lawsuit at the people's court.
        Litigation = ("litigation", "诉讼", "litigation"),
    }
}

labelled_enum! {
    /// Who a village's mediator is: the 法治带头人 the village keeps on its roster (the world
    /// file's `mediators` layer), any of whom the desk may name to mediate a dispute.
    MediatorRole {
        /// 村干部: a member of the village committee or its Party branch.
        VillageCadre = ("village_cadre", "村干部", "village cadre"),
        /// 法律明白人: a villager trained to explain the law to neighbours.
        LegalLiterate = ("legal_literate", "法律明白人", "legal-literacy volunteer"),
        /// 人民调解员: a member of the village's people's mediation committee.
        PeoplesMediator = ("peoples_mediator", "人民调解员", "people's mediator"),
        /// 乡贤: a respected local figure (retired teacher, cadre, entrepreneur).
        RespectedLocal = ("respected_local", "乡贤", "respected local figure"),
    }
}

/// A person on a village's mediator roster (调解员名册).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mediator {
    /// Stable id within the world.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Who they are.
    pub role: MediatorRole,
    /// The village whose roster lists them.
    pub village: crate::RegionCode,
    /// Phone, as given (shown only to roles that handle cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

labelled_enum! {
    /// How a backlog case is known among leaders (领导包案).
    CaseTag {
        /// 骨头案: hard to crack (many parties, money, old grievances).
        Bone = ("bone", "骨头案", "hard case"),
        /// 钉子案: stuck for years, the parties refusing every solution so far.
        Nail = ("nail", "钉子案", "stuck case"),
    }
}

/// Days before a backlog case's target date at which its leader is reminded.
pub const REMIND_DAYS_BEFORE: i64 = 7;

/// The reminder a leader in charge gets for a case with target date `target` on local day
/// `today`: missed once the day has passed, due soon within [`REMIND_DAYS_BEFORE`] days of it.
///
/// ```
/// use chrono::NaiveDate;
/// use model::desk::{reminder, Reminder};
/// let t = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
/// assert_eq!(reminder(t, NaiveDate::from_ymd_opt(2026, 12, 12).unwrap()), None);
/// assert_eq!(reminder(t, NaiveDate::from_ymd_opt(2026, 12, 13).unwrap()), Some(Reminder::DueSoon));
/// assert_eq!(reminder(t, t), Some(Reminder::DueSoon));
/// assert_eq!(reminder(t, NaiveDate::from_ymd_opt(2026, 12, 21).unwrap()), Some(Reminder::Missed));
/// ```
pub fn reminder(target: chrono::NaiveDate, today: chrono::NaiveDate) -> Option<Reminder> {
    if today > target {
        Some(Reminder::Missed)
    } else if (target - today).num_days() <= REMIND_DAYS_BEFORE {
        Some(Reminder::DueSoon)
    } else {
        None
    }
}

labelled_enum! {
    /// A leader's reminder about a case in their charge.
    Reminder {
        /// The target date is at most 7 days away.
        DueSoon = ("due_soon", "临近化解期限", "target date near"),
        /// The target date has passed.
        Missed = ("missed", "逾期未化解", "target date passed"),
    }
}

/// Days after an agreement of people's mediation within which the parties may apply for its
/// judicial confirmation (司法确认, 《人民调解法》 §33).
pub const CONFIRMATION_APPLY_DAYS: i64 = 30;

impl MediationTrack {
    /// The track a failed mediation climbs to: people's → administrative → judicial → none.
    pub fn next(self) -> Option<MediationTrack> {
        match self {
            Self::Peoples => Some(Self::Administrative),
            Self::Administrative => Some(Self::Judicial),
            Self::Judicial => None,
        }
    }
}

impl DisputeStatus {
    /// Still on the desk: every status but closed and referred (an agreement is open until it
    /// is closed).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Referred)
    }
}

/// Why a desk rule refused a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// `to` does not follow `from` in the dispute loop.
    #[error("a dispute cannot go from {} to {}", from.as_str(), to.as_str())]
    IllegalStep {
        /// Current status.
        from: DisputeStatus,
        /// Requested status.
        to: DisputeStatus,
    },
    /// Escalation was asked for on the judicial track, the last one.
    #[error("judicial mediation is the last track; a dispute that fails there can only be closed")]
    NoHigherTrack,
    /// A dispute was to be closed as referred without naming where it went.
    #[error("name the referral (administrative_mediation, arbitration, administrative_review or litigation)")]
    ReferralMissing,
    /// A referral was named on a change that does not close the dispute as referred.
    #[error("a referral is recorded only when the dispute is closed as referred")]
    ReferralUnexpected,
    /// A judicial confirmation was recorded on a dispute without an agreement of people's
    /// mediation, or a second time.
    #[error("judicial confirmation is recorded once, on an agreement of people's mediation")]
    ConfirmationNotAllowed,
}

/// Checks one status change of a dispute mediated on `track` and returns the track after it:
/// `Some(next track)` when escalating, `None` when the track is unchanged.
///
/// Legal steps: registered → mediating or referred (a party refuses mediation); mediating →
/// agreed or failed; agreed → closed; failed → mediating (again), escalated (to
/// [`MediationTrack::next`] when the parties ask; [`DeskError::NoHigherTrack`] on the judicial
/// track), referred or closed; escalated → mediating. Anything else is
/// [`DeskError::IllegalStep`]. [`check_referral`] checks the referral that goes with it.
///
/// ```
/// use model::desk::{dispute_transition, DeskError, DisputeStatus as S, MediationTrack as T};
/// assert_eq!(dispute_transition(S::Failed, S::Escalated, T::Peoples), Ok(Some(T::Administrative)));
/// assert_eq!(dispute_transition(S::Failed, S::Escalated, T::Judicial), Err(DeskError::NoHigherTrack));
/// assert_eq!(dispute_transition(S::Failed, S::Referred, T::Peoples), Ok(None));
/// assert_eq!(dispute_transition(S::Failed, S::Closed, T::Peoples), Ok(None));
/// assert!(dispute_transition(S::Registered, S::Closed, T::Peoples).is_err());
/// ```
pub fn dispute_transition(
    from: DisputeStatus,
    to: DisputeStatus,
    track: MediationTrack,
) -> Result<Option<MediationTrack>, DeskError> {
    use DisputeStatus as S;
    match (from, to) {
        (S::Registered, S::Mediating)
        | (S::Registered, S::Referred)
        | (S::Mediating, S::Agreed)
        | (S::Mediating, S::Failed)
        | (S::Failed, S::Mediating)
        | (S::Failed, S::Referred)
        | (S::Failed, S::Closed)
        | (S::Escalated, S::Mediating)
        | (S::Agreed, S::Closed) => Ok(None),
        (S::Failed, S::Escalated) => track.next().map(Some).ok_or(DeskError::NoHigherTrack),
        _ => Err(DeskError::IllegalStep { from, to }),
    }
}

/// Checks the referral of a change to `to`: named exactly when the dispute is closed as
/// [`DisputeStatus::Referred`].
///
/// ```
/// use model::desk::{check_referral, DeskError, DisputeStatus as S, Referral};
/// assert_eq!(check_referral(Some(S::Referred), Some(Referral::Litigation)), Ok(()));
/// assert_eq!(check_referral(Some(S::Referred), None), Err(DeskError::ReferralMissing));
/// assert_eq!(check_referral(Some(S::Closed), Some(Referral::Arbitration)), Err(DeskError::ReferralUnexpected));
/// assert_eq!(check_referral(None, None), Ok(()));
/// ```
pub fn check_referral(to: Option<DisputeStatus>, referral: Option<Referral>) -> Result<(), DeskError> {
    match (to == Some(DisputeStatus::Referred), referral.is_some()) {
        (true, false) => Err(DeskError::ReferralMissing),
        (false, true) => Err(DeskError::ReferralUnexpected),
        _ => Ok(()),
    }
}

/// Whether a judicial confirmation (司法确认) may be recorded on a dispute: it reached an
/// agreement (`agreed`) on the people's mediation track and none is recorded yet. Only
/// agreements of people's mediation are confirmed by the court (《人民调解法》 §33).
///
/// ```
/// use model::desk::{confirmation_allowed, MediationTrack as T};
/// assert!(confirmation_allowed(true, T::Peoples, false));
/// assert!(!confirmation_allowed(true, T::Administrative, false));
/// assert!(!confirmation_allowed(false, T::Peoples, false));
/// assert!(!confirmation_allowed(true, T::Peoples, true));
/// ```
pub fn confirmation_allowed(agreed: bool, track: MediationTrack, confirmed: bool) -> bool {
    agreed && track == MediationTrack::Peoples && !confirmed
}

/// How long an open case may stay open before it is a backlog case (积案), in days. Backlog
/// cases are 综治 events (work orders of departments), disputes and petitions; a police 110
/// event open past `event_days` is overdue (超期未结) and shown apart, not as backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogLimits {
    /// For events of both loops; default [`EVENT_BACKLOG_DAYS`] (30).
    pub event_days: i64,
    /// For disputes; default [`DISPUTE_BACKLOG_DAYS`] (60).
    pub dispute_days: i64,
    /// For petitions, from receipt; default [`PETITION_BACKLOG_DAYS`] (75).
    #[serde(default = "petition_backlog_days")]
    pub petition_days: i64,
}

fn petition_backlog_days() -> i64 {
    PETITION_BACKLOG_DAYS
}

impl Default for BacklogLimits {
    fn default() -> Self {
        BacklogLimits {
            event_days: EVENT_BACKLOG_DAYS,
            dispute_days: DISPUTE_BACKLOG_DAYS,
            petition_days: PETITION_BACKLOG_DAYS,
        }
    }
}

/// Whether a case opened at `opened_at` is a backlog case at `now`: it is still `open` and
/// strictly more than `limit_days` × 24 h have passed (at exactly the limit it is not yet).
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use model::desk::is_backlog;
/// let opened = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
/// assert!(!is_backlog(opened, opened + Duration::days(30), 30, true));
/// assert!(is_backlog(opened, opened + Duration::days(30) + Duration::seconds(1), 30, true));
/// assert!(!is_backlog(opened, opened + Duration::days(90), 30, false));
/// ```
pub fn is_backlog(opened_at: DateTime<Utc>, now: DateTime<Utc>, limit_days: i64, open: bool) -> bool {
    // A limit too large for chrono is never reached.
    open && TimeDelta::try_days(limit_days).is_some_and(|limit| now - opened_at > limit)
}

/// Whole days (24 h periods) from `opened_at` to `now`, rounded down; 0 when `opened_at` is later
/// than `now`.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use model::desk::age_days;
/// let opened = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
/// assert_eq!(age_days(opened, opened + Duration::hours(47)), 1);
/// assert_eq!(age_days(opened, opened - Duration::days(3)), 0);
/// ```
pub fn age_days(opened_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - opened_at).num_days().max(0)
}

/// The age band of a case `age_days` old, for backlog clearance (积案清零) reports: 0 under 90
/// days, 1 for 90–179, 2 for 180–364, 3 for 365 days or more (negative ages count as 0).
///
/// ```
/// use model::desk::{age_band, age_band_label_en};
/// assert_eq!(age_band(89), 0);
/// assert_eq!(age_band(365), 3);
/// assert_eq!(age_band_label_en(age_band(200)), "180–364 days");
/// ```
pub fn age_band(age_days: i64) -> u8 {
    match age_days {
        i64::MIN..90 => 0,
        90..180 => 1,
        180..365 => 2,
        _ => 3,
    }
}

/// Chinese UI label of an [`age_band`] (bands above 3 are labelled as 3).
pub fn age_band_label_zh(band: u8) -> &'static str {
    match band {
        0 => "不足90天",
        1 => "90–179天",
        2 => "180–364天",
        _ => "一年及以上",
    }
}

/// English UI label of an [`age_band`] (bands above 3 are labelled as 3).
pub fn age_band_label_en(band: u8) -> &'static str {
    match band {
        0 => "under 90 days",
        1 => "90–179 days",
        2 => "180–364 days",
        _ => "a year or more",
    }
}

/// When the officer's next visit to a village is due: `every_days` × 24 h after the later of the
/// last visit and the officer's assignment to the village (a new officer's clock starts at the
/// assignment; a visit before it, by the previous officer, does not count). A visit recorded
/// after `now` (a mistyped or clock-skewed entry) is ignored. `None` when `every_days` is not
/// positive (no visits scheduled) or the date is beyond chrono's range.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use model::desk::{visit_due, VISIT_EVERY_DAYS};
/// let assigned = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let visited = assigned + Duration::days(2);
/// let now = assigned + Duration::days(4);
/// assert_eq!(visit_due(None, assigned, now, VISIT_EVERY_DAYS), Some(assigned + Duration::days(7)));
/// assert_eq!(visit_due(Some(visited), assigned, now, VISIT_EVERY_DAYS), Some(visited + Duration::days(7)));
/// ```
pub fn visit_due(
    last_visit: Option<DateTime<Utc>>,
    assigned_at: DateTime<Utc>,
    now: DateTime<Utc>,
    every_days: i64,
) -> Option<DateTime<Utc>> {
    if every_days <= 0 {
        return None;
    }
    let since = last_visit.filter(|&v| v <= now).map_or(assigned_at, |v| v.max(assigned_at));
    since.checked_add_signed(TimeDelta::try_days(every_days)?)
}

/// Whether the next visit ([`visit_due`]) is overdue at `now`: strictly after the due time.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use model::desk::is_visit_overdue;
/// let assigned = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// assert!(!is_visit_overdue(None, assigned, assigned + Duration::days(7), 7));
/// assert!(is_visit_overdue(None, assigned, assigned + Duration::days(8), 7));
/// ```
pub fn is_visit_overdue(
    last_visit: Option<DateTime<Utc>>,
    assigned_at: DateTime<Utc>,
    now: DateTime<Utc>,
    every_days: i64,
) -> bool {
    visit_due(last_visit, assigned_at, now, every_days).is_some_and(|due| now > due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    /// Whether `s` has a CJK ideograph.
    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()
    }

    #[test]
    fn names_round_trip_and_every_value_has_both_labels() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
            zh: fn(T) -> &'static str,
            en: fn(T) -> &'static str,
        ) {
            let mut names = std::collections::HashSet::new();
            for &v in all {
                let name = as_str(v);
                assert!(names.insert(name), "{name} twice");
                assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name} is not snake_case");
                assert_eq!(parse(name), Some(v));
                assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
                assert_eq!(serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(), v);
                assert!(has_han(zh(v)), "{name}: Chinese label {:?}", zh(v));
                assert!(!en(v).is_empty() && !has_han(en(v)), "{name}: English label {:?}", en(v));
            }
            assert_eq!(parse("nonsense"), None);
            assert_eq!(parse(""), None);
        }
        check(DisputeKind::ALL, DisputeKind::as_str, DisputeKind::parse, DisputeKind::label_zh, DisputeKind::label_en);
        check(
            MediationTrack::ALL,
            MediationTrack::as_str,
            MediationTrack::parse,
            MediationTrack::label_zh,
            MediationTrack::label_en,
        );
        check(
            DisputeStatus::ALL,
            DisputeStatus::as_str,
            DisputeStatus::parse,
            DisputeStatus::label_zh,
            DisputeStatus::label_en,
        );
        check(Referral::ALL, Referral::as_str, Referral::parse, Referral::label_zh, Referral::label_en);
        assert_eq!(DisputeKind::ALL.len(), 11);
        assert_eq!(DisputeStatus::ALL.len(), 7);
        assert_eq!(DisputeKind::Land.label_zh(), "土地承包");
        assert_eq!(DisputeKind::parse("water"), Some(DisputeKind::Water));
        assert_eq!(DisputeKind::parse("land"), Some(DisputeKind::Land), "records of before keep their kind");
        assert_eq!(MediationTrack::Peoples.as_str(), "peoples");
        assert_eq!(DisputeStatus::Escalated.label_zh(), "已移交上级调解");
        assert!(serde_json::from_str::<DisputeKind>("\"Neighbour\"").is_err());
    }

    #[test]
    fn tracks_are_linked_peoples_administrative_judicial() {
        assert_eq!(MediationTrack::Peoples.next(), Some(MediationTrack::Administrative));
        assert_eq!(MediationTrack::Administrative.next(), Some(MediationTrack::Judicial));
        assert_eq!(MediationTrack::Judicial.next(), None);
        let open: Vec<_> = DisputeStatus::ALL.iter().filter(|s| s.is_open()).collect();
        assert_eq!(open.len(), 5);
        assert!(!DisputeStatus::Closed.is_open());
        assert!(!DisputeStatus::Referred.is_open());
        assert!(DisputeStatus::Agreed.is_open());
        assert!(DisputeStatus::Failed.is_open());
    }

    #[test]
    fn every_pair_of_statuses_on_every_track() {
        use DisputeStatus as S;
        use MediationTrack as T;
        let plain = [
            (S::Registered, S::Mediating),
            (S::Registered, S::Referred),
            (S::Mediating, S::Agreed),
            (S::Mediating, S::Failed),
            (S::Failed, S::Mediating),
            (S::Failed, S::Referred),
            (S::Failed, S::Closed),
            (S::Escalated, S::Mediating),
            (S::Agreed, S::Closed),
        ];
        let mut illegal = 0;
        for &track in T::ALL {
            for &from in S::ALL {
                for &to in S::ALL {
                    let got = dispute_transition(from, to, track);
                    let want = if plain.contains(&(from, to)) {
                        Ok(None)
                    } else if (from, to) == (S::Failed, S::Escalated) {
                        track.next().map(Some).ok_or(DeskError::NoHigherTrack)
                    } else {
                        illegal += 1;
                        Err(DeskError::IllegalStep { from, to })
                    };
                    assert_eq!(got, want, "{from:?} → {to:?} on {track:?}");
                }
            }
        }
        // 49 pairs, 10 of them steps of the loop, on each of 3 tracks.
        assert_eq!(illegal, 3 * (49 - 10));
        // Nothing leaves closed or referred, nothing stays put.
        for &s in S::ALL {
            assert!(dispute_transition(s, s, T::Peoples).is_err());
            assert!(dispute_transition(S::Closed, s, T::Judicial).is_err());
            assert!(dispute_transition(S::Referred, s, T::Peoples).is_err());
        }
        let msg = dispute_transition(S::Registered, S::Closed, T::Peoples).unwrap_err().to_string();
        assert_eq!(msg, "a dispute cannot go from registered to closed");
        // No ladder: a failed people's mediation may close, or be referred, on its own track.
        assert_eq!(dispute_transition(S::Failed, S::Closed, T::Peoples), Ok(None));
        assert_eq!(dispute_transition(S::Failed, S::Referred, T::Administrative), Ok(None));
    }

    #[test]
    fn a_referral_goes_with_referred_and_nothing_else() {
        for &to in DisputeStatus::ALL {
            for referral in std::iter::once(None).chain(Referral::ALL.iter().copied().map(Some)) {
                let got = check_referral(Some(to), referral);
                let want = match (to == DisputeStatus::Referred, referral) {
                    (true, None) => Err(DeskError::ReferralMissing),
                    (false, Some(_)) => Err(DeskError::ReferralUnexpected),
                    _ => Ok(()),
                };
                assert_eq!(got, want, "{to:?} with {referral:?}");
            }
        }
        assert_eq!(check_referral(None, Some(Referral::Litigation)), Err(DeskError::ReferralUnexpected));
        assert_eq!(Referral::ALL.len(), 4);
        assert_eq!(Referral::AdministrativeReview.label_zh(), "行政复议");
        assert!(DeskError::ReferralMissing.to_string().contains("litigation"));
    }

    #[test]
    fn only_a_peoples_agreement_is_confirmed_and_only_once() {
        for &track in MediationTrack::ALL {
            for agreed in [false, true] {
                for confirmed in [false, true] {
                    let want = agreed && !confirmed && track == MediationTrack::Peoples;
                    assert_eq!(confirmation_allowed(agreed, track, confirmed), want, "{track:?} {agreed} {confirmed}");
                }
            }
        }
    }

    #[test]
    fn a_dispute_may_walk_all_three_tracks_when_the_parties_ask() {
        use DisputeStatus as S;
        let mut track = MediationTrack::Peoples;
        let mut status = S::Registered;
        let mut walk = |to: S, track: &mut MediationTrack| {
            let next = dispute_transition(status, to, *track)?;
            if let Some(t) = next {
                *track = t;
            }
            status = to;
            Ok::<_, DeskError>(())
        };
        walk(S::Mediating, &mut track).unwrap();
        for expected in [MediationTrack::Administrative, MediationTrack::Judicial] {
            walk(S::Failed, &mut track).unwrap();
            walk(S::Escalated, &mut track).unwrap();
            assert_eq!(track, expected);
            walk(S::Mediating, &mut track).unwrap();
        }
        walk(S::Failed, &mut track).unwrap();
        assert_eq!(walk(S::Escalated, &mut track), Err(DeskError::NoHigherTrack));
        walk(S::Referred, &mut track).unwrap();
        assert_eq!(track, MediationTrack::Judicial);
    }

    #[test]
    fn backlog_starts_strictly_after_the_limit_and_only_while_open() {
        let limits = BacklogLimits::default();
        assert_eq!(limits, BacklogLimits { event_days: 30, dispute_days: 60, petition_days: 75 });
        let opened = t0();
        let at = |d: i64, s: i64| opened + Duration::days(d) + Duration::seconds(s);
        assert!(!is_backlog(opened, at(30, -1), limits.event_days, true));
        assert!(!is_backlog(opened, at(30, 0), limits.event_days, true));
        assert!(is_backlog(opened, at(30, 1), limits.event_days, true));
        assert!(!is_backlog(opened, at(30, 1), limits.event_days, false));
        assert!(!is_backlog(opened, at(60, 0), limits.dispute_days, true));
        assert!(is_backlog(opened, at(60, 1), limits.dispute_days, true));
        assert!(!is_backlog(opened, at(-5, 0), 0, true), "opened in the future");
        assert!(is_backlog(opened, at(0, 1), 0, true));
        assert!(!is_backlog(opened, at(10_000, 0), i64::MAX, true), "an unreachable limit");
        // Whole days, rounded down.
        assert_eq!(age_days(opened, at(0, 0)), 0);
        assert_eq!(age_days(opened, at(1, -1)), 0);
        assert_eq!(age_days(opened, at(1, 0)), 1);
        assert_eq!(age_days(opened, at(30, 1)), 30);
        assert_eq!(age_days(opened, at(-2, 0)), 0);
    }

    #[test]
    fn age_bands_change_at_90_180_and_365_days() {
        let cases = [(-1, 0), (0, 0), (89, 0), (90, 1), (179, 1), (180, 2), (364, 2), (365, 3), (10_000, 3)];
        for (days, band) in cases {
            assert_eq!(age_band(days), band, "{days} days");
        }
        assert_eq!(age_band(i64::MIN), 0);
        assert_eq!(age_band(i64::MAX), 3);
        let mut zh = std::collections::HashSet::new();
        let mut en = std::collections::HashSet::new();
        for band in 0..AGE_BANDS {
            assert!(zh.insert(age_band_label_zh(band)) && en.insert(age_band_label_en(band)));
            assert!(has_han(age_band_label_zh(band)) && !has_han(age_band_label_en(band)), "band {band}");
        }
        assert_eq!(age_band_label_en(9), age_band_label_en(3));
        assert_eq!(age_band_label_zh(0), "不足90天");
    }

    #[test]
    fn visits_are_due_a_period_after_the_later_of_visit_and_assignment() {
        let assigned = t0();
        let now = assigned + Duration::days(5);
        let week = Duration::days(VISIT_EVERY_DAYS);
        assert_eq!(visit_due(None, assigned, now, VISIT_EVERY_DAYS), Some(assigned + week));
        let visited = assigned + Duration::days(3);
        assert_eq!(visit_due(Some(visited), assigned, now, VISIT_EVERY_DAYS), Some(visited + week));
        // A visit before the assignment (by the previous officer) does not count.
        let before = assigned - Duration::days(3);
        assert_eq!(visit_due(Some(before), assigned, now, VISIT_EVERY_DAYS), Some(assigned + week));
        // Nor does a visit recorded in the future; one exactly at `now` does.
        assert_eq!(visit_due(Some(now + Duration::seconds(1)), assigned, now, VISIT_EVERY_DAYS), Some(assigned + week));
        assert_eq!(visit_due(Some(now), assigned, now, VISIT_EVERY_DAYS), Some(now + week));
        assert_eq!(visit_due(None, assigned, now, 0), None);
        assert_eq!(visit_due(None, assigned, now, -7), None);
        assert_eq!(visit_due(None, assigned, now, i64::MAX), None);
        assert_eq!(visit_due(None, assigned, now, 1_000_000_000), None, "beyond chrono's range");
        // Overdue strictly after the due time.
        let due = visited + week;
        let overdue = |at: DateTime<Utc>| is_visit_overdue(Some(visited), assigned, at, VISIT_EVERY_DAYS);
        assert!(!overdue(due - Duration::seconds(1)));
        assert!(!overdue(due));
        assert!(overdue(due + Duration::seconds(1)));
        assert!(!is_visit_overdue(None, assigned, assigned + Duration::days(365), 0), "nothing scheduled");
        assert!(!is_visit_overdue(None, assigned, assigned + Duration::days(14), 14));
        assert!(is_visit_overdue(None, assigned, assigned + Duration::days(15), 14));
    }
}
