//! The demo's village-desk records (一村一警): recent visits by the village officers and
//! disputes at every stage of the mediation tracks, some old enough to be backlog cases, some
//! referred by the court (诉调对接), some taken to arbitration or the courts, some agreements
//! confirmed by the court (司法确认).
//! Deterministic from the seed; no clock (`end` is a parameter).

use crate::names;
use chrono::{DateTime, Duration, Utc};
use model::desk::{DisputeKind, DisputeStatus, MediationTrack, Mediator, Referral};
use model::desk_book::{
    DisputeChange, JudicialConfirmation, MediationSession, NewDispute, NewPetition, PetitionChange, Reception, Visit,
};
use model::petition::{Channel, PetitionKind, PetitionStatus, Petitioner, ReceptionKind};
use model::scorecard::Month;
use model::screening::{RiskGrade, ScreeningReport, due_at};
use model::{Officer, RegionCode, RegionShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// One desk record of the demo.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskRecord {
    /// A visit.
    Visit(Visit),
    /// A dispute and the changes it went through, in order (their `id` is 0: the store names
    /// the dispute when it is registered).
    Dispute(NewDispute, Vec<DisputeChange>),
    /// A village's monthly dispute screening; its disputes are numbered as the store numbers
    /// the records' disputes, 1, 2, … in order.
    Screening(ScreeningReport),
    /// A petition and its changes, in order (ids as for disputes: 1, 2, … in order; `repeat_of`
    /// names an earlier one by that number).
    Petition(NewPetition, Vec<PetitionChange>),
    /// A leader's reception or visit of petitioners (接访下访).
    Reception(Reception),
}

const PLACES: &[&str] = &["村委会", "养殖户", "小卖部", "村小学", "卫生室", "农户家中", "合作社", "集贸市场"];

fn title(kind: DisputeKind) -> &'static str {
    match kind {
        DisputeKind::Neighbour => "邻里噪音、排水纠纷",
        DisputeKind::Family => "赡养老人纠纷",
        DisputeKind::Land => "承包地边界纠纷",
        DisputeKind::Water => "灌溉轮水次序纠纷",
        DisputeKind::Grassland => "草场放牧越界纠纷",
        DisputeKind::Expropriation => "征地补偿款分配纠纷",
        DisputeKind::Labour => "拖欠务工工资",
        DisputeKind::Medical => "卫生室诊疗费用纠纷",
        DisputeKind::Contract => "民间借贷纠纷",
        DisputeKind::Property => "物业费纠纷",
        DisputeKind::Other => "损坏财物赔偿纠纷",
    }
}

/// Visits (about one village in two visited in the last four weeks, some more than once) and
/// disputes (about one village in four), for every officer's villages. Visits are recorded by
/// the officer's name; disputes by the officer and moved on by them, mediated by the village's
/// first people's mediator on its roster (`mediators`), or its committee where it has none.
pub fn records(
    regions: &[RegionShape],
    officers: &[Officer],
    mediators: &[Mediator],
    end: DateTime<Utc>,
    seed: u64,
) -> Vec<DeskRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xde5c);
    let names: HashMap<RegionCode, &str> = regions.iter().map(|r| (r.region.code, r.region.name.as_str())).collect();
    let mut out = Vec::new();
    for o in officers {
        for &village in &o.villages {
            let village_name = names.get(&village).copied().unwrap_or("村");
            // Visits: the newest 0–13 days ago, then back every 5–9 days within 28 days.
            if rng.random::<f64>() < 0.55 {
                let mut ago_h = rng.random_range(2..14 * 24);
                while ago_h < 28 * 24 {
                    let visited_at = end - Duration::hours(ago_h);
                    out.push(DeskRecord::Visit(Visit {
                        officer: o.id,
                        village,
                        visited_at,
                        place: PLACES[rng.random_range(0..PLACES.len())].to_owned(),
                        people_met: names::person(&mut rng),
                        notes: "走访了解村情民意，排查矛盾纠纷和安全隐患".to_owned(),
                        lon: None,
                        lat: None,
                        photo: None,
                        by: o.name.clone(),
                        at: visited_at + Duration::hours(1),
                    }));
                    ago_h += rng.random_range(5 * 24..10 * 24);
                }
            }
            if rng.random::<f64>() < 0.25 {
                let mediator = mediators
                    .iter()
                    .find(|m| m.village == village && m.role == model::desk::MediatorRole::PeoplesMediator);
                out.push(dispute(&mut rng, o, (village, village_name), mediator, end));
            }
        }
    }
    // In the order they happened, so the log reads like the desk's history.
    out.sort_by_key(record_at);
    let screenings = screenings(&mut rng, officers, &out, end);
    out.extend(screenings);
    out.extend(petitions(&mut rng, officers, &names, end));
    out.extend(receptions(&mut rng, regions, end));
    out.sort_by_key(record_at);
    out
}

