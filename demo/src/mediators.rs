//! The demo's mediator rosters (调解员名册): in each village its cadre, one or two people's
//! mediators, a legal-literacy volunteer (法律明白人) and, in most villages, a respected local
//! figure (乡贤), the 法治带头人 the desk names to mediate a dispute.

use model::RegionShape;
use model::desk::{Mediator, MediatorRole};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The rosters of every village of `regions`, ids from 1 in village order.
pub fn generate(regions: &[RegionShape], seed: u64) -> Vec<Mediator> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6d65_6469_6174_6f72);
    let mut out = Vec::new();
    for village in regions.iter().filter(|r| r.region.level == model::RegionLevel::Village) {
        let mut roles = vec![MediatorRole::VillageCadre, MediatorRole::PeoplesMediator, MediatorRole::LegalLiterate];
        if rng.random_bool(0.5) {
            roles.push(MediatorRole::PeoplesMediator);
        }
        if rng.random_bool(0.6) {
            roles.push(MediatorRole::RespectedLocal);
        }
        for role in roles {
            out.push(Mediator {
                id: out.len() as u64 + 1,
                name: crate::names::person(&mut rng),
                role,
                village: village.region.code,
                phone: Some(crate::names::phone(&mut rng)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_village_has_a_cadre_a_mediator_and_a_legal_literate_volunteer() {
        let sources = crate::sources::load().unwrap();
        let geo = crate::geography::build(&sources, 2024);
        let rosters = generate(&geo.regions, 2024);
        let villages: Vec<_> = geo.regions.iter().filter(|r| r.region.level == model::RegionLevel::Village).collect();
        assert!(!villages.is_empty());
        for v in villages {
            let roles: Vec<MediatorRole> =
                rosters.iter().filter(|m| m.village == v.region.code).map(|m| m.role).collect();
            for needed in [MediatorRole::VillageCadre, MediatorRole::PeoplesMediator, MediatorRole::LegalLiterate] {
                assert!(roles.contains(&needed), "{} lacks a {needed:?}", v.region.code);
            }
        }
        assert!(rosters.iter().any(|m| m.role == MediatorRole::RespectedLocal));
        assert_eq!(rosters, generate(&geo.regions, 2024), "the same seed, the same rosters");
    }
}
