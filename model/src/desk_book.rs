//! The village desk's records (一村一警), folded from the live log: who covers each village (with
//! its history), the officers' visits, the disputes with their mediation sessions and status
//! history, and the notes on backlog cases (leader in charge, target date, progress).
//!
//! Every desk write is one live-log event of a [`LiveKind::DESK`] kind, so every instance folds
//! the same records in `seq` order, and the log is the history. Pure: events in, state out;
//! applying an event twice, or an older event about a subject after a newer one, changes nothing.
//! A dispute change that the rules of [`crate::desk::dispute_transition`] refuse is ignored (the
//! store checks it before writing; the fold checks again so the state never breaks a rule).

use crate::code::RegionCode;
use crate::desk::{
    DisputeKind, DisputeStatus, MediationTrack, Referral, check_referral, confirmation_allowed, dispute_transition,
};
use crate::live::{LiveEvent, LiveKind};
use crate::petition::{
    Channel, PetitionKind, PetitionStatus, Petitioner, ReceptionKind, check_request, extension_allowed,
    petition_transition,
};
use crate::scorecard::Month;
use crate::screening::ScreeningReport;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// `assignment` data: a village's officer changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentChange {
    /// The village.
    pub village: RegionCode,
    /// Its officer from now on (`None`: uncovered).
    pub officer: Option<u64>,
    /// Its officer before.
    pub previous: Option<u64>,
    /// Why (optional).
    #[serde(default)]
    pub note: String,
    /// Who decided (username).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// `visit` data: one visit of a village officer (走访).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// The officer.
    pub officer: u64,
    /// The village visited.
    pub village: RegionCode,
    /// When the visit took place.
    pub visited_at: DateTime<Utc>,
    /// Where (a household, a shop, the village committee …).
    pub place: String,
    /// Whom the officer met.
    pub people_met: String,
    /// What was found or done.
    pub notes: String,
    /// Where, as WGS84 lon/lat, if recorded.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// The MIME type of the photo stored with the record, if one is.
    pub photo: Option<String>,
    /// Who recorded it (username).
    pub by: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// `dispute` data: a dispute registered at the desk (矛盾纠纷登记).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDispute {
    /// The village where it arose.
    pub village: RegionCode,
    /// What it is about.
    pub kind: DisputeKind,
    /// The mediation track it starts on.
    pub track: MediationTrack,
    /// A short title.
    pub title: String,
    /// The parties.
    pub parties: String,
    /// What happened.
    pub summary: String,
    /// The mediator in charge.
    pub mediator: String,
    /// Their entry on the village's roster (调解员名册), when they are on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator_id: Option<u64>,
    /// An incident it came from, if any.
    pub incident: Option<u64>,
    /// 诉调对接: the court's reference (案号) when the people's court referred the case to
    /// mediation (委派/委托调解); `None` for a dispute brought to the desk.
    #[serde(default)]
    pub court_reference: Option<String>,
    /// When it arose (at or before `at`).
    pub opened_at: DateTime<Utc>,
    /// Who registered it (username).
    pub by: String,
    /// When it was registered.
    pub at: DateTime<Utc>,
}

/// A mediation session (调解会).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationSession {
    /// When it was held.
    pub held_at: DateTime<Utc>,
    /// Who mediated.
    pub mediator: String,
    /// What was said and agreed.
    pub notes: String,
}

/// A people's court's judicial confirmation (司法确认) of a mediation agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudicialConfirmation {
    /// The court (e.g. 凉州区人民法院).
    pub court: String,
    /// The ruling's reference (案号).
    pub reference: String,
    /// The day of the ruling (China calendar).
    pub confirmed_on: NaiveDate,
}

/// `dispute_changed` data: a status change, a session, a judicial confirmation, or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeChange {
    /// The dispute.
    pub id: u64,
    /// The new status (`None`: a session or note only).
    pub to: Option<DisputeStatus>,
    /// A session held.
    pub session: Option<MediationSession>,
    /// The agreement (on `agreed`) or why mediation failed or the case closed.
    #[serde(default)]
    pub outcome: String,
    /// A new mediator in charge (on escalation, usually).
    pub mediator: Option<String>,
    /// With `mediator`: their entry on the village's roster, when they are on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator_id: Option<u64>,
    /// Where the parties took it, when `to` is `referred` (and only then).
    #[serde(default)]
    pub referral: Option<Referral>,
    /// The court's confirmation of the agreement, when recorded by this change.
    #[serde(default)]
    pub confirmation: Option<JudicialConfirmation>,
    /// Who (username).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a backlog case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOrigin {
    /// An event (incident) of the event loop.
    Event,
    /// A dispute.
    Dispute,
    /// A petition (信访).
    Petition,
}

impl CaseOrigin {
    /// Every origin.
    pub const ALL: [CaseOrigin; 3] = [CaseOrigin::Event, CaseOrigin::Dispute, CaseOrigin::Petition];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseOrigin::Event => "event",
            CaseOrigin::Dispute => "dispute",
            CaseOrigin::Petition => "petition",
        }
    }

    /// Parses the API name.
    pub fn parse(s: &str) -> Option<CaseOrigin> {
        CaseOrigin::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// `backlog_case` data: an update of a backlog case (积案).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacklogUpdate {
    /// An event or a dispute.
    pub origin: CaseOrigin,
    /// Its id.
    pub id: u64,
    /// The leader who takes personal charge (领导包案), if set by this update: how the case
    /// names them (title and name).
    pub leader_in_charge: Option<String>,
    /// The leader's account (username), if set by this update: the case is on their
    /// `/api/my-cases` and they are reminded of its target date.
    #[serde(default)]
    pub leader_user: Option<String>,
    /// 骨头案 or 钉子案, if set by this update.
    #[serde(default)]
    pub tag: Option<crate::desk::CaseTag>,
    /// The department responsible beside the local region (压实部门责任), if set by this update.
    #[serde(default)]
    pub department: Option<String>,
    /// The date it is to be cleared by, if set by this update.
    pub target_date: Option<NaiveDate>,
    /// A progress note.
    #[serde(default)]
    pub note: String,
    /// A reminder of the target date the server raised for the leader in charge (then nothing
    /// else is set, and `by` is [`REMINDER_BY`]); kept so that each is raised once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<crate::desk::Reminder>,
    /// Who (username).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Who the server's own reminders are recorded by.
pub const REMINDER_BY: &str = "safegrid";

/// A village's current officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assigned {
    /// The officer (`None`: uncovered).
    pub officer: Option<u64>,
    /// Since when (`None`: since before the log, i.e. from the store's roster).
    pub since: Option<DateTime<Utc>>,
    /// `seq` of the change (0: the roster).
    pub seq: u64,
}

