//! Results computed once for every request waiting on them, and kept for a while: a map view
//! asks for a dozen cell tiles with the same filter at once, and a wall of screens opens the same
//! view together. Requests for a key being computed wait for that computation instead of
//! starting their own (with PostGIS a window before the memory window is a scan in the database,
//! seconds at ten years).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// A key, when its entry was made, and its result once computed (shared by those waiting).
type Entry<K, V> = (K, Instant, Arc<OnceCell<Arc<V>>>);

/// The latest `size` keys' results, each for `ttl` after its computation began.
pub struct SharedResults<K, V> {
    entries: Mutex<Vec<Entry<K, V>>>,
    size: usize,
    ttl: Duration,
}

impl<K: PartialEq, V> SharedResults<K, V> {
    /// Keeps the results of the latest `size` keys for `ttl` each.
    pub fn new(size: usize, ttl: Duration) -> Self {
        SharedResults { entries: Mutex::new(Vec::with_capacity(size)), size: size.max(1), ttl }
    }

    /// The result of `key` at `now`, computed by `compute` unless it is kept or being computed.
    /// A failed computation is not kept: the next request (a waiting one first) computes again.
    pub async fn get_or_compute<F, Fut, E>(&self, key: K, now: Instant, compute: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let slot = {
            let mut guard = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            guard.retain(|(_, made, _)| now.saturating_duration_since(*made) < self.ttl);
            match guard.iter().find(|(k, _, _)| *k == key) {
                Some((_, _, slot)) => Arc::clone(slot),
                None => {
                    if guard.len() >= self.size {
                        guard.remove(0);
                    }
                    let slot = Arc::new(OnceCell::new());
                    guard.push((key, now, Arc::clone(&slot)));
                    slot
                }
            }
        };
        slot.get_or_try_init(|| async { compute().await.map(Arc::new) }).await.map(Arc::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn requests_for_a_key_being_computed_wait_for_that_computation() {
        let shared: Arc<SharedResults<u32, u32>> = Arc::new(SharedResults::new(4, Duration::from_secs(60)));
        let computed = Arc::new(AtomicUsize::new(0));
        let at = Instant::now();
        let (release, released) = tokio::sync::watch::channel(false);
        let mut asked = Vec::new();
        for _ in 0..8 {
            let (shared, computed, mut released) = (Arc::clone(&shared), Arc::clone(&computed), released.clone());
            asked.push(tokio::spawn(async move {
                shared
                    .get_or_compute(1, at, move || async move {
                        computed.fetch_add(1, Ordering::SeqCst);
                        // Held until every request has come in.
                        let _ = released.wait_for(|r| *r).await;
                        Ok::<_, String>(7)
                    })
                    .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        release.send(true).unwrap();
        for a in asked {
            assert_eq!(*a.await.unwrap().unwrap(), 7);
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1, "eight requests, one computation");
        // A failed computation is not kept: the next request computes again.
        let failed = shared.get_or_compute(2, at, || async { Err("the database went away".to_owned()) }).await;
        assert!(failed.is_err());
        assert_eq!(*shared.get_or_compute(2, at, || async { Ok::<_, String>(9) }).await.unwrap(), 9);
        assert_eq!(*shared.get_or_compute(1, at, || async { Ok::<_, String>(8) }).await.unwrap(), 7, "still kept");
    }

    #[tokio::test]
    async fn results_are_kept_for_their_time_and_the_latest_keys_only() {
        let shared: SharedResults<u32, u32> = SharedResults::new(2, Duration::from_secs(60));
        let at = Instant::now();
        let later = |s: u64| at + Duration::from_secs(s);
        let get = |key: u32, when: Instant, value: u32| {
            shared.get_or_compute(key, when, move || async move { Ok::<_, ()>(value) })
        };
        assert_eq!(*get(1, at, 10).await.unwrap(), 10);
        assert_eq!(*get(1, later(59), 11).await.unwrap(), 10);
        assert_eq!(*get(1, later(60), 12).await.unwrap(), 12, "a minute after: computed again");
        assert_eq!(*get(2, later(60), 20).await.unwrap(), 20);
        assert_eq!(*get(3, later(60), 30).await.unwrap(), 30);
        assert_eq!(*get(1, later(61), 13).await.unwrap(), 13, "pushed out by the two latest keys");
        assert_eq!(*get(3, later(61), 31).await.unwrap(), 30);
    }
}