/// The leaders' calendar (接访下访) of the last three months and this one: each county's
/// secretary and head receive petitioners on a set day twice a month, and visit one of the
/// county's townships once; a month's future days are on the calendar already.
fn receptions(rng: &mut ChaCha8Rng, regions: &[RegionShape], end: DateTime<Utc>) -> Vec<DeskRecord> {
    let this_month = Month::of(end);
    let months = [
        this_month.previous().previous().previous(),
        this_month.previous().previous(),
        this_month.previous(),
        this_month,
    ];
    let mut out = Vec::new();
    let counties: Vec<&RegionShape> = regions.iter().filter(|r| r.region.level == model::RegionLevel::County).collect();
    for county in counties {
        let townships: Vec<&RegionShape> = regions
            .iter()
            .filter(|r| r.region.level == model::RegionLevel::Township && county.region.code.contains(r.region.code))
            .collect();
        let leaders = [format!("{}委书记", county.region.name), format!("{}长", county.region.name)];
        for month in months {
            for (k, leader) in leaders.iter().enumerate() {
                // 接访 on the 5th and the 20th (the head on the 10th and the 25th), 9:00 local.
                for day in if k == 0 { [5, 20] } else { [10, 25] } {
                    let held_at = month.start() + Duration::days(day - 1) + Duration::hours(9);
                    out.push(DeskRecord::Reception(Reception {
                        leader: leader.clone(),
                        kind: ReceptionKind::Reception,
                        held_at,
                        place: format!("{}信访接待中心", county.region.name),
                        region: county.region.code,
                        notes: String::new(),
                        by: "县信访局".to_owned(),
                        // Put on the calendar at the month's start (or `end`, whichever is first).
                        at: month.start().min(end - Duration::hours(1)),
                    }));
                }
                if let Some(t) = townships.get(rng.random_range(0..townships.len().max(1))) {
                    let held_at = month.start() + Duration::days(rng.random_range(1..27)) + Duration::hours(14);
                    out.push(DeskRecord::Reception(Reception {
                        leader: leader.clone(),
                        kind: ReceptionKind::Visit,
                        held_at,
                        place: format!("{}政府", t.region.name),
                        region: t.region.code,
                        notes: String::new(),
                        by: "县信访局".to_owned(),
                        at: month.start().min(end - Duration::hours(1)),
                    }));
                }
            }
        }
    }
    out
}