/// A dispute as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputeRecord {
    /// Id.
    pub id: u64,
    /// As registered.
    pub registered: NewDispute,
    /// Current status.
    pub status: DisputeStatus,
    /// Current track.
    pub track: MediationTrack,
    /// Current mediator.
    pub mediator: String,
    /// The current mediator's roster entry, when they are on the village's roster.
    pub mediator_id: Option<u64>,
    /// Sessions held, oldest first.
    pub sessions: Vec<MediationSession>,
    /// Every change, oldest first, with its `seq`.
    pub changes: Vec<(u64, DisputeChange)>,
    /// When it was closed (or closed as referred).
    pub closed_at: Option<DateTime<Utc>>,
    /// When the parties reached an agreement, if they did.
    pub agreed_at: Option<DateTime<Utc>>,
    /// Where the parties took it, when closed as referred.
    pub referral: Option<Referral>,
    /// The court's confirmation of the agreement, if recorded.
    pub confirmation: Option<JudicialConfirmation>,
    /// The latest outcome text.
    pub outcome: String,
    /// `seq` of the latest event about it: a writer must name it to change the dispute.
    pub version: u64,
}

/// The notes on one backlog case.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaseFile {
    /// The leader in charge, latest set.
    pub leader_in_charge: Option<String>,
    /// The leader's account, latest set.
    pub leader_user: Option<String>,
    /// 骨头案 / 钉子案, latest set.
    pub tag: Option<crate::desk::CaseTag>,
    /// The responsible department, latest set.
    pub department: Option<String>,
    /// The target date, latest set.
    pub target_date: Option<NaiveDate>,
    /// Every update people wrote, oldest first, with its `seq`.
    pub updates: Vec<(u64, BacklogUpdate)>,
    /// The reminders raised, each with the target date it was about, oldest first.
    pub reminded: Vec<(crate::desk::Reminder, NaiveDate)>,
    /// The `seq` of the newest update, reminders included (0: none).
    pub last_seq: u64,
}

impl CaseFile {
    /// The reminder to raise for this case on local day `today`: the one the target date calls
    /// for ([`crate::desk::reminder`]) when a leader's account is in charge and it was not yet
    /// raised for this target date. A target date moved later calls for its own reminders.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use model::desk::Reminder;
    /// use model::desk_book::CaseFile;
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    /// let mut f = CaseFile { leader_user: Some("leader".into()), target_date: Some(day(20)), ..CaseFile::default() };
    /// assert_eq!(f.reminder_to_raise(day(12)), None);
    /// assert_eq!(f.reminder_to_raise(day(15)), Some(Reminder::DueSoon));
    /// f.reminded.push((Reminder::DueSoon, day(20)));
    /// assert_eq!(f.reminder_to_raise(day(16)), None);
    /// assert_eq!(f.reminder_to_raise(day(21)), Some(Reminder::Missed));
    /// ```
    pub fn reminder_to_raise(&self, today: NaiveDate) -> Option<crate::desk::Reminder> {
        self.leader_user.as_ref()?;
        let target = self.target_date?;
        let due = crate::desk::reminder(target, today)?;
        (!self.reminded.contains(&(due, target))).then_some(due)
    }
}

/// `petition` data: a petition registered (信访登记; subject: the petition id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPetition {
    /// The village it comes from.
    pub village: RegionCode,
    /// How it came in.
    pub channel: Channel,
    /// What it is about.
    pub kind: PetitionKind,
    /// The petitioners named.
    pub petitioners: Vec<Petitioner>,
    /// How many came (集体访 at [`crate::petition::COLLECTIVE_HEADCOUNT`] or more).
    pub headcount: u32,
    /// The matter, in a line.
    pub matter: String,
    /// What they ask and why.
    #[serde(default)]
    pub summary: String,
    /// The petition it repeats (重复信访).
    pub repeat_of: Option<u64>,
    /// A desk dispute it concerns.
    pub dispute: Option<u64>,
    /// An incident it concerns.
    pub incident: Option<u64>,
    /// The leader's reception (接访下访) where it was received.
    #[serde(default)]
    pub reception: Option<u64>,
    /// When it was received (the acceptance clock starts here).
    pub received_at: DateTime<Utc>,
    /// Who registered it (username).
    pub by: String,
    /// When it was registered.
    pub at: DateTime<Utc>,
}

/// `reception` data: a leader's reception or visit of petitioners (接访下访; subject: its id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reception {
    /// The leader, as the calendar names them (职务 and name, e.g. 县委书记 张某).
    pub leader: String,
    /// 接访 or 下访.
    pub kind: ReceptionKind,
    /// When it takes (or took) place.
    pub held_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// The region it serves (a county for a county leader's 接访, the township or village visited).
    pub region: RegionCode,
    /// What came of it.
    #[serde(default)]
    pub notes: String,
    /// Who recorded it (username).
    pub by: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// `petition_changed` data: a step, an extension, a note, or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionChange {
    /// The petition.
    pub id: u64,
    /// The new status (`None`: an extension or a note only).
    pub to: Option<PetitionStatus>,
    /// With `assigned`: the region handling it.
    pub assigned_region: Option<RegionCode>,
    /// With `assigned`: the department handling it.
    pub assigned_department: Option<String>,
    /// The one extension of the answer's deadline, with its reason.
    pub extension_reason: Option<String>,
    /// The opinion, answer, reason or note.
    #[serde(default)]
    pub note: String,
    /// Who (username).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A petition as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PetitionRecord {
    /// Id.
    pub id: u64,
    /// As registered.
    pub registered: NewPetition,
    /// Current status.
    pub status: PetitionStatus,
    /// When the current status was entered (the receipt, for `registered`).
    pub stage_began: DateTime<Utc>,
    /// When it was accepted (the answer's clock).
    pub accepted_at: Option<DateTime<Utc>>,
    /// Why the answer's deadline was extended, if it was.
    pub extension_reason: Option<String>,
    /// The region it was assigned to.
    pub assigned_region: Option<RegionCode>,
    /// The department it was assigned to.
    pub assigned_department: Option<String>,
    /// The latest opinion (answer, review, re-check, refusal).
    pub opinion: String,
    /// When it was finished.
    pub closed_at: Option<DateTime<Utc>>,
    /// Every change, oldest first, with its `seq`.
    pub changes: Vec<(u64, PetitionChange)>,
    /// `seq` of the latest event about it.
    pub version: u64,
}

