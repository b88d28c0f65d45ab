//! One writer at a time per key (a tracking code, a phone's report), on this instance: two
//! sends of the same thing wait for each other, different things do not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Entries kept before the dead ones are swept.
const SWEEP_AT: usize = 1024;

/// Locks by key, made on demand and dropped when nobody holds them.
#[derive(Default)]
pub struct KeyedLocks(Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    /// Waits for the lock of `key`.
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.len() >= SWEEP_AT {
                map.retain(|_, w| w.strong_count() > 0);
            }
            match map.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    map.insert(key.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_key_waits_another_does_not() {
        let locks = KeyedLocks::default();
        let held = locks.lock("a").await;
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock("b")).await.is_ok());
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock("a")).await.is_err());
        drop(held);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock("a")).await.is_ok());
    }
}
