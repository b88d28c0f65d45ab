//! The live state a command centre sees, folded from the live log: each patrol unit's last
//! position and status, each incident's current stage (when it entered it, the unit in charge),
//! and the recent alerts with their acknowledgements. Pure: events in, state out; applying an
//! event twice, or an older event after a newer one about the same subject, changes nothing.

use chrono::{DateTime, Utc};
use model::Status;
use model::department::WorkOrder;
use model::live::{Alert, AlertAck, IncidentChange, IncidentLink, LiveEvent, LiveKind, UnitState};
use std::collections::{BTreeMap, HashMap};

/// An incident's current stage, as far as the live log tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    /// Current status.
    pub status: Status,
    /// When it entered that status.
    pub entered_at: DateTime<Utc>,
    /// The unit in charge (the last one dispatched).
    pub unit: Option<u64>,
    /// `seq` of the event that set it.
    pub seq: u64,
}

/// What applying an event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Nothing (already applied, older than what is held, or unreadable).
    Nothing,
    /// Incident `id` is now in `status`.
    Status {
        /// Incident id.
        id: u64,
        /// New status.
        status: Status,
    },
    /// Something else (a unit, an alert).
    Other,
}

/// The folded live state.
#[derive(Debug, Clone, Default)]
pub struct Board {
    units: BTreeMap<u64, (UnitState, u64)>,
    stages: HashMap<u64, Stage>,
    alerts: BTreeMap<u64, Alert>,
    max_alerts: usize,
    /// Linked reports: report → (the first report of its event, seq of the link).
    links: HashMap<u64, (u64, u64)>,
    /// Work orders: incident → (the order as its newest change left it, seq of that change).
    orders: HashMap<u64, (WorkOrder, u64)>,
}

