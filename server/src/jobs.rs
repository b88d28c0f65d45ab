//! Heavy analyses (hot spots, forecasts, plans, coverage, rebalancing) run here: off the async
//! workers on the blocking pool, at most [`Jobs::limit`] at once, so `/api/health`, sign-in and
//! the live feed keep answering. A request beyond the limit waits [`QUEUE_WAIT`] for a place,
//! then is told to come back later (503 with `Retry-After`). A job whose client has gone, or
//! that runs while the server shuts down, stops at its next checkpoint ([`Cancel::check`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a heavy request waits for a place before it is answered busy.
pub const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// What `Retry-After` says to a request answered busy, seconds.
pub const RETRY_AFTER_S: u64 = 5;

/// Why a job did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Every place was taken for longer than [`QUEUE_WAIT`].
    #[error("{0} analyses are running; try again shortly")]
    Busy(usize),
    /// The client went away or the server is stopping.
    #[error("the analysis was cancelled")]
    Cancelled,
    /// The job panicked.
    #[error("the analysis failed: {0}")]
    Failed(String),
}

/// A job stopped at a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl From<Cancelled> for JobError {
    fn from(_: Cancelled) -> JobError {
        JobError::Cancelled
    }
}

/// What a running job checks between its steps.
#[derive(Debug, Clone)]
pub struct Cancel {
    own: Arc<AtomicBool>,
    shutdown: Arc<AtomicBool>,
}

impl Cancel {
    /// `Err(Cancelled)` once the job's client has gone or the server is stopping.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.own.load(Ordering::Relaxed) || self.shutdown.load(Ordering::Relaxed) { Err(Cancelled) } else { Ok(()) }
    }
}

/// Sets the job's flag when the request that waits for it is dropped (client gone, time limit).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Counts a job as running until dropped.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Running {
        count.fetch_add(1, Ordering::Relaxed);
        Running(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The places for heavy jobs.
pub struct Jobs {
    places: Arc<Semaphore>,
    limit: usize,
    shutdown: Arc<AtomicBool>,
    running: Arc<AtomicUsize>,
}

impl Default for Jobs {
    /// One place fewer than the machine has cores (at least one), so one core stays free for
    /// the async workers.
    fn default() -> Jobs {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Jobs::new(cores.saturating_sub(1).max(1))
    }
}

impl Jobs {
    /// At most `limit` jobs at once.
    pub fn new(limit: usize) -> Jobs {
        Jobs { places: Arc::new(Semaphore::new(limit)), limit, shutdown: Arc::default(), running: Arc::default() }
    }

    /// How many jobs may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Jobs running now (their closures have not returned).
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs `job` on the blocking pool once a place is free. The place is held until `job`
    /// returns, even when the caller stops waiting, so a cancelled job still counts until it
    /// reaches its next checkpoint.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Cancel) -> Result<T, Cancelled> + Send + 'static,
    ) -> Result<T, JobError> {
        let place = match tokio::time::timeout(QUEUE_WAIT, self.places.clone().acquire_owned()).await {
            Ok(Ok(place)) => place,
            _ => return Err(JobError::Busy(self.limit)),
        };
        let cancel = Cancel { own: Arc::default(), shutdown: self.shutdown.clone() };
        cancel.check()?;
        let _on_drop = CancelOnDrop(cancel.own.clone());
        let running = Running::start(&self.running);
        tracing::debug!(running = self.running(), "analysis started");
        let handle = tokio::task::spawn_blocking(move || {
            // Both are released when the job returns or panics.
            let (_running, _place) = (running, place);
            job(&cancel)
        });
        match handle.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Cancelled)) => Err(JobError::Cancelled),
            Err(e) => Err(JobError::Failed(e.to_string())),
        }
    }

    /// Tells every running job to stop at its next checkpoint and refuses new ones.
    pub fn shut_down(&self) {
        self.shutdown.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A job that spins until cancelled, then records that it stopped.
    fn spin(stopped: Arc<AtomicBool>) -> impl FnOnce(&Cancel) -> Result<(), Cancelled> + Send + 'static {
        move |cancel| {
            let started = Instant::now();
            let out = loop {
                if let Err(c) = cancel.check() {
                    break Err(c);
                }
                if started.elapsed() > Duration::from_secs(20) {
                    break Ok(());
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            stopped.store(true, Ordering::SeqCst);
            out
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_whose_caller_left_stops_and_frees_its_place() {
        let jobs = Arc::new(Jobs::new(1));
        let stopped = Arc::new(AtomicBool::new(false));
        let waiting = tokio::time::timeout(Duration::from_millis(100), jobs.run(spin(stopped.clone()))).await;
        assert!(waiting.is_err(), "the caller gave up");
        let t = Instant::now();
        while !stopped.load(Ordering::SeqCst) {
            assert!(t.elapsed() < Duration::from_secs(5), "the job did not stop");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(jobs.run(|_| Ok(7)).await.unwrap(), 7, "the place is free again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_that_panics_frees_its_place() {
        let jobs = Jobs::new(1);
        let out = jobs.run(|_| -> Result<(), Cancelled> { panic!("a bug in an analysis") }).await;
        assert!(matches!(out, Err(JobError::Failed(_))));
        assert_eq!(jobs.running(), 0);
        assert_eq!(jobs.run(|_| Ok(1)).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_limit_a_request_is_answered_busy() {
        let jobs = Arc::new(Jobs::new(1));
        let stopped = Arc::new(AtomicBool::new(false));
        let holder = {
            let jobs = jobs.clone();
            let stopped = stopped.clone();
            tokio::spawn(async move { jobs.run(spin(stopped)).await })
        };
        while jobs.running() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let t = Instant::now();
        assert!(matches!(jobs.run(|_| Ok(())).await, Err(JobError::Busy(1))));
        assert!(t.elapsed() >= QUEUE_WAIT - Duration::from_millis(50));
        jobs.shut_down();
        assert!(matches!(holder.await.unwrap(), Err(JobError::Cancelled)), "shutdown stops running jobs");
        assert!(stopped.load(Ordering::SeqCst));
        assert!(matches!(jobs.run(|_| Ok(())).await, Err(JobError::Cancelled)), "and refuses new ones");
    }
}
