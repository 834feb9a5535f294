//! The threads that make Windows' blocking `IcmpSendEcho2` calls, kept for the next
//! request instead of one new thread per request.
//!
//! Each call blocks its thread until the answer or the timeout, so every request in
//! flight needs a thread of its own; what can be saved is the start of one. The first
//! port started a thread per request, and the engine stamps a request's departure before
//! that: under Wine a thread's start is several round trips to the wineserver, and
//! netlab.exe's loopback RTTs were 2-3 ms where Linux netlab's are 0.05 (BENCHMARKS.md).
//!
//! Written here rather than taken from a crate: tokio's blocking pool needs a runtime,
//! which ping has but trace's driver (`WSAPoll`, no runtime) does not, and `blocking`
//! ends an idle thread after 500 ms, less than ping's default 1 s interval, so every
//! request would start a thread again. This is a channel and a counter: a job goes to an
//! idle worker when there is one and to a new worker when there is none, so no job ever
//! waits for another to finish.
//!
//! The idle workers end with the pool, and the pool waits for them (briefly: a worker
//! still inside a call is left to it, as a thread per request was): a process that ends
//! with threads parked on the queue was, under Wine, now and then killed (SIGKILL, 3 runs
//! of 40 of `ping -c 3` on loopback, one in CI) after it had printed all it had to.
//!
//! [`InFlight`] counts the requests not yet answered, for a socket's end to wait on
//! (under Wine; `windows.rs` says why).
//!
//! Platform-neutral so its tests run on Linux; only Windows uses it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long dropping the pool waits for its idle workers to end.
const END_WAIT: Duration = Duration::from_millis(500);

/// A job: one blocking call and what is done with its outcome.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of worker threads that grows to the number of jobs in flight at once.
pub(crate) struct Workers {
    name: &'static str,
    stack_size: usize,
    /// None once the pool is being dropped.
    jobs: Mutex<Option<Sender<Job>>>,
    queue: Arc<Mutex<Receiver<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Workers waiting for a job and not yet promised one.
    idle: Arc<AtomicUsize>,
    /// Every worker ever started (what the tests count).
    started: AtomicUsize,
}

impl Workers {
    pub(crate) fn new(name: &'static str, stack_size: usize) -> Workers {
        let (jobs, queue) = channel();
        Workers {
            name,
            stack_size,
            jobs: Mutex::new(Some(jobs)),
            queue: Arc::new(Mutex::new(queue)),
            threads: Mutex::new(Vec::new()),
            idle: Arc::new(AtomicUsize::new(0)),
            started: AtomicUsize::new(0),
        }
    }

    /// Runs `job` on an idle worker, or on a new one when every worker is busy. The
    /// error is the operating system's refusal of a new thread (the job is not run).
    pub(crate) fn run(&self, job: Job) -> io::Result<()> {
        // Promise the job to an idle worker; each promise is kept by one worker's next
        // receive, so jobs in flight never outnumber the workers.
        let promised = self
            .idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if !promised {
            let queue = Arc::clone(&self.queue);
            let idle = Arc::clone(&self.idle);
            let handle = thread::Builder::new()
                .name(self.name.into())
                .stack_size(self.stack_size)
                .spawn(move || work(&queue, &idle))?;
            lock(&self.threads).push(handle);
            self.started.fetch_add(1, Ordering::Relaxed);
        }
        // The receiver lives as long as `self`, so the send cannot fail.
        lock(&self.jobs)
            .as_ref()
            .and_then(|jobs| jobs.send(job).ok())
            .ok_or_else(|| io::Error::other("the worker queue is closed"))
    }

    /// How many worker threads were started in all.
    #[cfg(test)]
    fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }
}

impl Drop for Workers {
    /// Closes the queue, which ends every idle worker, and waits up to [`END_WAIT`] for
    /// them; a worker inside a call (an answer not yet come) is left to finish alone. The
    /// last owner of a socket may be one of the workers itself, which is not waited for.
    fn drop(&mut self) {
        lock(&self.jobs).take();
        let me = thread::current().id();
        let mut threads = std::mem::take(&mut *lock(&self.threads));
        threads.retain(|t| t.thread().id() != me);
        let deadline = Instant::now() + END_WAIT;
        while threads.iter().any(|t| !t.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        for t in threads.into_iter().filter(JoinHandle::is_finished) {
            let _ = t.join();
        }
    }
}

/// The requests in flight, and the latest moment one of them gives up on its answer.
#[derive(Default)]
pub(crate) struct InFlight {
    state: Mutex<(usize, Option<Instant>)>,
    ended: Condvar,
}

impl InFlight {
    /// One more request, which gives up on its answer at `gives_up`.
    pub(crate) fn begin(&self, gives_up: Instant) {
        let mut state = lock(&self.state);
        state.0 += 1;
        state.1 = Some(state.1.map_or(gives_up, |latest| latest.max(gives_up)));
    }

    /// One request less (answered, failed or given up).
    pub(crate) fn end(&self) {
        let mut state = lock(&self.state);
        state.0 = state.0.saturating_sub(1);
        if state.0 == 0 {
            state.1 = None;
            self.ended.notify_all();
        }
    }