impl Board {
    /// A board with the units' home positions (before any report) and room for `max_alerts`
    /// recent alerts (older ones are forgotten first).
    pub fn new(units: Vec<UnitState>, max_alerts: usize) -> Board {
        Board {
            units: units.into_iter().map(|u| (u.id, (u, 0))).collect(),
            stages: HashMap::new(),
            alerts: BTreeMap::new(),
            max_alerts,
            links: HashMap::new(),
            orders: HashMap::new(),
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, e: &LiveEvent) -> Applied {
        let data = e.event.data.as_str();
        match e.event.kind {
            LiveKind::Incident
            | LiveKind::Assignment
            | LiveKind::Visit
            | LiveKind::Dispute
            | LiveKind::DisputeChanged
            | LiveKind::BacklogCase
            | LiveKind::Campaign
            | LiveKind::Screening
            | LiveKind::Petition
            | LiveKind::PetitionChanged
            | LiveKind::Reception
            | LiveKind::ForecastTrial => Applied::Nothing,
            LiveKind::IncidentChanged => {
                let Ok(c) = serde_json::from_str::<IncidentChange>(data) else { return Applied::Nothing };
                if let Some(order) = c.order.clone()
                    && self.orders.get(&c.id).is_none_or(|(_, seq)| *seq < e.seq)
                {
                    self.orders.insert(c.id, (order, e.seq));
                }
                if self.stages.get(&c.id).is_some_and(|s| s.seq >= e.seq) {
                    return Applied::Nothing;
                }
                // A note leaves the stage (and its clock) as it was.
                if c.note_only {
                    if let Some(s) = self.stages.get_mut(&c.id) {
                        s.seq = e.seq;
                    }
                    return Applied::Other;
                }
                let unit = c.unit.or_else(|| self.stages.get(&c.id).and_then(|s| s.unit));
                self.stages.insert(c.id, Stage { status: c.to, entered_at: c.at, unit, seq: e.seq });
                Applied::Status { id: c.id, status: c.to }
            }
            LiveKind::IncidentLinked => {
                let Ok(l) = serde_json::from_str::<IncidentLink>(data) else { return Applied::Nothing };
                if self.links.get(&l.id).is_some_and(|(_, seq)| *seq >= e.seq) {
                    return Applied::Nothing;
                }
                match l.event {
                    Some(first) => self.links.insert(l.id, (first, e.seq)),
                    // A split keeps its seq so an older link replayed later stays ignored.
                    None => self.links.insert(l.id, (l.id, e.seq)),
                };
                Applied::Other
            }
            LiveKind::Unit => {
                let Ok(u) = serde_json::from_str::<UnitState>(data) else { return Applied::Nothing };
                match self.units.get(&u.id) {
                    Some((_, seq)) if *seq >= e.seq => Applied::Nothing,
                    // Only known patrol units have a place on the board.
                    None => Applied::Nothing,
                    Some(_) => {
                        self.units.insert(u.id, (u, e.seq));
                        Applied::Other
                    }
                }
            }
            LiveKind::Alert => {
                let Ok(mut a) = serde_json::from_str::<Alert>(data) else { return Applied::Nothing };
                if self.alerts.contains_key(&e.seq) {
                    return Applied::Nothing;
                }
                a.id = e.seq;
                self.alerts.insert(e.seq, a);
                while self.alerts.len() > self.max_alerts {
                    self.alerts.pop_first();
                }
                Applied::Other
            }
            LiveKind::AlertAcked => {
                let Ok(ack) = serde_json::from_str::<AlertAck>(data) else { return Applied::Nothing };
                match self.alerts.get_mut(&ack.id) {
                    Some(a) if a.acked_by.is_none() => {
                        a.acked_by = Some(ack.by);
                        a.acked_at = Some(ack.at);
                        Applied::Other
                    }
                    _ => Applied::Nothing,
                }
            }
        }
    }

    /// Every unit, by id.
    pub fn units(&self) -> impl Iterator<Item = &UnitState> {
        self.units.values().map(|(u, _)| u)
    }

    /// One unit.
    pub fn unit(&self, id: u64) -> Option<&UnitState> {
        self.units.get(&id).map(|(u, _)| u)
    }

    /// An incident's stage, if the live log changed it.
    pub fn stage(&self, incident: u64) -> Option<&Stage> {
        self.stages.get(&incident)
    }

    /// An incident's work order, as its newest change left it (`None`: never assigned, or
    /// assigned before the board's window and not read back).
    pub fn order(&self, incident: u64) -> Option<&WorkOrder> {
        self.orders.get(&incident).map(|(o, _)| o)
    }

    /// Every work order the board holds, by incident id.
    pub fn orders(&self) -> impl Iterator<Item = (u64, &WorkOrder)> {
        self.orders.iter().map(|(id, (o, _))| (*id, o))
    }

    /// The first report of the event `incident` was linked to (`None`: it is its own event).
    pub fn event_of(&self, incident: u64) -> Option<u64> {
        self.links.get(&incident).map(|(first, _)| *first).filter(|first| *first != incident)
    }

    /// The reports linked to `first`'s event, in id order.
    pub fn linked_to(&self, first: u64) -> Vec<u64> {
        let mut ids: Vec<u64> =
            self.links.iter().filter(|(id, (f, _))| *f == first && **id != first).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids
    }

    /// How many reports for which `counted` holds are linked to each event's first report.
    pub fn linked_counts(&self, counted: impl Fn(u64) -> bool) -> HashMap<u64, usize> {
        let mut counts = HashMap::new();
        for (id, (first, _)) in &self.links {
            if id != first && counted(*id) {
                *counts.entry(*first).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Recent alerts, newest first.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values().rev()
    }

    /// One recent alert.
    pub fn alert(&self, id: u64) -> Option<&Alert> {
        self.alerts.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use model::live::{AlertKind, NewLiveEvent, UnitStatus};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn event(seq: u64, kind: LiveKind, subject: u64, data: String) -> LiveEvent {
        LiveEvent {
            seq,
            event: NewLiveEvent {
                at: at(seq as i64),
                kind,
                subject,
                cell_code: None,
                category: None,
                actor: None,
                data,
            },
        }
    }

    fn unit(id: u64, lon: f64, status: UnitStatus) -> UnitState {
        UnitState { id, name: format!("巡逻{id}"), lon, lat: 37.9, status, incident: None, at: at(0) }
    }

    fn change(seq: u64, id: u64, from: Status, to: Status, unit: Option<u64>) -> LiveEvent {
        let c = IncidentChange {
            id,
            from,
            to,
            unit,
            satisfaction: None,
            note: None,
            by: "city".into(),
            at: at(seq as i64),
            ..IncidentChange::default()
        };
        event(seq, LiveKind::IncidentChanged, id, serde_json::to_string(&c).unwrap())
    }

    #[test]
    fn orders_follow_their_newest_change_and_a_note_keeps_the_stage_clock() {
        let code = |s: &str| model::department::DepartmentCode::parse(s).unwrap();
        let order = |d: &str| WorkOrder {
            department: code(d),
            co_departments: vec![],
            due_at: None,
            returns: 0,
            reworked: false,
        };
        let step = |seq: u64, from, to, o: WorkOrder, note_only| {
            let c = IncidentChange {
                id: 9,
                from,
                to,
                order: Some(o),
                note_only,
                by: "city".into(),
                at: at(seq as i64),
                ..IncidentChange::default()
            };
            event(seq, LiveKind::IncidentChanged, 9, serde_json::to_string(&c).unwrap())
        };
        let mut b = Board::new(vec![], 10);
        b.apply(&step(3, Status::Reported, Status::Assigned, order("a"), false));
        b.apply(&step(5, Status::Assigned, Status::Assigned, order("b"), false));
        // An older change replayed later changes nothing.
        b.apply(&step(4, Status::Reported, Status::Assigned, order("a"), false));
        assert_eq!(b.order(9).map(|o| o.department.as_str()), Some("b"));
        assert_eq!(b.apply(&step(8, Status::Assigned, Status::Assigned, order("b"), true)), Applied::Other);
        let s = b.stage(9).unwrap();
        assert_eq!((s.status, s.entered_at, s.seq), (Status::Assigned, at(5), 8), "a note keeps the clock");
        assert_eq!(b.orders().count(), 1);
    }

    #[test]
    fn stages_follow_the_newest_change_and_keep_the_unit() {
        let mut b = Board::new(vec![], 10);
        assert_eq!(
            b.apply(&change(5, 1, Status::Reported, Status::Dispatched, Some(3))),
            Applied::Status { id: 1, status: Status::Dispatched }
        );
        assert_eq!(
            b.apply(&change(7, 1, Status::Dispatched, Status::OnScene, None)),
            Applied::Status { id: 1, status: Status::OnScene }
        );
        // Replays and older events change nothing.
        assert_eq!(b.apply(&change(7, 1, Status::Dispatched, Status::OnScene, None)), Applied::Nothing);
        assert_eq!(b.apply(&change(5, 1, Status::Reported, Status::Dispatched, Some(3))), Applied::Nothing);
        let s = b.stage(1).unwrap();
        assert_eq!((s.status, s.unit, s.entered_at, s.seq), (Status::OnScene, Some(3), at(7), 7));
        assert!(b.stage(2).is_none());
    }

    #[test]
    fn reports_link_to_an_event_and_split_off_again() {
        let mut b = Board::new(vec![], 10);
        let link = |seq: u64, id: u64, first: Option<u64>| {
            let l = IncidentLink { id, event: first, by: "city".into(), at: at(seq as i64) };
            event(seq, LiveKind::IncidentLinked, id, serde_json::to_string(&l).unwrap())
        };
        assert_eq!(b.apply(&link(1, 11, Some(10))), Applied::Other);
        assert_eq!(b.apply(&link(2, 12, Some(10))), Applied::Other);
        assert_eq!((b.event_of(11), b.event_of(12), b.event_of(10)), (Some(10), Some(10), None));
        assert_eq!(b.linked_to(10), [11, 12]);
        assert_eq!(b.apply(&link(3, 11, None)), Applied::Other, "split");
        assert_eq!(b.apply(&link(1, 11, Some(10))), Applied::Nothing, "an older link stays ignored");
        assert_eq!((b.event_of(11), b.linked_to(10)), (None, vec![12]));
        assert_eq!(b.linked_counts(|_| true), HashMap::from([(10, 1)]));
        assert_eq!(b.linked_counts(|id| id != 12), HashMap::new(), "only the reports counted");
    }

    #[test]
    fn units_move_only_forward_and_unknown_units_are_ignored() {
        let mut b = Board::new(vec![unit(1, 102.6, UnitStatus::Available)], 10);
        let moved =
            |seq, lon, status| event(seq, LiveKind::Unit, 1, serde_json::to_string(&unit(1, lon, status)).unwrap());
        assert_eq!(b.apply(&moved(4, 102.7, UnitStatus::Busy)), Applied::Other);
        assert_eq!(b.apply(&moved(3, 102.5, UnitStatus::Available)), Applied::Nothing);
        assert_eq!(b.unit(1).map(|u| (u.lon, u.status)), Some((102.7, UnitStatus::Busy)));
        let stranger = event(9, LiveKind::Unit, 2, serde_json::to_string(&unit(2, 1.0, UnitStatus::Busy)).unwrap());
        assert_eq!(b.apply(&stranger), Applied::Nothing);
        assert_eq!(b.units().count(), 1);
    }

    #[test]
    fn alerts_are_kept_newest_first_acknowledged_once_and_bounded() {
        let mut b = Board::new(vec![], 2);
        let alert = |seq| {
            let a = Alert {
                id: 0,
                kind: AlertKind::Geofence,
                cell_code: "620602001001001".parse().unwrap(),
                incident: Some(seq),
                place: Some(1),
                lon: 102.6,
                lat: 37.9,
                message_zh: "重点场所".into(),
                message_en: "key place".into(),
                at: at(seq as i64),
                acked_by: None,
                acked_at: None,
                case: None,
            };
            event(seq, LiveKind::Alert, 0, serde_json::to_string(&a).unwrap())
        };
        for seq in [10, 11, 12] {
            assert_eq!(b.apply(&alert(seq)), Applied::Other);
        }
        assert_eq!(b.alerts().map(|a| a.id).collect::<Vec<_>>(), [12, 11], "the oldest is forgotten");
        let ack = |seq, id, by: &str| {
            let data = serde_json::to_string(&AlertAck { id, by: by.into(), at: at(seq as i64) }).unwrap();
            event(seq, LiveKind::AlertAcked, id, data)
        };
        assert_eq!(b.apply(&ack(13, 11, "city")), Applied::Other);
        assert_eq!(b.apply(&ack(14, 11, "county")), Applied::Nothing, "the first acknowledgement stands");
        assert_eq!(b.alert(11).unwrap().acked_by.as_deref(), Some("city"));
        assert_eq!(b.apply(&ack(15, 10, "city")), Applied::Nothing, "forgotten alert");
    }
}