/// About one petition for every ten villages, received over the last five months and cut off
/// somewhere along the 信访工作条例's stages (so some are overdue), a few collective, and one
/// in five repeating the village's previous one. The officer registers them.
fn petitions(
    rng: &mut ChaCha8Rng,
    officers: &[Officer],
    names: &HashMap<RegionCode, &str>,
    end: DateTime<Utc>,
) -> Vec<DeskRecord> {
    use PetitionStatus as S;
    const MATTERS: &[(PetitionKind, &str)] = &[
        (PetitionKind::Expropriation, "征地补偿款未足额发放"),
        (PetitionKind::Labour, "工程款和务工工资拖欠"),
        (PetitionKind::Land, "土地承包经营权确权争议"),
        (PetitionKind::Rural, "灌溉用水分配不公"),
        (PetitionKind::Welfare, "低保评定有异议"),
        (PetitionKind::Construction, "危房改造补助未到位"),
        (PetitionKind::Environment, "养殖场异味扰民"),
        (PetitionKind::Law, "对派出所处理结果不服"),
    ];
    let paths: [&[S]; 6] = [
        &[],
        &[S::Accepted],
        &[S::Accepted, S::Assigned],
        &[S::Accepted, S::Assigned, S::Answered, S::Closed],
        &[S::Accepted, S::Assigned, S::Answered, S::ReviewRequested, S::Reviewed],
        &[S::NotAccepted],
    ];
    // Records in the order the store will number them (by registration time).
    let mut drafts: Vec<(NewPetition, Vec<PetitionChange>, bool)> = Vec::new();
    for o in officers {
        for &village in &o.villages {
            if rng.random::<f64>() >= 0.1 {
                continue;
            }
            let (kind, matter) = MATTERS[rng.random_range(0..MATTERS.len())];
            let received_at = end - Duration::hours(rng.random_range(48..150 * 24));
            let headcount = if rng.random::<f64>() < 0.15 { rng.random_range(5..30) } else { rng.random_range(1..3) };
            let petitioners = (0..headcount.min(3))
                .map(|_| Petitioner {
                    name: names::person(rng),
                    phone: format!("139{:08}", rng.random_range(0..100_000_000u32)),
                })
                .collect();
            let petition = NewPetition {
                village,
                channel: Channel::ALL[rng.random_range(0..Channel::ALL.len())],
                kind,
                petitioners,
                headcount,
                matter: format!("{}{matter}", names.get(&village).copied().unwrap_or("")),
                summary: "信访人反映问题，要求依法依规解决".to_owned(),
                repeat_of: None,
                dispute: None,
                incident: None,
                reception: None,
                received_at,
                by: o.name.clone(),
                at: received_at + Duration::hours(2),
            };
            let path = paths[rng.random_range(0..paths.len())];
            let mut t = received_at;
            let mut changes = Vec::new();
            for &to in path {
                // Each step 2–20 days after the last, stopping at `end`.
                let next = t + Duration::hours(rng.random_range(48..20 * 24));
                if next >= end {
                    break;
                }
                t = next;
                changes.push(PetitionChange {
                    id: 0,
                    to: Some(to),
                    assigned_region: None,
                    assigned_department: (to == S::Assigned).then(|| "乡镇人民政府".to_owned()),
                    extension_reason: None,
                    note: match to {
                        S::NotAccepted => "属于诉讼程序解决的事项，已告知信访人向人民法院起诉".to_owned(),
                        S::Answered => "经调查核实，已出具书面处理意见".to_owned(),
                        S::Reviewed => "复查维持原处理意见".to_owned(),
                        _ => String::new(),
                    },
                    by: o.name.clone(),
                    at: t,
                });
            }
            // One in four comes again on the same matter 10–40 days later (重复信访), still
            // waiting to be accepted.
            let again = received_at + Duration::hours(rng.random_range(240..960));
            if rng.random::<f64>() < 0.25 && again < end - Duration::hours(3) {
                let repeat = NewPetition { received_at: again, at: again + Duration::hours(2), ..petition.clone() };
                drafts.push((repeat, Vec::new(), true));
            }
            drafts.push((petition, changes, false));
        }
    }
    drafts.sort_by_key(|(p, _, _)| p.at);
    // A repeat names the first petition of its village and matter, by the number it gets.
    let mut first: HashMap<(RegionCode, String), u64> = HashMap::new();
    let mut out = Vec::new();
    for (k, (mut p, cs, repeat)) in drafts.into_iter().enumerate() {
        let key = (p.village, p.matter.clone());
        if repeat {
            p.repeat_of = first.get(&key).copied();
        }
        first.entry(key).or_insert(k as u64 + 1);
        out.push(DeskRecord::Petition(p, cs));
    }
    out
}

fn record_at(r: &DeskRecord) -> DateTime<Utc> {
    match r {
        DeskRecord::Visit(v) => v.at,
        DeskRecord::Dispute(d, _) => d.at,
        DeskRecord::Screening(x) => x.at,
        DeskRecord::Petition(p, _) => p.at,
        DeskRecord::Reception(r) => r.at,
    }
}