    /// Waits until no request is in flight, at most until the last one gives up (plus
    /// `slack`) and never longer than `cap`; true when none is left.
    pub(crate) fn wait_until_none(&self, slack: Duration, cap: Duration) -> bool {
        let cap = Instant::now() + cap;
        let mut state = lock(&self.state);
        loop {
            if state.0 == 0 {
                return true;
            }
            let until = state.1.map_or(cap, |latest| (latest + slack).min(cap));
            let now = Instant::now();
            if now >= until {
                return false;
            }
            state = self
                .ended
                .wait_timeout(state, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A worker: takes jobs until the pool (the only sender) is gone.
fn work(queue: &Mutex<Receiver<Job>>, idle: &AtomicUsize) {
    loop {
        let next = lock(queue).recv();
        let Ok(job) = next else { return };
        job();
        idle.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;
    use std::sync::Barrier;
    use std::time::Duration;

    const LIMIT: Duration = Duration::from_secs(10);

    #[test]
    fn the_end_waits_for_requests_in_flight_and_no_longer() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.wait_until_none(Duration::ZERO, LIMIT));
        in_flight.begin(Instant::now() + LIMIT);
        in_flight.begin(Instant::now() + LIMIT);
        // The wait must outlast both answers: counted before each `end`, not timed (a
        // 40 ms bound, timed from after the thread had started sleeping, failed CI once).
        let answered = Arc::new(AtomicUsize::new(0));
        let answers = {
            let (in_flight, answered) = (Arc::clone(&in_flight), Arc::clone(&answered));
            thread::spawn(move || {
                for _ in 0..2 {
                    thread::sleep(Duration::from_millis(20));
                    answered.fetch_add(1, Ordering::SeqCst);
                    in_flight.end();
                }
            })
        };
        assert!(in_flight.wait_until_none(Duration::ZERO, LIMIT));
        assert_eq!(answered.load(Ordering::SeqCst), 2);
        answers.join().unwrap();
        // A request that gave up long ago and never ended is waited for `slack` at most.
        in_flight.begin(Instant::now());
        let began = Instant::now();
        assert!(!in_flight.wait_until_none(Duration::from_millis(30), LIMIT));
        assert!(began.elapsed() < LIMIT);
        // And `cap` bounds a request that gives up much later.
        in_flight.begin(Instant::now() + LIMIT * 10);
        let began = Instant::now();
        assert!(!in_flight.wait_until_none(Duration::ZERO, Duration::from_millis(30)));
        let waited = began.elapsed();
        assert!(
            waited >= Duration::from_millis(30) && waited < LIMIT,
            "{waited:?}"
        );
    }

    #[test]
    fn jobs_one_after_another_reuse_one_thread() {
        let workers = Workers::new("test", 64 * 1024);
        let (done, finished) = channel();
        let mut threads = Vec::new();
        for _ in 0..20 {
            let done = done.clone();
            workers
                .run(Box::new(move || done.send(thread::current().id()).unwrap()))
                .unwrap();
            threads.push(finished.recv_timeout(LIMIT).unwrap());
            // The worker counts itself idle just after the job; wait for that.
            while workers.idle.load(Ordering::Acquire) == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(workers.started(), 1);
        assert!(threads.windows(2).all(|w| w[0] == w[1]));
    }

    /// Runs eight jobs that each wait for all eight: they finish only if they run at once.
    fn eight_at_once(workers: &Workers) {
        let all = Arc::new(Barrier::new(8));
        let (done, finished) = sync_channel(8);
        for _ in 0..8 {
            let (all, done) = (Arc::clone(&all), done.clone());
            workers
                .run(Box::new(move || {
                    all.wait();
                    done.send(()).unwrap();
                }))
                .unwrap();
        }
        for _ in 0..8 {
            finished
                .recv_timeout(LIMIT)
                .expect("a job waited for another");
        }
    }

    #[test]
    fn jobs_in_flight_at_once_each_get_a_thread() {
        let workers = Workers::new("test", 64 * 1024);
        eight_at_once(&workers);
        assert_eq!(workers.started(), 8);
        // The eight, idle again, take the next eight blocking jobs without a new thread.
        while workers.idle.load(Ordering::Acquire) < 8 {
            thread::yield_now();
        }
        eight_at_once(&workers);
        assert_eq!(workers.started(), 8);
    }

    #[test]
    fn the_idle_workers_have_ended_when_the_pool_is_dropped() {
        let workers = Workers::new("test", 64 * 1024);
        eight_at_once(&workers);
        let queue = Arc::downgrade(&workers.queue);
        drop(workers);
        // Each worker held a reference to the queue and let go on leaving.
        assert!(queue.upgrade().is_none(), "a worker outlived its pool");
    }

    #[test]
    fn a_worker_inside_a_call_is_left_to_finish_it() {
        let workers = Workers::new("test", 64 * 1024);
        let (answer, call) = channel::<()>();
        let (done, finished) = channel();
        workers
            .run(Box::new(move || {
                call.recv().unwrap();
                done.send(()).unwrap();
            }))
            .unwrap();
        // Dropped on a thread of its own: were the busy worker waited for, this would
        // never end (its call ends only after the drop), and the test fails, not hangs.
        let (dropped, drop_ended) = channel();
        thread::spawn(move || {
            drop(workers);
            dropped.send(()).unwrap();
        });
        drop_ended
            .recv_timeout(LIMIT)
            .expect("dropping the pool waited for a worker inside a call");
        answer.send(()).unwrap();
        finished
            .recv_timeout(LIMIT)
            .expect("the call was cut short by the pool's end");
    }
}