/// A village's screening of a month as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningRecord {
    /// The latest version.
    pub report: ScreeningReport,
    /// When it was first filed (what on-time is judged by).
    pub first_filed_at: DateTime<Utc>,
    /// How many times it was filed (1: never corrected).
    pub versions: u32,
    /// `seq` of the latest version: a correction must name it.
    pub version: u64,
}

/// The desk's records.
#[derive(Debug, Clone, Default)]
pub struct DeskBook {
    assigned: BTreeMap<RegionCode, Assigned>,
    history: BTreeMap<u64, AssignmentChange>,
    visits: BTreeMap<u64, Visit>,
    last_visit: HashMap<RegionCode, DateTime<Utc>>,
    disputes: BTreeMap<u64, DisputeRecord>,
    cases: BTreeMap<(CaseOrigin, u64), CaseFile>,
    campaigns: BTreeMap<u64, crate::campaign::Campaign>,
    screenings: BTreeMap<(RegionCode, Month), ScreeningRecord>,
    petitions: BTreeMap<u64, PetitionRecord>,
    receptions: BTreeMap<u64, Reception>,
    /// Per county, its newest trials (seq, trial), oldest first, at most
    /// [`crate::forecast_trial::TRIALS_KEPT`].
    trials: BTreeMap<RegionCode, Vec<(u64, crate::forecast_trial::ForecastTrial)>>,
}

impl DeskBook {
    /// The records before any desk event: the store's roster of (village, officer).
    pub fn new(roster: impl IntoIterator<Item = (RegionCode, u64)>) -> DeskBook {
        let assigned =
            roster.into_iter().map(|(v, o)| (v, Assigned { officer: Some(o), since: None, seq: 0 })).collect();
        DeskBook { assigned, ..DeskBook::default() }
    }