/// Monthly screenings of every officer's villages over the three months before `end`'s and the
/// month under way: most filed on time in the month's last ten days, some late, some missing,
/// and this month's filed in proportion to the time gone. Each lists the village's disputes
/// registered in the month before its filing (numbered as in `sorted`), or is a zero report.
fn screenings(
    rng: &mut ChaCha8Rng,
    officers: &[Officer],
    sorted: &[DeskRecord],
    end: DateTime<Utc>,
) -> Vec<DeskRecord> {
    let disputes: Vec<(u64, &NewDispute)> = sorted
        .iter()
        .filter_map(|r| match r {
            DeskRecord::Dispute(d, _) => Some(d),
            _ => None,
        })
        .zip(1..)
        .map(|(d, id)| (id, d))
        .collect();
    let this_month = Month::of(end);
    let months = [
        this_month.previous().previous().previous(),
        this_month.previous().previous(),
        this_month.previous(),
        this_month,
    ];
    let mut out = Vec::new();
    for o in officers {
        for &village in &o.villages {
            for month in months {
                let (start, due) = (month.start(), due_at(month));
                let draw = rng.random::<f64>();
                let at = if due <= end {
                    if draw < 0.86 {
                        due - Duration::hours(rng.random_range(1..240))
                    } else if draw < 0.92 {
                        (due + Duration::hours(rng.random_range(2..216))).min(end - Duration::minutes(1))
                    } else {
                        continue;
                    }
                } else {
                    let gone = (end - start).num_seconds() as f64 / (due - start).num_seconds() as f64;
                    if draw >= 0.8 * gone {
                        continue;
                    }
                    start + Duration::seconds(rng.random_range(0..(end - start).num_seconds().max(1)))
                };
                let found: Vec<(u64, DisputeKind)> = disputes
                    .iter()
                    .filter(|(_, d)| d.village == village && d.opened_at >= start && d.opened_at < at)
                    .map(|(id, d)| (*id, d.kind))
                    .take(model::screening::MAX_SCREENING_DISPUTES)
                    .collect();
                let serious =
                    found.iter().any(|(_, k)| matches!(k, DisputeKind::Expropriation | DisputeKind::Grassland));
                let risk = match (found.len(), serious, rng.random::<f64>()) {
                    (0, _, r) if r < 0.9 => RiskGrade::Green,
                    (0, _, _) => RiskGrade::Yellow,
                    (_, true, r) if r < 0.2 => RiskGrade::Red,
                    (_, true, _) => RiskGrade::Orange,
                    (1, _, r) if r < 0.7 => RiskGrade::Yellow,
                    _ => RiskGrade::Orange,
                };
                out.push(DeskRecord::Screening(ScreeningReport {
                    village,
                    month,
                    zero_report: found.is_empty(),
                    notes: if found.is_empty() {
                        "本月排查未发现矛盾纠纷（零报告）".to_owned()
                    } else {
                        format!("排查发现矛盾纠纷{}件，均已登记调处", found.len())
                    },
                    disputes: found.into_iter().map(|(id, _)| id).collect(),
                    risk,
                    by: o.name.clone(),
                    at,
                }));
            }
        }
    }
    out
}

