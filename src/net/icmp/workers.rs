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
//! waits for another to finish; the workers end when the pool is dropped.
//!
//! Platform-neutral so its tests run on Linux; only Windows uses it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

/// A job: one blocking call and what is done with its outcome.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of worker threads that grows to the number of jobs in flight at once.
pub(crate) struct Workers {
    name: &'static str,
    stack_size: usize,
    jobs: Mutex<Sender<Job>>,
    queue: Arc<Mutex<Receiver<Job>>>,
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
            jobs: Mutex::new(jobs),
            queue: Arc::new(Mutex::new(queue)),
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
            thread::Builder::new()
                .name(self.name.into())
                .stack_size(self.stack_size)
                .spawn(move || work(&queue, &idle))?;
            self.started.fetch_add(1, Ordering::Relaxed);
        }
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        // The receiver lives as long as `self`, so the send cannot fail.
        jobs.send(job)
            .map_err(|_| io::Error::other("the worker queue is closed"))
    }

    /// How many worker threads were started in all.
    #[cfg(test)]
    fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }
}

/// A worker: takes jobs until the pool (the only sender) is gone.
fn work(queue: &Mutex<Receiver<Job>>, idle: &AtomicUsize) {
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
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
    fn the_workers_end_with_the_pool() {
        let workers = Workers::new("test", 64 * 1024);
        let (done, finished) = channel();
        workers
            .run(Box::new(move || done.send(()).unwrap()))
            .unwrap();
        finished.recv_timeout(LIMIT).unwrap();
        let queue = Arc::downgrade(&workers.queue);
        drop(workers);
        // The worker holds the only other reference to the queue and lets go on leaving.
        let deadline = std::time::Instant::now() + LIMIT;
        while queue.upgrade().is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "a worker outlived its pool"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }
}