    /// Folds one event in; `true` if it changed anything. Events of other kinds, unreadable
    /// data, repeats and stale events change nothing.
    pub fn apply(&mut self, e: &LiveEvent) -> bool {
        let data = e.event.data.as_str();
        match e.event.kind {
            LiveKind::Assignment => {
                let Ok(a) = serde_json::from_str::<AssignmentChange>(data) else { return false };
                if self.assigned.get(&a.village).is_some_and(|held| held.seq >= e.seq) {
                    return false;
                }
                self.assigned.insert(a.village, Assigned { officer: a.officer, since: Some(a.at), seq: e.seq });
                self.history.insert(e.seq, a);
                true
            }
            LiveKind::Visit => {
                let Ok(v) = serde_json::from_str::<Visit>(data) else { return false };
                if self.visits.contains_key(&e.seq) {
                    return false;
                }
                let last = self.last_visit.entry(v.village).or_insert(v.visited_at);
                *last = (*last).max(v.visited_at);
                self.visits.insert(e.seq, v);
                true
            }
            LiveKind::Dispute => {
                let Ok(d) = serde_json::from_str::<NewDispute>(data) else { return false };
                let id = e.event.subject;
                if self.disputes.contains_key(&id) {
                    return false;
                }
                let record = DisputeRecord {
                    id,
                    status: DisputeStatus::Registered,
                    track: d.track,
                    mediator: d.mediator.clone(),
                    mediator_id: d.mediator_id,
                    sessions: Vec::new(),
                    changes: Vec::new(),
                    closed_at: None,
                    agreed_at: None,
                    referral: None,
                    confirmation: None,
                    outcome: String::new(),
                    version: e.seq,
                    registered: d,
                };
                self.disputes.insert(id, record);
                true
            }
            LiveKind::DisputeChanged => {
                let Ok(c) = serde_json::from_str::<DisputeChange>(data) else { return false };
                let Some(d) = self.disputes.get_mut(&e.event.subject) else { return false };
                if d.version >= e.seq {
                    return false;
                }
                if check_referral(c.to, c.referral).is_err() {
                    return false;
                }
                let mut next = None;
                if let Some(to) = c.to {
                    let Ok(track) = dispute_transition(d.status, to, d.track) else { return false };
                    next = track;
                }
                // A confirmation needs the agreement, reached before or by this very change.
                if c.confirmation.is_some() {
                    let agreed = d.agreed_at.is_some() || c.to == Some(DisputeStatus::Agreed);
                    if !confirmation_allowed(agreed, d.track, d.confirmation.is_some()) {
                        return false;
                    }
                }
                if let Some(to) = c.to {
                    d.status = to;
                    if let Some(track) = next {
                        d.track = track;
                    }
                    match to {
                        DisputeStatus::Agreed => d.agreed_at = Some(c.at),
                        DisputeStatus::Closed | DisputeStatus::Referred => d.closed_at = Some(c.at),
                        _ => {}
                    }
                    if c.referral.is_some() {
                        d.referral = c.referral;
                    }
                }
                if let Some(j) = &c.confirmation {
                    d.confirmation = Some(j.clone());
                }
                if let Some(s) = &c.session {
                    d.sessions.push(s.clone());
                }
                if let Some(m) = &c.mediator {
                    d.mediator = m.clone();
                    d.mediator_id = c.mediator_id;
                }
                if !c.outcome.is_empty() {
                    d.outcome = c.outcome.clone();
                }
                d.version = e.seq;
                d.changes.push((e.seq, c));
                true
            }
            LiveKind::BacklogCase => {
                let Ok(u) = serde_json::from_str::<BacklogUpdate>(data) else { return false };
                let file = self.cases.entry((u.origin, u.id)).or_default();
                if file.last_seq >= e.seq {
                    return false;
                }
                file.last_seq = e.seq;
                if let Some(r) = u.reminder {
                    if let Some(t) = file.target_date {
                        file.reminded.push((r, t));
                    }
                    return true;
                }
                if let Some(l) = &u.leader_in_charge {
                    file.leader_in_charge = Some(l.clone());
                }
                if let Some(l) = &u.leader_user {
                    file.leader_user = Some(l.clone());
                }
                if let Some(t) = u.tag {
                    file.tag = Some(t);
                }
                if let Some(d) = &u.department {
                    file.department = Some(d.clone());
                }
                if let Some(t) = u.target_date {
                    file.target_date = Some(t);
                }
                file.updates.push((e.seq, u));
                true
            }
            LiveKind::Petition => {
                let Ok(p) = serde_json::from_str::<NewPetition>(data) else { return false };
                let id = e.event.subject;
                if self.petitions.contains_key(&id) {
                    return false;
                }
                let record = PetitionRecord {
                    id,
                    status: PetitionStatus::Registered,
                    stage_began: p.received_at,
                    accepted_at: None,
                    extension_reason: None,
                    assigned_region: None,
                    assigned_department: None,
                    opinion: String::new(),
                    closed_at: None,
                    changes: Vec::new(),
                    version: e.seq,
                    registered: p,
                };
                self.petitions.insert(id, record);
                true
            }
            LiveKind::Reception => {
                let Ok(r) = serde_json::from_str::<Reception>(data) else { return false };
                if self.receptions.contains_key(&e.event.subject) {
                    return false;
                }
                self.receptions.insert(e.event.subject, r);
                true
            }
            LiveKind::PetitionChanged => {
                let Ok(c) = serde_json::from_str::<PetitionChange>(data) else { return false };
                let Some(p) = self.petitions.get_mut(&e.event.subject) else { return false };
                if p.version >= e.seq {
                    return false;
                }
                if let Some(to) = c.to
                    && (petition_transition(p.status, to).is_err() || check_request(to, p.stage_began, c.at).is_err())
                {
                    return false;
                }
                if c.extension_reason.is_some()
                    && !extension_allowed(c.to.unwrap_or(p.status), p.extension_reason.is_some())
                {
                    return false;
                }
                if let Some(to) = c.to {
                    p.status = to;
                    p.stage_began = c.at;
                    if to == PetitionStatus::Accepted {
                        p.accepted_at = Some(c.at);
                    }
                    if to == PetitionStatus::Assigned {
                        p.assigned_region = c.assigned_region.or(p.assigned_region);
                        p.assigned_department = c.assigned_department.clone().or(p.assigned_department.take());
                    }
                    if !to.is_open() {
                        p.closed_at = Some(c.at);
                    }
                    if !c.note.is_empty()
                        && matches!(
                            to,
                            PetitionStatus::NotAccepted
                                | PetitionStatus::Answered
                                | PetitionStatus::Reviewed
                                | PetitionStatus::Rechecked
                        )
                    {
                        p.opinion = c.note.clone();
                    }
                }
                if let Some(reason) = &c.extension_reason {
                    p.extension_reason = Some(reason.clone());
                }
                p.version = e.seq;
                p.changes.push((e.seq, c));
                true
            }
            LiveKind::Screening => {
                let Ok(r) = serde_json::from_str::<ScreeningReport>(data) else { return false };
                if e.event.subject != crate::screening::subject(r.village, r.month)
                    || crate::screening::check(r.month, r.zero_report, &r.disputes, r.at).is_err()
                {
                    return false;
                }
                match self.screenings.get_mut(&(r.village, r.month)) {
                    Some(held) if held.version >= e.seq => false,
                    Some(held) => {
                        held.report = r;
                        held.versions += 1;
                        held.version = e.seq;
                        true
                    }
                    None => {
                        let record = ScreeningRecord { first_filed_at: r.at, versions: 1, version: e.seq, report: r };
                        self.screenings.insert((record.report.village, record.report.month), record);
                        true
                    }
                }
            }
            LiveKind::ForecastTrial => {
                let Ok(t) = serde_json::from_str::<crate::forecast_trial::ForecastTrial>(data) else { return false };
                if e.event.subject != t.county.as_u64() || !t.is_sound() {
                    return false;
                }
                let held = self.trials.entry(t.county).or_default();
                if held.last().is_some_and(|(seq, _)| *seq >= e.seq) {
                    return false;
                }
                held.push((e.seq, t));
                if held.len() > crate::forecast_trial::TRIALS_KEPT {
                    held.remove(0);
                }
                true
            }
            LiveKind::Campaign => {
                let Ok(c) = serde_json::from_str::<crate::campaign::Campaign>(data) else { return false };
                if self.campaigns.contains_key(&e.event.subject) {
                    return false;
                }
                self.campaigns.insert(e.event.subject, c);
                true
            }
            _ => false,
        }
    }

    /// A county's newest forecast trial and its version (the event's seq).
    pub fn latest_trial(&self, county: RegionCode) -> Option<(u64, &crate::forecast_trial::ForecastTrial)> {
        self.trials.get(&county)?.last().map(|(seq, t)| (*seq, t))
    }

    /// A county's trials kept in memory, newest first.
    pub fn trials(&self, county: RegionCode) -> impl Iterator<Item = (u64, &crate::forecast_trial::ForecastTrial)> {
        self.trials.get(&county).into_iter().flat_map(|v| v.iter().rev().map(|(seq, t)| (*seq, t)))
    }

    /// Every reception (接访下访), by id.
    pub fn receptions(&self) -> impl DoubleEndedIterator<Item = (u64, &Reception)> {
        self.receptions.iter().map(|(id, r)| (*id, r))
    }

    /// One reception.
    pub fn reception(&self, id: u64) -> Option<&Reception> {
        self.receptions.get(&id)
    }

    /// Every petition, by id.
    pub fn petitions(&self) -> impl DoubleEndedIterator<Item = &PetitionRecord> {
        self.petitions.values()
    }

    /// One petition.
    pub fn petition(&self, id: u64) -> Option<&PetitionRecord> {
        self.petitions.get(&id)
    }

