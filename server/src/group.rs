//! Group commit: submissions that arrive while a transaction is being written are written
//! together in the next one, so many small writes share one durable commit (one fsync). Each
//! submission keeps its own all-or-nothing outcome: if a shared write is refused, every
//! submission of that group is written again on its own and gets its own answer.

use std::future::Future;
use store::StoreError;
use tokio::sync::{mpsc, oneshot};

type Job<T, R> = (Vec<T>, oneshot::Sender<Result<Vec<R>, StoreError>>);

/// A group committer of `T` items answering one `R` per item.
pub struct Grouped<T, R> {
    jobs: mpsc::Sender<Job<T, R>>,
}

impl<T: Clone + Send + 'static, R: Send + 'static> Grouped<T, R> {
    /// Starts the committer: `write` stores its items in one transaction and answers one `R` per
    /// item, in order, once durable; a group holds at most `max_items` items (a larger submission
    /// goes alone).
    pub fn new<F, Fut>(max_items: usize, write: F) -> Grouped<T, R>
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, StoreError>> + Send,
    {
        let (jobs, mut rx) = mpsc::channel::<Job<T, R>>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut n = first.0.len();
                let mut group = vec![first];
                while n < max_items {
                    match rx.try_recv() {
                        Ok(job) => {
                            n += job.0.len();
                            group.push(job);
                        }
                        Err(_) => break,
                    }
                }
                if group.len() > 1 {
                    let all: Vec<T> = group.iter().flat_map(|j| j.0.iter().cloned()).collect();
                    if let Ok(mut answers) = write(all).await {
                        for (items, done) in group {
                            let rest = answers.split_off(items.len().min(answers.len()));
                            let _ = done.send(Ok(std::mem::replace(&mut answers, rest)));
                        }
                        continue;
                    }
                    // Nothing of the group was written: each submission on its own decides.
                }
                for (items, done) in group {
                    let _ = done.send(write(items).await);
                }
            }
        });
        Grouped { jobs }
    }

    /// Writes `items` (possibly with other submissions) and answers once durable.
    pub async fn submit(&self, items: Vec<T>) -> Result<Vec<R>, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs.send((items, done)).await.map_err(|_| StoreError::Task("group commit stopped".into()))?;
        answer.await.map_err(|_| StoreError::Task("group commit stopped".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_submissions_share_writes_and_a_refused_group_is_retried_alone() {
        let writes: Arc<Mutex<Vec<Vec<i32>>>> = Arc::default();
        let log = writes.clone();
        // A write refuses any batch holding a negative number.
        let g = Arc::new(Grouped::new(1000, move |items: Vec<i32>| {
            let log = log.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                log.lock().unwrap().push(items.clone());
                if items.iter().any(|i| *i < 0) {
                    return Err(StoreError::Task("negative".into()));
                }
                Ok(items.iter().map(|i| i * 10).collect::<Vec<i32>>())
            }
        }));
        let run = |ks: std::ops::Range<i32>, bad: i32| {
            let g = g.clone();
            async move {
                let mut tasks = Vec::new();
                for k in ks {
                    let g = g.clone();
                    let items = if k == bad { vec![-1] } else { vec![k, k + 1000] };
                    tasks.push(tokio::spawn(async move { (k, g.submit(items).await) }));
                }
                for t in tasks {
                    let (k, answer) = t.await.unwrap();
                    match answer {
                        Ok(v) => assert_eq!(v, vec![k * 10, (k + 1000) * 10], "submission {k} gets its own answers"),
                        Err(_) => assert_eq!(k, bad, "only the refused submission fails"),
                    }
                }
            }
        };
        run(0..100, -99).await;
        assert!(writes.lock().unwrap().len() < 100, "{} writes for 100 submissions", writes.lock().unwrap().len());
        // A refused submission sharing a group: the others are written again and succeed.
        run(100..120, 110).await;
    }
}
