//! Many probes at once: the window that keeps a scan as fast as the path allows.
//!
//! A fixed set of long-lived worker tasks pulls job numbers from a shared counter, so a
//! 65535-port scan spawns a few thousand tasks at most, not 65535, and the workers run on
//! every runtime thread. Each worker hands its results straight to `on_result` instead of
//! sending them to a collecting task: on loopback a probe takes a few microseconds, and a
//! cross-thread wake-up per result would cost more than the probe.
//!
//! A semaphore is the window: each probe holds a permit. When the system runs out of
//! something a probe needs (descriptors, buffers, ephemeral ports) the worker gives its
//! permit up for good — the window shrinks to what the system can carry — waits a moment
//! and repeats that same probe, so no port is ever lost or reported wrongly.
//!
//! The engine knows nothing about sockets: it runs any `prober(job)` future, which keeps
//! it testable with fakes (see the tests at the end).

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::probe::{Outcome, ProbeError};

/// How long one probe may keep failing for want of resources with nothing else in flight
/// before the run gives up (it then fails with the error, exit 2).
const BUSY_GIVE_UP: Duration = Duration::from_secs(10);

/// A job that could not be done at all.
#[derive(Debug)]
pub struct JobError {
    pub job: usize,
    pub error: io::Error,
}

/// How a window run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Completed,
    Interrupted,
}

/// What a window run reports besides the per-job results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowReport {
    pub ending: Ending,
    /// The window at the end: smaller than asked if the system ran short (not counting
    /// the clamp to a smaller number of jobs).
    pub final_window: usize,
}

/// Runs `prober(0..jobs)` with at most `window` in flight. `on_result` is called from the
/// workers, in the order results arrive; once this returns, no call is in progress.
/// `interrupt` ends the run early (in-flight probes are dropped).
pub async fn run_window<P, F, R, I>(
    jobs: usize,
    window: usize,
    prober: P,
    on_result: R,
    interrupt: I,
) -> Result<WindowReport, JobError>
where
    P: Fn(usize) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Outcome, ProbeError>> + Send + 'static,
    R: Fn(usize, Outcome) + Send + Sync + 'static,
    I: Future<Output = ()>,
{
    let asked = window.max(1);
    let window = asked.min(jobs.max(1));
    let shared = Arc::new(Shared {
        jobs,
        next: AtomicUsize::new(0),
        window: AtomicUsize::new(window),
        permits: Semaphore::new(window),
        stop: AtomicBool::new(false),
        failure: Mutex::new(None),
        prober,
        on_result,
    });
    let mut workers = JoinSet::new();
    for _ in 0..window {
        workers.spawn(worker(shared.clone()));
    }

    tokio::pin!(interrupt);
    let ending = loop {
        tokio::select! {
            joined = workers.join_next() => match joined {
                None => break Ending::Completed,
                Some(Ok(())) => {}
                // The panic hook has already reported it; keep the contract anyway.
                Some(Err(err)) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Some(Err(_cancelled)) => {}
            },
            () = &mut interrupt => {
                shared.stop.store(true, Ordering::Relaxed);
                workers.abort_all();
                // Let every worker stop before returning, so no result arrives later.
                while workers.join_next().await.is_some() {}
                break Ending::Interrupted;
            }
        }
    };
    if let Some(failure) = shared
        .failure
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        return Err(failure);
    }
    let shrunk = window - shared.window.load(Ordering::Relaxed);
    Ok(WindowReport {
        ending,
        final_window: asked - shrunk,
    })
}

struct Shared<P, R> {
    jobs: usize,
    next: AtomicUsize,
    /// Permits in the semaphore's pool plus those held: the window's size.
    window: AtomicUsize,
    permits: Semaphore,
    /// Set on a fatal error or an interrupt: take no more jobs.
    stop: AtomicBool,
    failure: Mutex<Option<JobError>>,
    prober: P,
    on_result: R,
}

async fn worker<P, F, R>(shared: Arc<Shared<P, R>>)
where
    P: Fn(usize) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Outcome, ProbeError>> + Send + 'static,
    R: Fn(usize, Outcome) + Send + Sync + 'static,
{
    while !shared.stop.load(Ordering::Relaxed) {
        let job = shared.next.fetch_add(1, Ordering::Relaxed);
        if job >= shared.jobs {
            return;
        }
        match run_job(&shared, job).await {
            Ok(outcome) => (shared.on_result)(job, outcome),
            Err(error) => {
                shared.stop.store(true, Ordering::Relaxed);
                let mut failure = shared.failure.lock().unwrap_or_else(|e| e.into_inner());
                failure.get_or_insert(JobError { job, error });
                return;
            }
        }
        // Loopback answers inside connect() itself, so a worker may never have to wait;
        // this lets the runtime run its other tasks (Ctrl-C) now and then.
        tokio::task::consume_budget().await;
    }
}