    /// A village's screening of `month`, if filed.
    pub fn screening(&self, village: RegionCode, month: Month) -> Option<&ScreeningRecord> {
        self.screenings.get(&(village, month))
    }

    /// Every screening, by village then month.
    pub fn screenings(&self) -> impl DoubleEndedIterator<Item = &ScreeningRecord> {
        self.screenings.values()
    }

    /// A village's current officer, if any.
    pub fn officer_of(&self, village: RegionCode) -> Option<u64> {
        self.assigned.get(&village).and_then(|a| a.officer)
    }

    /// A village's assignment (officer and since when).
    pub fn assignment(&self, village: RegionCode) -> Option<Assigned> {
        self.assigned.get(&village).copied()
    }

    /// The villages an officer covers now, by code.
    pub fn villages_of(&self, officer: u64) -> Vec<RegionCode> {
        self.assigned.iter().filter(|(_, a)| a.officer == Some(officer)).map(|(v, _)| *v).collect()
    }

    /// Every officer who covers at least one village, with their villages.
    pub fn territories(&self) -> BTreeMap<u64, Vec<RegionCode>> {
        let mut out: BTreeMap<u64, Vec<RegionCode>> = BTreeMap::new();
        for (v, a) in &self.assigned {
            if let Some(o) = a.officer {
                out.entry(o).or_default().push(*v);
            }
        }
        out
    }

