//! Petitions (信访): the view of one (deadline of its stage, who supervises it when overdue, its
//! group of repeats, petitioners masked for roles that do not handle cases) and the lists of a
//! jurisdiction. The rules are `model::petition`'s; the records are desk events folded by
//! `model::desk_book`. Knows no HTTP.

use crate::state::AppState;
use chrono::{DateTime, Utc};
use model::api::desk::Named;
use model::api::petition::{
    LeaderReceptions, PetitionNextStep, PetitionStep, PetitionView, ReceptionCalendar, ReceptionView,
};
use model::auth::{mask_name, mask_phone};
use model::desk_book::{DeskBook, PetitionRecord};
use model::petition::{
    COLLECTIVE_HEADCOUNT, PetitionStatus, Petitioner, ReceptionKind, extension_allowed, group_root,
    petition_transition, stage_due, supervising_level, supervision_label,
};
use model::scope::Scope;
use model::scorecard::Month;
use model::{RegionCode, RegionLevel};
use std::collections::{BTreeMap, HashMap};

fn named(s: &AppState, code: RegionCode) -> Named {
    Named { code, name: s.geography.region(code).map(|r| r.region.name.clone()).unwrap_or_default() }
}

/// The legal next statuses of a petition.
pub fn next_steps(status: PetitionStatus) -> Vec<PetitionNextStep> {
    PetitionStatus::ALL
        .iter()
        .copied()
        .filter(|&to| petition_transition(status, to).is_ok())
        .map(|to| PetitionNextStep { to, label_zh: to.label_zh().to_owned(), label_en: to.label_en().to_owned() })
        .collect()
}

/// The region handling a petition: the one it was assigned to, else its village's township.
pub fn handled_in(p: &PetitionRecord) -> RegionCode {
    p.assigned_region.unwrap_or_else(|| p.registered.village.truncate(RegionLevel::Township))
}

/// The deadline of a petition's current stage.
pub fn due_of(p: &PetitionRecord) -> Option<DateTime<Utc>> {
    stage_due(p.status, p.stage_began, p.accepted_at, p.extension_reason.is_some())
}

/// Sizes of the groups of repeats (重复信访), by root.
pub fn group_sizes(book: &DeskBook) -> HashMap<u64, u32> {
    let mut sizes = HashMap::new();
    for p in book.petitions() {
        *sizes.entry(root_of(book, p.id)).or_default() += 1;
    }
    sizes
}

/// The first petition of `id`'s group of repeats.
pub fn root_of(book: &DeskBook, id: u64) -> u64 {
    group_root(id, |at| book.petition(at).and_then(|p| p.registered.repeat_of))
}

/// The view of one petition at `now`; `unmasked`: the caller handles cases and sees the
/// petitioners' names and phones.
pub fn petition_view(
    s: &AppState,
    book: &DeskBook,
    sizes: &HashMap<u64, u32>,
    p: &PetitionRecord,
    now: DateTime<Utc>,
    unmasked: bool,
) -> PetitionView {
    let r = &p.registered;
    let due_at = due_of(p);
    let overdue = due_at.is_some_and(|d| now > d);
    let handling = handled_in(p);
    let supervision = supervising_level(handling.level()).filter(|_| overdue).map(supervision_label);
    let group = root_of(book, p.id);
    PetitionView {
        id: p.id,
        version: p.version,
        village: named(s, r.village),
        channel: r.channel,
        channel_zh: r.channel.label_zh().to_owned(),
        channel_en: r.channel.label_en().to_owned(),
        kind: r.kind,
        kind_zh: r.kind.label_zh().to_owned(),
        kind_en: r.kind.label_en().to_owned(),
        status: p.status,
        status_zh: p.status.label_zh().to_owned(),
        status_en: p.status.label_en().to_owned(),
        petitioners: r
            .petitioners
            .iter()
            .map(|x| {
                if unmasked { x.clone() } else { Petitioner { name: mask_name(&x.name), phone: mask_phone(&x.phone) } }
            })
            .collect(),
        masked: !unmasked,
        headcount: r.headcount,
        collective: r.headcount >= COLLECTIVE_HEADCOUNT,
        matter: r.matter.clone(),
        summary: r.summary.clone(),
        repeat_of: r.repeat_of,
        group,
        group_size: sizes.get(&group).copied().unwrap_or(1),
        dispute: r.dispute,
        incident: r.incident,
        reception: r.reception,
        received_at: r.received_at,
        stage_began_at: p.stage_began,
        due_at,
        overdue,
        supervision_zh: supervision.map(|l| l.0.to_owned()),
        supervision_en: supervision.map(|l| l.1.to_owned()),
        handled_in: named(s, handling),
        assigned_department: p.assigned_department.clone(),
        extension_reason: p.extension_reason.clone(),
        extension_allowed: extension_allowed(p.status, p.extension_reason.is_some()),
        opinion: p.opinion.clone(),
        closed_at: p.closed_at,
        history: p.changes.iter().map(|(seq, c)| PetitionStep { seq: *seq, change: c.clone() }).collect(),
        next_steps: next_steps(p.status),
    }
}

