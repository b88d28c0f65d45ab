//! Failed-attempt throttling with growing delays (OWASP ASVS 2.2.1): a key may fail a few
//! times freely; after that each further failure doubles how long the next attempt must wait,
//! up to a ceiling. Nothing is a hard lock an outsider could set off for someone else: logins
//! are counted per address and per (username, address), so one address's failures never
//! delay another address. Memory is bounded: keys are truncated, quiet keys are forgotten and
//! the number of keys is capped.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Longest username kept in a key, characters.
pub const KEY_USERNAME_CHARS: usize = 64;
/// Most keys held; past it, quiet keys go first, then the oldest tenth.
pub const MAX_KEYS: usize = 100_000;
/// A key that has not failed for this long starts afresh: longer than the longest delay, so
/// waiting out a delay does not also wipe the count.
pub const QUIET_MINUTES: i64 = 60;
/// At most one audit row a minute records the refused attempts of one key.
pub const REFUSALS_LOGGED_EVERY_S: i64 = 60;

/// How many failures pass freely and how the delay grows after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures without any delay.
    pub free: u32,
    /// The delay after the first failure past `free`, seconds; doubled for each further one.
    pub first_delay_s: i64,
    /// The longest delay, seconds.
    pub max_delay_s: i64,
}

impl Policy {
    /// The wait after `failures` failures.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures <= self.free {
            return Duration::zero();
        }
        let doublings = (failures - self.free - 1).min(30);
        Duration::seconds(self.first_delay_s.saturating_mul(1 << doublings).min(self.max_delay_s))
    }
}

/// Logins from one address, any usernames: generous, since a command centre may sit behind one
/// address.
pub const PER_ADDRESS: Policy = Policy { free: 20, first_delay_s: 1, max_delay_s: 300 };
/// Logins of one username from one address.
pub const PER_ACCOUNT: Policy = Policy { free: 4, first_delay_s: 2, max_delay_s: 900 };
/// Wrong current passwords on `POST /api/password`, per user (only a signed-in session can try).
pub const PER_PASSWORD_CHANGE: Policy = Policy { free: 3, first_delay_s: 5, max_delay_s: 900 };

/// Reports through the public channel from one address: every report counts; five an hour
/// pass (the count starts afresh after an hour without one), then each waits longer (a minute,
/// doubling, at most an hour).
pub const PUBLIC_REPORTS: Policy = Policy { free: 4, first_delay_s: 60, max_delay_s: 3600 };
/// Unknown tracking codes asked from one address: twenty pass, then each waits longer.
pub const TRACKING_MISSES: Policy = Policy { free: 19, first_delay_s: 2, max_delay_s: 300 };

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// Logins from an address (IPv6 by its /64, which one subscriber usually holds whole).
    Address(Option<IpAddr>),
    /// Logins of a username from an address.
    Account(String, Option<IpAddr>),
    /// Password changes of a user.
    PasswordChange(u64),
    /// Reports through the public channel from an address.
    PublicReport(Option<IpAddr>),
    /// Unknown tracking codes asked from an address.
    TrackingMiss(Option<IpAddr>),
}

impl Key {
    /// The address key of `ip`.
    pub fn address(ip: Option<IpAddr>) -> Key {
        Key::Address(ip.map(network))
    }

    /// The public-report key of `ip`.
    pub fn public_report(ip: Option<IpAddr>) -> Key {
        Key::PublicReport(ip.map(network))
    }

    /// The unknown-tracking-code key of `ip`.
    pub fn tracking_miss(ip: Option<IpAddr>) -> Key {
        Key::TrackingMiss(ip.map(network))
    }

    /// The (username, address) key; the username is cut to [`KEY_USERNAME_CHARS`].
    pub fn account(username: &str, ip: Option<IpAddr>) -> Key {
        Key::Account(username.chars().take(KEY_USERNAME_CHARS).collect(), ip.map(network))
    }
}

/// IPv6 addresses count by their /64; IPv4 whole.
fn network(ip: IpAddr) -> IpAddr {
    match crate::peer::canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    /// When a refusal under this key was last written to the audit log.
    refusal_logged: Option<DateTime<Utc>>,
}

/// Failure counters by key.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<Key, Failures>>);

impl Throttle {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When the next attempt under these keys may be made, if that is after `now`.
    pub fn wait_until(&self, keys: &[(Key, Policy)], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Self::waiting(&self.map(), keys, now)
    }