fn dispute(
    rng: &mut ChaCha8Rng,
    o: &Officer,
    (village, village_name): (RegionCode, &str),
    on_roster: Option<&Mediator>,
    end: DateTime<Utc>,
) -> DeskRecord {
    use DisputeStatus as S;
    let kind = DisputeKind::ALL[rng.random_range(0..DisputeKind::ALL.len())];
    let opened_at = end - Duration::hours(rng.random_range(24..150 * 24));
    let mediator = on_roster.map_or_else(|| format!("{village_name}人民调解委员会"), |m| m.name.clone());
    // About one in ten comes from the county court's pre-litigation mediation (诉前调解).
    let court_reference = (rng.random::<f64>() < 0.1).then(|| {
        let county = &village.as_u64().to_string()[2..6];
        format!("({}){}{}民诉前调{}号", opened_at.format("%Y"), "甘", county, rng.random_range(1..400))
    });
    let registered = NewDispute {
        village,
        kind,
        track: MediationTrack::Peoples,
        title: title(kind).to_owned(),
        parties: format!("{}、{}", names::person(rng), names::person(rng)),
        summary: "当事人到村警务室反映，已登记受理".to_owned(),
        mediator: mediator.clone(),
        mediator_id: on_roster.map(|m| m.id),
        incident: None,
        court_reference,
        opened_at,
        by: o.name.clone(),
        at: opened_at,
    };
    // One of the paths through the loop, cut off somewhere along it.
    let paths: [&[S]; 6] = [
        &[S::Mediating, S::Agreed, S::Closed],
        &[S::Mediating, S::Failed, S::Escalated, S::Mediating, S::Agreed, S::Closed],
        &[S::Mediating, S::Failed, S::Escalated, S::Mediating],
        &[S::Mediating],
        &[S::Mediating, S::Failed, S::Mediating, S::Failed, S::Referred],
        &[S::Mediating, S::Agreed, S::Closed],
    ];
    // Where the parties go when mediation fails: the usual route for the kind.
    let referral = match kind {
        DisputeKind::Labour | DisputeKind::Land | DisputeKind::Grassland => Referral::Arbitration,
        DisputeKind::Expropriation => Referral::AdministrativeReview,
        DisputeKind::Water => Referral::AdministrativeMediation,
        _ => Referral::Litigation,
    };
    let confirm = rng.random::<f64>() < 0.4;
    let path = paths[rng.random_range(0..paths.len())];
    let steps = rng.random_range(0..=path.len());
    let span_h = (end - opened_at).num_hours().max(1);
    let mut t = opened_at;
    let mut changes = Vec::new();
    for (k, &to) in path.iter().take(steps).enumerate() {
        let left = span_h - (t - opened_at).num_hours();
        t += Duration::hours(rng.random_range(1..=(left / (path.len() - k + 1) as i64).max(1)));
        let session = (to == S::Mediating || to == S::Agreed || to == S::Failed).then(|| MediationSession {
            held_at: t,
            mediator: if changes.iter().any(|c: &DisputeChange| c.to == Some(S::Escalated)) {
                "派出所".to_owned()
            } else {
                mediator.clone()
            },
            notes: "组织双方当面调解".to_owned(),
        });
        let outcome = match to {
            S::Agreed => "双方达成调解协议".to_owned(),
            S::Failed => "双方分歧较大，调解未成".to_owned(),
            S::Referred => format!("告知当事人通过{}途径解决", referral.label_zh()),
            _ => String::new(),
        };
        changes.push(DisputeChange {
            id: 0,
            to: Some(to),
            session,
            outcome,
            mediator: (to == S::Escalated).then(|| "派出所".to_owned()),
            mediator_id: None,
            referral: (to == S::Referred).then_some(referral),
            // Some agreements of people's mediation are confirmed by the court before closing.
            confirmation: (to == S::Closed
                && confirm
                && !changes.iter().any(|c: &DisputeChange| c.to == Some(S::Escalated)))
            .then(|| JudicialConfirmation {
                court: "人民法院".to_owned(),
                reference: format!("({})甘民特{}号", t.format("%Y"), rng.random_range(1..300)),
                confirmed_on: model::time::local_date(t),
            }),
            by: o.name.clone(),
            at: t,
        });
    }
    DeskRecord::Dispute(registered, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::desk_book::DeskBook;
    use model::live::{LiveEvent, LiveKind, NewLiveEvent};

    #[test]
    fn demo_desk_records_are_legal_recent_and_reproducible() {
        let end = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 1, 0, 0, 0).unwrap();
        let world =
            crate::generate(&crate::DemoParams { base_incidents: 500, ..crate::DemoParams::new(3, end) }).unwrap();
        let records = records(&world.regions, &world.officers, &world.mediators, end, 3);
        assert_eq!(records, super::records(&world.regions, &world.officers, &world.mediators, end, 3));
        let roster = world.officers.iter().flat_map(|o| o.villages.iter().map(move |v| (*v, o.id)));
        let mut book = DeskBook::new(roster);
        let (mut seq, mut id, mut changes, mut petition_id, mut reception_id) = (0, 0, 0, 0, 0);
        let mut event = |kind, subject, data: String| {
            seq += 1;
            LiveEvent {
                seq,
                event: NewLiveEvent { at: end, kind, subject, cell_code: None, category: None, actor: None, data },
            }
        };
        for r in &records {
            match r {
                DeskRecord::Visit(v) => {
                    assert!(v.visited_at < end && v.visited_at >= end - Duration::days(28));
                    assert!(book.apply(&event(LiveKind::Visit, v.officer, serde_json::to_string(v).unwrap())));
                }
                DeskRecord::Screening(x) => {
                    assert!(x.at < end && x.at >= x.month.start(), "{x:?}");
                    let subject = model::screening::subject(x.village, x.month);
                    assert!(book.apply(&event(LiveKind::Screening, subject, serde_json::to_string(x).unwrap())));
                    for d in &x.disputes {
                        assert_eq!(book.dispute(*d).map(|d| d.registered.village), Some(x.village), "{x:?}");
                    }
                }
                DeskRecord::Reception(r) => {
                    reception_id += 1;
                    assert!(r.at <= end, "{r:?}");
                    assert!(book.apply(&event(LiveKind::Reception, reception_id, serde_json::to_string(r).unwrap())));
                }
                DeskRecord::Petition(p, cs) => {
                    petition_id += 1;
                    assert!(p.received_at < end && p.at <= end, "{p:?}");
                    assert!(p.repeat_of.is_none_or(|r| r < petition_id), "{p:?}");
                    assert!(book.apply(&event(LiveKind::Petition, petition_id, serde_json::to_string(p).unwrap())));
                    for c in cs {
                        let c = PetitionChange { id: petition_id, ..c.clone() };
                        assert!(
                            book.apply(&event(
                                LiveKind::PetitionChanged,
                                petition_id,
                                serde_json::to_string(&c).unwrap()
                            )),
                            "{c:?}"
                        );
                    }
                }
                DeskRecord::Dispute(d, cs) => {
                    id += 1;
                    assert!(d.opened_at < end);
                    if let Some(m) = d.mediator_id {
                        let on_roster = world.mediators.iter().find(|x| x.id == m).unwrap();
                        assert_eq!((on_roster.village, &on_roster.name), (d.village, &d.mediator), "{d:?}");
                    }
                    assert!(book.apply(&event(LiveKind::Dispute, id, serde_json::to_string(d).unwrap())));
                    for c in cs {
                        assert!(c.at <= end && c.at >= d.opened_at);
                        let c = DisputeChange { id, ..c.clone() };
                        // Every change is legal: the fold applies it.
                        assert!(book.apply(&event(LiveKind::DisputeChanged, id, serde_json::to_string(&c).unwrap())));
                        changes += 1;
                    }
                }
            }
        }
        let villages: usize = world.officers.iter().map(|o| o.villages.len()).sum();
        assert!(book.visits().count() > villages / 3, "{} visits for {villages} villages", book.visits().count());
        assert!(id as usize > villages / 8 && changes > 0, "{id} disputes");
        let statuses: std::collections::BTreeSet<_> = book.disputes().map(|d| d.status).collect();
        assert!(statuses.len() >= 5, "disputes at several stages: {statuses:?}");
        assert!(book.disputes().any(|d| d.referral.is_some()), "some referred elsewhere");
        assert!(book.disputes().any(|d| d.confirmation.is_some()), "some agreements confirmed");
        assert!(book.disputes().any(|d| d.registered.court_reference.is_some()), "some referred by the court");
        // Receptions: each county's two leaders, 接访 twice a month and one 下访.
        let counties = world.regions.iter().filter(|r| r.region.level == model::RegionLevel::County).count();
        assert_eq!(book.receptions().count(), counties * 2 * 3 * 4);
        // Petitions: at several stages, some overdue, some repeats, some collective.
        let petitions: Vec<_> = book.petitions().collect();
        assert!(petitions.len() > villages / 20, "{} petitions", petitions.len());
        let stages: std::collections::BTreeSet<_> = petitions.iter().map(|p| p.status).collect();
        assert!(stages.len() >= 4, "{stages:?}");
        assert!(petitions.iter().any(|p| p.registered.repeat_of.is_some()), "some repeats");
        assert!(petitions.iter().any(|p| p.registered.headcount >= 5), "some collective");
        let overdue = petitions
            .iter()
            .filter(|p| {
                model::petition::stage_due(p.status, p.stage_began, p.accepted_at, false).is_some_and(|d| end > d)
            })
            .count();
        assert!(overdue > 0 && overdue < petitions.len(), "{overdue} overdue");
        // Screenings: most villages each complete month, some late, zero reports and disputes.
        let last = Month::of(end).previous();
        let filed = book.screenings().filter(|x| x.report.month == last).count();
        assert!(filed > villages * 8 / 10 && filed < villages, "{filed} of {villages}");
        let late = book.screenings().filter(|x| !model::screening::on_time(x.report.month, x.first_filed_at)).count();
        assert!(late > 0, "some filed late");
        assert!(book.screenings().any(|x| x.report.zero_report) && book.screenings().any(|x| !x.report.zero_report));
    }
}