/// Which petitions a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PetitionFilter {
    /// Still being handled.
    Open,
    /// Past their stage's deadline.
    Overdue,
    /// Finished.
    Closed,
    /// All.
    All,
}

/// Whether a petition lies in `scope`: its village does, or the region it was assigned to.
pub fn in_scope(scope: &Scope, p: &PetitionRecord) -> bool {
    scope.allows_region(p.registered.village) || p.assigned_region.is_some_and(|r| scope.allows_region(r))
}

/// Petitions of `scope` matching `which`, newest first.
pub fn petitions_in(
    s: &AppState,
    book: &DeskBook,
    scope: &Scope,
    which: PetitionFilter,
    now: DateTime<Utc>,
    unmasked: bool,
) -> Vec<PetitionView> {
    let sizes = group_sizes(book);
    let mut out: Vec<PetitionView> = book
        .petitions()
        .filter(|p| in_scope(scope, p))
        .filter(|p| match which {
            PetitionFilter::Open => p.status.is_open(),
            PetitionFilter::Overdue => due_of(p).is_some_and(|d| now > d),
            PetitionFilter::Closed => !p.status.is_open(),
            PetitionFilter::All => true,
        })
        .map(|p| petition_view(s, book, &sizes, p, now, unmasked))
        .collect();
    out.sort_by(|a, b| b.received_at.cmp(&a.received_at).then(b.id.cmp(&a.id)));
    out
}

/// The calendar of receptions and visits (接访下访) of `month` whose region lies in `scope`.
pub fn reception_calendar(s: &AppState, book: &DeskBook, scope: &Scope, month: Month) -> ReceptionCalendar {
    let (from, to) = month.bounds();
    let mut received: HashMap<u64, u32> = HashMap::new();
    for p in book.petitions() {
        if let Some(r) = p.registered.reception {
            *received.entry(r).or_default() += 1;
        }
    }
    let mut items: Vec<ReceptionView> = book
        .receptions()
        .filter(|(_, r)| scope.allows_region(r.region) && r.held_at >= from && r.held_at < to)
        .map(|(id, r)| ReceptionView {
            id,
            leader: r.leader.clone(),
            kind: r.kind,
            kind_zh: r.kind.label_zh().to_owned(),
            kind_en: r.kind.label_en().to_owned(),
            held_at: r.held_at,
            place: r.place.clone(),
            region: named(s, r.region),
            notes: r.notes.clone(),
            petitions: received.get(&id).copied().unwrap_or(0),
        })
        .collect();
    items.sort_by(|a, b| a.held_at.cmp(&b.held_at).then(a.id.cmp(&b.id)));
    let mut leaders: BTreeMap<String, LeaderReceptions> = BTreeMap::new();
    for r in &items {
        let l = leaders.entry(r.leader.clone()).or_insert_with(|| LeaderReceptions {
            leader: r.leader.clone(),
            receptions: 0,
            visits: 0,
            petitions: 0,
        });
        match r.kind {
            ReceptionKind::Reception => l.receptions += 1,
            ReceptionKind::Visit => l.visits += 1,
        }
        l.petitions += r.petitions;
    }
    let mut by_leader: Vec<LeaderReceptions> = leaders.into_values().collect();
    by_leader.sort_by(|a, b| (b.receptions + b.visits).cmp(&(a.receptions + a.visits)).then(a.leader.cmp(&b.leader)));
    ReceptionCalendar { month, items, by_leader }
}