    /// An attempt under these keys: refused with the time of the next allowed one while any key
    /// must wait, else counted as a failure under each key at once (checked and counted under
    /// one lock, so parallel attempts cannot all pass before one counts). A success takes its
    /// count back with [`Throttle::forget`] or [`Throttle::undo`].
    pub fn attempt(&self, keys: &[(Key, Policy)], now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut map = self.map();
        if let Some(until) = Self::waiting(&map, keys, now) {
            return Err(until);
        }
        Self::count(&mut map, keys, now);
        Ok(())
    }

    /// Records a failure under each key.
    pub fn fail(&self, keys: &[(Key, Policy)], now: DateTime<Utc>) {
        Self::count(&mut self.map(), keys, now);
    }

    fn waiting(map: &HashMap<Key, Failures>, keys: &[(Key, Policy)], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        keys.iter()
            .filter_map(|(k, policy)| {
                let f = map.get(k)?;
                (now - f.last < Duration::minutes(QUIET_MINUTES)).then(|| f.last + policy.delay(f.count))
            })
            .filter(|t| *t > now)
            .max()
    }

    fn count(map: &mut HashMap<Key, Failures>, keys: &[(Key, Policy)], now: DateTime<Utc>) {
        for (k, _) in keys {
            if !map.contains_key(k) && map.len() >= MAX_KEYS {
                evict(map, now);
            }
            let f = map.entry(k.clone()).or_insert(Failures { count: 0, last: now, refusal_logged: None });
            if now - f.last >= Duration::minutes(QUIET_MINUTES) {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
        }
    }

    /// Forgets a key (after a success).
    pub fn forget(&self, key: &Key) {
        self.map().remove(key);
    }

    /// Takes back one failure of `key`: an attempt counted before its outcome was known (so
    /// that parallel attempts count) that succeeded.
    pub fn undo(&self, key: &Key) {
        let mut map = self.map();
        if let Some(f) = map.get_mut(key) {
            f.count = f.count.saturating_sub(1);
            if f.count == 0 {
                map.remove(key);
            }
        }
    }

    /// Whether a refused attempt under `key` should be written to the audit log: the first in
    /// each [`REFUSALS_LOGGED_EVERY_S`], so a flood of refused attempts is not a flood of
    /// durable writes.
    pub fn log_refusal(&self, key: &Key, now: DateTime<Utc>) -> bool {
        let mut map = self.map();
        let Some(f) = map.get_mut(key) else { return true };
        let due = f.refusal_logged.is_none_or(|t| now - t >= Duration::seconds(REFUSALS_LOGGED_EVERY_S));
        if due {
            f.refusal_logged = Some(now);
        }
        due
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the quiet keys; if that frees nothing, the tenth that failed longest ago.
fn evict(map: &mut HashMap<Key, Failures>, now: DateTime<Utc>) {
    map.retain(|_, f| now - f.last < Duration::minutes(QUIET_MINUTES));
    if map.len() < MAX_KEYS {
        return;
    }
    let mut lasts: Vec<DateTime<Utc>> = map.values().map(|f| f.last).collect();
    let cut = lasts.len() / 10;
    let (_, nth, _) = lasts.select_nth_unstable(cut);
    let nth = *nth;
    map.retain(|_, f| f.last > nth);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn delays_grow_after_the_free_failures_and_stop_at_the_ceiling() {
        let p = Policy { free: 2, first_delay_s: 1, max_delay_s: 60 };
        let waits: Vec<i64> = (0..10).map(|n| p.delay(n).num_seconds()).collect();
        assert_eq!(waits, [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]);
        assert_eq!(p.delay(u32::MAX).num_seconds(), 60);
    }

    #[test]
    fn one_address_never_delays_another() {
        let t = Throttle::default();
        let now = t0();
        let attacker = |user: &str| {
            vec![(Key::address(ip("6.6.6.6")), PER_ADDRESS), (Key::account(user, ip("6.6.6.6")), PER_ACCOUNT)]
        };
        for k in 0..200 {
            t.fail(&attacker(&format!("nobody{k}")), now);
            t.fail(&attacker("admin"), now);
        }
        assert!(t.wait_until(&attacker("admin"), now).is_some(), "the attacker waits");
        assert!(t.wait_until(&attacker("someone-new"), now).is_some(), "by address too");
        let admin_at_desk =
            vec![(Key::address(ip("10.1.1.1")), PER_ADDRESS), (Key::account("admin", ip("10.1.1.1")), PER_ACCOUNT)];
        assert_eq!(t.wait_until(&admin_at_desk, now), None, "the real admin signs in");
    }

    #[test]
    fn the_wait_follows_the_policy_and_quiet_keys_start_afresh() {
        let t = Throttle::default();
        let keys = vec![(Key::account("a", ip("1.2.3.4")), PER_ACCOUNT)];
        let now = t0();
        for _ in 0..PER_ACCOUNT.free {
            t.fail(&keys, now);
        }
        assert_eq!(t.wait_until(&keys, now), None);
        t.fail(&keys, now);
        assert_eq!(t.wait_until(&keys, now), Some(now + Duration::seconds(PER_ACCOUNT.first_delay_s)));
        let later = now + Duration::seconds(PER_ACCOUNT.first_delay_s);
        assert_eq!(t.wait_until(&keys, later), None, "after the delay, one more try");
        t.fail(&keys, later);
        assert_eq!(t.wait_until(&keys, later), Some(later + Duration::seconds(2 * PER_ACCOUNT.first_delay_s)));
        let quiet = later + Duration::minutes(QUIET_MINUTES);
        assert_eq!(t.wait_until(&keys, quiet), None);
        t.fail(&keys, quiet);
        assert_eq!(t.wait_until(&keys, quiet), None, "counting restarted");
        t.forget(&keys[0].0);
        assert!(t.is_empty());
    }

    #[test]
    fn a_success_takes_its_counted_attempt_back_and_refusals_are_logged_once_a_minute() {
        let t = Throttle::default();
        let key = Key::address(ip("1.2.3.4"));
        let now = t0();
        t.fail(&[(key.clone(), PER_ADDRESS)], now);
        t.fail(&[(key.clone(), PER_ADDRESS)], now);
        t.undo(&key);
        assert_eq!(t.len(), 1);
        t.undo(&key);
        assert!(t.is_empty());
        t.fail(&[(key.clone(), PER_ADDRESS)], now);
        assert!(t.log_refusal(&key, now));
        assert!(!t.log_refusal(&key, now + Duration::seconds(30)));
        assert!(t.log_refusal(&key, now + Duration::seconds(REFUSALS_LOGGED_EVERY_S)));
    }

    #[test]
    fn waiting_out_the_longest_delay_keeps_the_count() {
        let t = Throttle::default();
        let keys = vec![(Key::account("a", ip("1.2.3.4")), PER_ACCOUNT)];
        let mut now = t0();
        for _ in 0..20 {
            now = t.wait_until(&keys, now).unwrap_or(now);
            t.fail(&keys, now);
        }
        let wait = t.wait_until(&keys, now).unwrap() - now;
        assert_eq!(wait.num_seconds(), PER_ACCOUNT.max_delay_s);
        let after = now + wait;
        t.fail(&keys, after);
        assert_eq!(
            (t.wait_until(&keys, after).unwrap() - after).num_seconds(),
            PER_ACCOUNT.max_delay_s,
            "no fresh free tries"
        );
    }

    #[test]
    fn ipv6_counts_by_64_and_usernames_are_cut() {
        assert_eq!(Key::address(ip("2001:db8:1:2:aaaa::1")), Key::address(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(Key::address(ip("2001:db8:1:2::1")), Key::address(ip("2001:db8:1:3::1")));
        let long = "x".repeat(10_000);
        let Key::Account(name, _) = Key::account(&long, None) else { panic!() };
        assert_eq!(name.chars().count(), KEY_USERNAME_CHARS);
    }

    #[test]
    fn memory_is_capped() {
        let t = Throttle::default();
        let now = t0();
        for k in 0..(MAX_KEYS as u32 + 5_000) {
            let a = std::net::Ipv4Addr::from(k);
            t.fail(&[(Key::address(Some(IpAddr::V4(a))), PER_ADDRESS)], now + Duration::milliseconds(i64::from(k)));
        }
        assert!(t.len() <= MAX_KEYS, "{}", t.len());
        assert!(t.len() >= MAX_KEYS * 8 / 10, "{}", t.len());
        // The newest keys are kept.
        let newest = IpAddr::V4(std::net::Ipv4Addr::from(MAX_KEYS as u32 + 4_999));
        let key = vec![(Key::address(Some(newest)), Policy { free: 0, first_delay_s: 100, max_delay_s: 100 })];
        assert!(t.wait_until(&key, now + Duration::seconds(200)).is_some());
    }
}