/// One job, repeated while the system is short of resources.
async fn run_job<P, F, R>(shared: &Shared<P, R>, job: usize) -> io::Result<Outcome>
where
    P: Fn(usize) -> F,
    F: Future<Output = Result<Outcome, ProbeError>>,
{
    let mut pause = Duration::from_millis(2);
    let mut alone_since = None;
    loop {
        let Ok(permit) = shared.permits.acquire().await else {
            return Err(io::Error::other("scan window closed"));
        };
        match (shared.prober)(job).await {
            Ok(outcome) => return Ok(outcome),
            Err(ProbeError::Fatal(error)) => return Err(error),
            Err(ProbeError::Busy(error)) => {
                // Shrink the window by this permit unless it is the last one.
                let shrunk = shared
                    .window
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                        (w > 1).then(|| w - 1)
                    })
                    .is_ok();
                if shrunk {
                    permit.forget();
                    alone_since = None;
                } else {
                    drop(permit);
                    // Down to one probe at a time and still short: something outside
                    // this scan holds the resources. Wait for it, but not forever.
                    let since = *alone_since.get_or_insert_with(tokio::time::Instant::now);
                    if since.elapsed() > BUSY_GIVE_UP {
                        return Err(error);
                    }
                }
                // Spread the retries so freed resources are not fought over in lockstep.
                let jitter = Duration::from_micros((job as u64 * 7919) % 1000);
                tokio::time::sleep(pause + jitter).await;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::probe::State;
    use crate::net::err::Kind;

    fn open() -> Outcome {
        Outcome {
            state: State::Open,
            time: None,
            detail: None,
            answer: None,
            expect_matched: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_runs_exactly_once() {
        let seen = Arc::new(Mutex::new(vec![0u32; 5000]));
        let counter = seen.clone();
        let results = Arc::new(Mutex::new(vec![0u32; 5000]));
        let sink = results.clone();
        let report = run_window(
            5000,
            64,
            move |job| {
                counter.lock().unwrap()[job] += 1;
                async { Ok(open()) }
            },
            move |job, _| sink.lock().unwrap()[job] += 1,
            std::future::pending(),
        )
        .await
        .unwrap();
        assert_eq!(report.ending, Ending::Completed);
        assert!(results.lock().unwrap().iter().all(|&n| n == 1));
        assert!(seen.lock().unwrap().iter().all(|&n| n == 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shortages_shrink_the_window_and_lose_nothing() {
        // Pretend only 8 probes can be in flight: the 9th gets EMFILE.
        let in_flight = Arc::new(AtomicUsize::new(0));
        let tries = Arc::new(AtomicUsize::new(0));
        let (flight, count) = (in_flight.clone(), tries.clone());
        let results = Arc::new(Mutex::new(vec![0u32; 400]));
        let sink = results.clone();
        let report = run_window(
            400,
            100,
            move |_job| {
                let flight = flight.clone();
                count.fetch_add(1, Ordering::Relaxed);
                async move {
                    if flight.fetch_add(1, Ordering::SeqCst) >= 8 {
                        flight.fetch_sub(1, Ordering::SeqCst);
                        return Err(ProbeError::Busy(Kind::ProcessFileLimit.error()));
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    flight.fetch_sub(1, Ordering::SeqCst);
                    Ok(open())
                }
            },
            move |job, _| sink.lock().unwrap()[job] += 1,
            std::future::pending(),
        )
        .await
        .unwrap();
        assert!(
            results.lock().unwrap().iter().all(|&n| n == 1),
            "every port exactly once"
        );
        // Every shortage shrinks the window by one, and a probe is only short when 8
        // others hold permits (so the window was at least 9): it ends below the 100
        // asked for, and never below the 8 the system allows.
        assert!(
            (8..100).contains(&report.final_window),
            "the window shrank to what fits, no further: {report:?}"
        );
        assert!(
            tries.load(Ordering::Relaxed) > 400,
            "some probes were retried"
        );
    }

    #[tokio::test]
    async fn a_fatal_error_stops_the_run_and_names_the_job() {
        let err = run_window(
            50,
            4,
            |job| async move {
                if job == 17 {
                    Err(ProbeError::Fatal(Kind::FamilyNotSupported.error()))
                } else {
                    Ok(open())
                }
            },
            |_, _| {},
            std::future::pending(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.job, 17);
    }

    #[tokio::test]
    async fn an_interrupt_ends_the_run() {
        let report = run_window(
            10,
            2,
            |_| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(open())
            },
            |_, _| panic!("no result expected"),
            tokio::time::sleep(Duration::from_millis(20)),
        )
        .await
        .unwrap();
        assert_eq!(report.ending, Ending::Interrupted);
    }
}