    /// Every assignment change, oldest first, with its `seq`.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = (u64, &AssignmentChange)> {
        self.history.iter().map(|(s, a)| (*s, a))
    }

    /// Every visit, oldest recorded first, with its `seq`.
    pub fn visits(&self) -> impl DoubleEndedIterator<Item = (u64, &Visit)> {
        self.visits.iter().map(|(s, v)| (*s, v))
    }

    /// The visit recorded with `seq`.
    pub fn visit(&self, seq: u64) -> Option<&Visit> {
        self.visits.get(&seq)
    }

    /// The latest visit to a village (by any officer), if any.
    pub fn last_visit(&self, village: RegionCode) -> Option<DateTime<Utc>> {
        self.last_visit.get(&village).copied()
    }

    /// The latest visit to a village made at or after `since`.
    pub fn last_visit_since(&self, village: RegionCode, since: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        self.last_visit(village).filter(|&v| since.is_none_or(|s| v >= s))
    }

    /// Every dispute, by id.
    pub fn disputes(&self) -> impl DoubleEndedIterator<Item = &DisputeRecord> {
        self.disputes.values()
    }

    /// One dispute.
    pub fn dispute(&self, id: u64) -> Option<&DisputeRecord> {
        self.disputes.get(&id)
    }

    /// The notes on a backlog case, if any were made.
    pub fn case_file(&self, origin: CaseOrigin, id: u64) -> Option<&CaseFile> {
        self.cases.get(&(origin, id))
    }

    /// Every case file, by origin and id.
    pub fn case_files(&self) -> impl Iterator<Item = ((CaseOrigin, u64), &CaseFile)> {
        self.cases.iter().map(|(k, f)| (*k, f))
    }

    /// The `seq` of the newest `backlog_case` event with subject `id`, whatever its origin (an
    /// event, a dispute and a petition may share an id): the version a write about the case
    /// names ([`LiveKind::BacklogCase`] events are stored with the case's id as subject).
    pub fn case_subject_version(&self, id: u64) -> u64 {
        CaseOrigin::ALL.iter().filter_map(|o| self.cases.get(&(*o, id))).map(|f| f.last_seq).max().unwrap_or(0)
    }

    /// Every campaign, by id.
    pub fn campaigns(&self) -> impl DoubleEndedIterator<Item = (u64, &crate::campaign::Campaign)> {
        self.campaigns.iter().map(|(id, c)| (*id, c))
    }

    /// A campaign.
    pub fn campaign(&self, id: u64) -> Option<&crate::campaign::Campaign> {
        self.campaigns.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Reminder;
    use crate::live::NewLiveEvent;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap()
    }

    fn village(n: u64) -> RegionCode {
        RegionCode::parse(&(620602100000 + n).to_string()).unwrap()
    }

    fn event(seq: u64, kind: LiveKind, subject: u64, data: impl Serialize) -> LiveEvent {
        LiveEvent {
            seq,
            event: NewLiveEvent {
                at: t0(),
                kind,
                subject,
                cell_code: None,
                category: None,
                actor: Some("t".into()),
                data: serde_json::to_string(&data).unwrap(),
            },
        }
    }

    fn assignment(v: u64, officer: Option<u64>, previous: Option<u64>) -> AssignmentChange {
        AssignmentChange { village: village(v), officer, previous, note: String::new(), by: "c".into(), at: t0() }
    }

    #[test]
    fn assignments_follow_the_log_in_seq_order_and_ignore_repeats() {
        let mut book = DeskBook::new([(village(1), 7), (village(2), 7)]);
        assert_eq!(book.villages_of(7), vec![village(1), village(2)]);
        assert!(book.apply(&event(10, LiveKind::Assignment, village(2).as_u64(), assignment(2, Some(8), Some(7)))));
        assert_eq!(book.officer_of(village(2)), Some(8));
        assert_eq!(book.villages_of(7), vec![village(1)]);
        // The same event again, and an older one arriving late, change nothing.
        assert!(!book.apply(&event(10, LiveKind::Assignment, village(2).as_u64(), assignment(2, Some(8), Some(7)))));
        assert!(!book.apply(&event(9, LiveKind::Assignment, village(2).as_u64(), assignment(2, None, Some(7)))));
        assert_eq!(book.officer_of(village(2)), Some(8));
        assert!(book.apply(&event(11, LiveKind::Assignment, village(1).as_u64(), assignment(1, None, Some(7)))));
        assert_eq!(book.officer_of(village(1)), None);
        assert_eq!(book.territories().get(&7), None);
        assert_eq!(book.history().count(), 2);
        assert_eq!(book.assignment(village(1)).unwrap().since, Some(t0()));
    }

    fn dispute() -> NewDispute {
        NewDispute {
            village: village(1),
            kind: DisputeKind::Land,
            track: MediationTrack::Peoples,
            title: "宅基地".into(),
            parties: "甲、乙".into(),
            summary: String::new(),
            mediator: "调委会".into(),
            mediator_id: None,
            incident: None,
            court_reference: None,
            opened_at: t0(),
            by: "o".into(),
            at: t0(),
        }
    }

    fn change(id: u64, to: Option<DisputeStatus>) -> DisputeChange {
        DisputeChange {
            id,
            to,
            session: None,
            outcome: String::new(),
            mediator: None,
            mediator_id: None,
            referral: None,
            confirmation: None,
            by: "o".into(),
            at: t0() + Duration::days(3),
        }
    }

    #[test]
    fn disputes_follow_the_mediation_rules_and_escalate_their_track() {
        use DisputeStatus as S;
        let mut book = DeskBook::default();
        assert!(book.apply(&event(5, LiveKind::Dispute, 1, dispute())));
        assert!(!book.apply(&event(5, LiveKind::Dispute, 1, dispute())));
        let mut session = change(1, Some(S::Mediating));
        session.session = Some(MediationSession { held_at: t0(), mediator: "调委会".into(), notes: "n".into() });
        assert!(book.apply(&event(6, LiveKind::DisputeChanged, 1, session)));
        // Illegal: mediating → closed; ignored, the version does not move.
        assert!(!book.apply(&event(7, LiveKind::DisputeChanged, 1, change(1, Some(S::Closed)))));
        assert_eq!(book.dispute(1).unwrap().version, 6);
        assert!(book.apply(&event(8, LiveKind::DisputeChanged, 1, change(1, Some(S::Failed)))));
        assert!(book.apply(&event(9, LiveKind::DisputeChanged, 1, change(1, Some(S::Escalated)))));
        let d = book.dispute(1).unwrap();
        assert_eq!(
            (d.status, d.track, d.sessions.len(), d.changes.len()),
            (S::Escalated, MediationTrack::Administrative, 1, 3)
        );
        // A stale change (seq below the version) is ignored.
        assert!(!book.apply(&event(8, LiveKind::DisputeChanged, 1, change(1, Some(S::Mediating)))));
        for (seq, to) in [(10, S::Mediating), (11, S::Agreed), (12, S::Closed)] {
            assert!(book.apply(&event(seq, LiveKind::DisputeChanged, 1, change(1, Some(to)))));
        }
        let d = book.dispute(1).unwrap();
        assert_eq!((d.status, d.closed_at.is_some(), d.version), (S::Closed, true, 12));
        // A change of an unknown dispute changes nothing.
        assert!(!book.apply(&event(13, LiveKind::DisputeChanged, 2, change(2, Some(S::Mediating)))));
    }

    #[test]
    fn a_refused_or_failed_mediation_closes_as_referred_naming_where() {
        use DisputeStatus as S;
        let mut book = DeskBook::default();
        assert!(book.apply(&event(1, LiveKind::Dispute, 1, dispute())));
        // Referred without saying where, or a referral on another step: ignored.
        assert!(!book.apply(&event(2, LiveKind::DisputeChanged, 1, change(1, Some(S::Referred)))));
        let mut odd = change(1, Some(S::Mediating));
        odd.referral = Some(Referral::Arbitration);
        assert!(!book.apply(&event(3, LiveKind::DisputeChanged, 1, odd)));
        // A party refuses mediation: referred to litigation straight from registration.
        let mut refused = change(1, Some(S::Referred));
        refused.referral = Some(Referral::Litigation);
        assert!(book.apply(&event(4, LiveKind::DisputeChanged, 1, refused)));
        let d = book.dispute(1).unwrap();
        assert_eq!((d.status, d.referral, d.closed_at.is_some()), (S::Referred, Some(Referral::Litigation), true));
        assert!(!d.status.is_open());
        // A failed people's mediation closes without any ladder.
        assert!(book.apply(&event(5, LiveKind::Dispute, 2, dispute())));
        for (seq, to) in [(6, S::Mediating), (7, S::Failed), (8, S::Mediating), (9, S::Failed), (10, S::Closed)] {
            assert!(book.apply(&event(seq, LiveKind::DisputeChanged, 2, change(2, Some(to)))), "{to:?}");
        }
        let d = book.dispute(2).unwrap();
        assert_eq!((d.status, d.track, d.referral), (S::Closed, MediationTrack::Peoples, None));
    }

    #[test]
    fn a_judicial_confirmation_needs_a_peoples_agreement_and_is_recorded_once() {
        use DisputeStatus as S;
        let confirmation = || JudicialConfirmation {
            court: "凉州区人民法院".into(),
            reference: "(2026)甘0602民特12号".into(),
            confirmed_on: NaiveDate::from_ymd_opt(2026, 5, 20).unwrap(),
        };
        let confirm = |to: Option<S>| DisputeChange { confirmation: Some(confirmation()), ..change(1, to) };
        let mut book = DeskBook::default();
        assert!(book.apply(&event(1, LiveKind::Dispute, 1, dispute())));
        assert!(book.apply(&event(2, LiveKind::DisputeChanged, 1, change(1, Some(S::Mediating)))));
        // Before an agreement: ignored.
        assert!(!book.apply(&event(3, LiveKind::DisputeChanged, 1, confirm(None))));
        // With the agreement in the same change, and then once only.
        assert!(book.apply(&event(4, LiveKind::DisputeChanged, 1, confirm(Some(S::Agreed)))));
        assert!(!book.apply(&event(5, LiveKind::DisputeChanged, 1, confirm(None))));
        assert!(book.apply(&event(6, LiveKind::DisputeChanged, 1, change(1, Some(S::Closed)))));
        let d = book.dispute(1).unwrap();
        assert_eq!((d.status, d.confirmation.clone(), d.agreed_at.is_some()), (S::Closed, Some(confirmation()), true));
        // Not on the administrative track: the court confirms people's mediation only.
        assert!(book.apply(&event(
            7,
            LiveKind::Dispute,
            2,
            NewDispute { track: MediationTrack::Administrative, ..dispute() }
        )));
        assert!(book.apply(&event(8, LiveKind::DisputeChanged, 2, change(2, Some(S::Mediating)))));
        assert!(!book.apply(&event(
            9,
            LiveKind::DisputeChanged,
            2,
            DisputeChange { id: 2, ..confirm(Some(S::Agreed)) }
        )));
    }

    #[test]
    fn screenings_keep_their_first_filing_time_through_corrections() {
        use crate::screening::{RiskGrade, subject};
        let month = Month::parse("2026-05").unwrap();
        let report = |zero: bool, risk: RiskGrade, days: i64| ScreeningReport {
            village: village(1),
            month,
            zero_report: zero,
            disputes: if zero { vec![] } else { vec![4] },
            risk,
            notes: String::new(),
            by: "o".into(),
            at: t0() + Duration::days(days),
        };
        let key = subject(village(1), month);
        let mut book = DeskBook::default();
        // Under another subject, or inconsistent: ignored.
        assert!(!book.apply(&event(1, LiveKind::Screening, key + 1, report(true, RiskGrade::Green, 1))));
        let mut bad = report(true, RiskGrade::Green, 1);
        bad.disputes = vec![3];
        assert!(!book.apply(&event(2, LiveKind::Screening, key, bad)));
        assert!(book.apply(&event(3, LiveKind::Screening, key, report(true, RiskGrade::Green, 1))));
        assert!(book.apply(&event(4, LiveKind::Screening, key, report(false, RiskGrade::Orange, 20))));
        assert!(!book.apply(&event(4, LiveKind::Screening, key, report(true, RiskGrade::Green, 21))), "a repeat");
        let s = book.screening(village(1), month).unwrap();
        assert_eq!((s.report.risk, s.report.zero_report, s.versions, s.version), (RiskGrade::Orange, false, 2, 4));
        assert_eq!(s.first_filed_at, t0() + Duration::days(1));
        assert!(book.screening(village(2), month).is_none());
        assert_eq!(book.screenings().count(), 1);
    }

    #[test]
    fn petitions_follow_the_regulations_stages_and_extend_once() {
        use crate::petition::PetitionStatus as S;
        let petition = NewPetition {
            village: village(1),
            channel: Channel::Visit,
            kind: PetitionKind::Expropriation,
            petitioners: vec![Petitioner { name: "张三".into(), phone: "13800001234".into() }],
            headcount: 6,
            matter: "征地补偿".into(),
            summary: String::new(),
            repeat_of: None,
            dispute: None,
            incident: None,
            reception: None,
            received_at: t0(),
            by: "o".into(),
            at: t0(),
        };
        let step = |to: Option<S>, days: i64| PetitionChange {
            id: 1,
            to,
            assigned_region: None,
            assigned_department: None,
            extension_reason: None,
            note: "意见".into(),
            by: "o".into(),
            at: t0() + Duration::days(days),
        };
        let mut book = DeskBook::default();
        assert!(book.apply(&event(1, LiveKind::Petition, 1, petition.clone())));
        assert!(!book.apply(&event(1, LiveKind::Petition, 1, petition)), "a repeat");
        assert!(!book.apply(&event(2, LiveKind::PetitionChanged, 1, step(Some(S::Answered), 1))), "not accepted yet");
        assert!(book.apply(&event(3, LiveKind::PetitionChanged, 1, step(Some(S::Accepted), 10))));
        let mut assign = step(Some(S::Assigned), 12);
        assign.assigned_department = Some("县自然资源局".into());
        assign.extension_reason = Some("涉及多个部门".into());
        assert!(book.apply(&event(4, LiveKind::PetitionChanged, 1, assign)));
        let mut again = step(None, 13);
        again.extension_reason = Some("再延".into());
        assert!(!book.apply(&event(5, LiveKind::PetitionChanged, 1, again)), "extended once only");
        let p = book.petition(1).unwrap();
        assert_eq!(
            (p.status, p.accepted_at, p.extension_reason.as_deref()),
            (S::Assigned, Some(t0() + Duration::days(10)), Some("涉及多个部门"))
        );
        assert_eq!(p.assigned_department.as_deref(), Some("县自然资源局"));
        assert!(book.apply(&event(6, LiveKind::PetitionChanged, 1, step(Some(S::Answered), 40))));
        // A review asked for 31 days after the answer is too late; within 30 it is taken.
        assert!(!book.apply(&event(7, LiveKind::PetitionChanged, 1, step(Some(S::ReviewRequested), 71))));
        assert!(book.apply(&event(8, LiveKind::PetitionChanged, 1, step(Some(S::ReviewRequested), 70))));
        assert!(book.apply(&event(9, LiveKind::PetitionChanged, 1, step(Some(S::Reviewed), 80))));
        assert!(book.apply(&event(10, LiveKind::PetitionChanged, 1, step(Some(S::Closed), 111))));
        let p = book.petition(1).unwrap();
        assert_eq!(
            (p.status, p.closed_at, p.opinion.as_str(), p.changes.len()),
            (S::Closed, Some(t0() + Duration::days(111)), "意见", 6)
        );
    }

    #[test]
    fn records_written_before_referrals_and_court_references_still_fold() {
        // The data of a dispute and a change as written before #30 had them.
        let old_dispute = r#"{"village":"620602100001","kind":"land","track":"peoples","title":"t","parties":"p",
            "summary":"","mediator":"m","incident":null,"opened_at":"2026-05-01T08:00:00Z","by":"o","at":"2026-05-01T08:00:00Z"}"#;
        let old_change = r#"{"id":1,"to":"mediating","session":null,"outcome":"","mediator":null,"by":"o","at":"2026-05-02T08:00:00Z"}"#;
        let raw = |seq: u64, kind: LiveKind, data: &str| LiveEvent {
            seq,
            event: NewLiveEvent { data: data.to_owned(), ..event(seq, kind, 1, ()).event },
        };
        let mut book = DeskBook::default();
        assert!(book.apply(&raw(1, LiveKind::Dispute, old_dispute)));
        assert!(book.apply(&raw(2, LiveKind::DisputeChanged, old_change)));
        let d = book.dispute(1).unwrap();
        assert_eq!((d.status, d.registered.court_reference.as_deref()), (DisputeStatus::Mediating, None));
        assert_eq!((d.registered.mediator_id, d.mediator_id), (None, None), "no roster entry before rosters");
    }

    #[test]
    fn visits_and_case_notes_accumulate_once() {
        let mut book = DeskBook::new([(village(1), 7)]);
        let visit = |days: i64| Visit {
            officer: 7,
            village: village(1),
            visited_at: t0() + Duration::days(days),
            place: "村委会".into(),
            people_met: "村支书".into(),
            notes: String::new(),
            lon: None,
            lat: None,
            photo: None,
            by: "o".into(),
            at: t0() + Duration::days(days),
        };
        assert!(book.apply(&event(3, LiveKind::Visit, 7, visit(4))));
        assert!(book.apply(&event(4, LiveKind::Visit, 7, visit(2))));
        assert!(!book.apply(&event(4, LiveKind::Visit, 7, visit(2))));
        assert_eq!(book.last_visit(village(1)), Some(t0() + Duration::days(4)));
        assert_eq!(book.last_visit_since(village(1), Some(t0() + Duration::days(5))), None);
        assert_eq!(book.visits().count(), 2);
        let update = |leader: Option<&str>, note: &str| BacklogUpdate {
            origin: CaseOrigin::Event,
            id: 42,
            leader_in_charge: leader.map(str::to_owned),
            leader_user: None,
            tag: None,
            department: None,
            target_date: None,
            note: note.into(),
            reminder: None,
            by: "c".into(),
            at: t0(),
        };
        assert!(book.apply(&event(20, LiveKind::BacklogCase, 42, update(Some("张局长"), ""))));
        assert!(book.apply(&event(21, LiveKind::BacklogCase, 42, update(None, "约谈双方"))));
        assert!(!book.apply(&event(21, LiveKind::BacklogCase, 42, update(None, "约谈双方"))));
        let file = book.case_file(CaseOrigin::Event, 42).unwrap();
        assert_eq!((file.leader_in_charge.as_deref(), file.updates.len()), (Some("张局长"), 2));
        assert!(book.case_file(CaseOrigin::Dispute, 42).is_none());
        // A reminder is kept apart from the progress notes, with the target date it was about;
        // the version of subject 42 is its newest update's, whatever the origin.
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        let target =
            BacklogUpdate { leader_user: Some("leader".into()), target_date: Some(day(20)), ..update(None, "") };
        assert!(book.apply(&event(22, LiveKind::BacklogCase, 42, target.clone())));
        assert_eq!(book.case_file(CaseOrigin::Event, 42).unwrap().reminder_to_raise(day(14)), Some(Reminder::DueSoon));
        let remind = BacklogUpdate { reminder: Some(Reminder::DueSoon), by: REMINDER_BY.into(), ..update(None, "") };
        assert!(book.apply(&event(23, LiveKind::BacklogCase, 42, remind.clone())));
        assert!(!book.apply(&event(23, LiveKind::BacklogCase, 42, remind)));
        let file = book.case_file(CaseOrigin::Event, 42).unwrap();
        assert_eq!((file.updates.len(), file.reminded.as_slice()), (3, &[(Reminder::DueSoon, day(20))][..]));
        assert_eq!(file.reminder_to_raise(day(15)), None, "raised once");
        assert_eq!(file.reminder_to_raise(day(21)), Some(Reminder::Missed));
        let dispute_42 = BacklogUpdate { origin: CaseOrigin::Dispute, ..update(None, "调解") };
        assert!(book.apply(&event(24, LiveKind::BacklogCase, 42, dispute_42)));
        assert_eq!(book.case_subject_version(42), 24);
        assert_eq!(book.case_subject_version(43), 0);
        // Other kinds and unreadable data are ignored.
        assert!(!book.apply(&event(30, LiveKind::Visit, 7, "not a visit")));
        assert!(!book.apply(&event(31, LiveKind::Unit, 7, visit(1))));
    }

    #[test]
    fn a_countys_newest_sound_trial_decides_and_old_ones_are_kept_a_while() {
        let trial = |chosen: &str, pai: f64| crate::forecast_trial::ForecastTrial {
            county: "620602000000".parse().unwrap(),
            ran_at: t0(),
            by: "safegrid".into(),
            first_shift: t0() - chrono::Duration::days(55),
            last_shift: t0(),
            shifts: 56,
            shift_hours: 8,
            train_days: 365,
            area_share: 0.05,
            area_cells: 100,
            incidents: 30,
            scores: vec![crate::forecast_trial::TrialScore {
                method: chosen.into(),
                hit_rate: 0.3,
                pai,
                pei: 0.6,
                hits: 9,
            }],
            comparison: None,
            chosen: chosen.into(),
        };
        let county: RegionCode = "620602000000".parse().unwrap();
        let mut book = DeskBook::default();
        assert!(book.latest_trial(county).is_none());
        assert!(book.apply(&event(3, LiveKind::ForecastTrial, county.as_u64(), trial("last-90-days", 5.0))));
        assert!(!book.apply(&event(3, LiveKind::ForecastTrial, county.as_u64(), trial("kde", 5.0))), "a repeat");
        assert!(!book.apply(&event(4, LiveKind::ForecastTrial, 620621000000, trial("kde", 5.0))), "wrong subject");
        let unsound = crate::forecast_trial::ForecastTrial { chosen: "self-exciting".into(), ..trial("kde", 5.0) };
        assert!(!book.apply(&event(5, LiveKind::ForecastTrial, county.as_u64(), unsound)));
        assert!(book.apply(&event(6, LiveKind::ForecastTrial, county.as_u64(), trial("self-exciting", 6.0))));
        let (seq, latest) = book.latest_trial(county).unwrap();
        assert_eq!((seq, latest.chosen.as_str()), (6, "self-exciting"));
        for seq in 7..40 {
            assert!(book.apply(&event(seq, LiveKind::ForecastTrial, county.as_u64(), trial("kde", 5.0))));
        }
        let kept: Vec<u64> = book.trials(county).map(|(seq, _)| seq).collect();
        assert_eq!(kept.len(), crate::forecast_trial::TRIALS_KEPT);
        assert_eq!((kept[0], *kept.last().unwrap()), (39, 40 - crate::forecast_trial::TRIALS_KEPT as u64));
    }
}
