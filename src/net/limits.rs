//! The open-file limit, which bounds how many probes a scan can keep in flight: every
//! probe is a socket, and a socket is a file descriptor. And the allocator's one setting
//! a long-running mode needs (see [`return_big_buffers`]).

use std::io;

/// File descriptors available to a run after [`raise_nofile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft limit now in force.
    pub soft: u64,
    /// The hard limit (the ceiling an unprivileged process may raise the soft one to).
    pub hard: u64,
    /// Descriptors already open (stdio, the runtime's epoll and eventfd, ...).
    pub in_use: u64,
}

impl FdBudget {
    /// Descriptors still free, keeping `reserve` back for everything that is not a probe.
    pub fn available(&self, reserve: u64) -> u64 {
        self.soft
            .saturating_sub(self.in_use)
            .saturating_sub(reserve)
    }
}

/// Raises the soft `RLIMIT_NOFILE` toward the hard limit, but no further than `wanted`
/// descriptors: a scan never needs more, and a huge soft limit is inherited by nothing
/// useful. Failing to raise it is not an error; the budget then reports what is there.
#[cfg(unix)]
pub fn raise_nofile(wanted: u64) -> io::Result<FdBudget> {
    let (soft, hard) = nofile()?;
    let in_use = open_descriptors().unwrap_or(16);
    let target = wanted.saturating_add(in_use).min(hard);
    let mut soft = soft;
    if target > soft {
        let raised = libc::rlimit {
            rlim_cur: to_rlim(target),
            rlim_max: to_rlim(hard),
        };
        // SAFETY: `raised` is a valid rlimit; the kernel checks the values.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            soft = target;
        }
    }
    Ok(FdBudget { soft, hard, in_use })
}

/// The soft and hard `RLIMIT_NOFILE` in force.
#[cfg(unix)]
fn nofile() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((from_rlim(limit.rlim_cur), from_rlim(limit.rlim_max)))
}

/// `rlim_t` is `u64` on Linux and macOS, `i64` on FreeBSD (where `RLIM_INFINITY` is
/// `i64::MAX`, and no limit is negative): one conversion for both.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast, clippy::unnecessary_min_or_max)]
fn from_rlim(value: libc::rlim_t) -> u64 {
    value.max(0) as u64
}

#[cfg(unix)]
#[allow(clippy::unnecessary_cast)]
fn to_rlim(value: u64) -> libc::rlim_t {
    value.min(i64::MAX as u64) as libc::rlim_t
}

/// How many descriptors this process has open right now (`/proc/self/fd` on Linux, the
/// `/dev/fd` of macOS and FreeBSD elsewhere).
#[cfg(unix)]
fn open_descriptors() -> io::Result<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const FD_DIR: &str = "/proc/self/fd";
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const FD_DIR: &str = "/dev/fd";
    Ok(std::fs::read_dir(FD_DIR)?.count() as u64)
}

/// Windows has no descriptor limit to raise: a process may hold up to 2^24 handles
/// (sockets among them; what runs out first is ephemeral ports and memory, which fail
/// with WSAENOBUFS, a resource shortage the scan already backs off from). The budget is
/// that ceiling, with the handles already open.
#[cfg(windows)]
pub fn raise_nofile(_wanted: u64) -> io::Result<FdBudget> {
    const HANDLE_LIMIT: u64 = 1 << 24;
    Ok(FdBudget {
        soft: HANDLE_LIMIT,
        hard: HANDLE_LIMIT,
        in_use: open_handles().unwrap_or(16),
    })
}

/// The handles this process holds (`GetProcessHandleCount`).
#[cfg(windows)]
fn open_handles() -> Option<u64> {
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessHandleCount};
    let mut count = 0u32;
    // SAFETY: GetCurrentProcess returns a pseudo-handle valid for the call; count is a
    // valid out-pointer.
    let ok = unsafe { GetProcessHandleCount(GetCurrentProcess(), &mut count) };
    // A process always holds handles; Wine answers 0 (its stub), which means "unknown".
    (ok != 0 && count > 0).then_some(u64::from(count))
}

/// Makes big buffers go back to the system when freed, for a long-running mode that builds
/// large answers for many clients at once (the exporter: a 275 KB `/metrics` page for each
/// of up to 128 scrapes at once). glibc serves a block of 128 KiB or more with a mapping of
/// its own and unmaps it on free, but after each such free it raises that threshold to the
/// block's size (up to 32 MiB); from then on those pages come from its heaps and stay there:
/// one burst of 300 scrapers left the exporter at 49 MB instead of 13. A fixed threshold
/// keeps the first behaviour (measured: 27 -> 31 MB instead of 27 -> 65 MB after the same
/// burst, BENCHMARKS.md). Other C libraries and platforms: nothing to do.
pub fn return_big_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets one parameter of glibc's allocator under its own lock; it takes
    // no pointer and cannot fail in a way that matters (0 means the value was refused).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_what_is_free() {
        let budget = FdBudget {
            soft: 256,
            hard: 1024,
            in_use: 10,
        };
        assert_eq!(budget.available(32), 214);
        assert_eq!(budget.available(1000), 0);
    }

    #[cfg(unix)]
    fn current() -> (u64, u64) {
        nofile().expect("getrlimit")
    }

    /// Windows (run under Wine by issue 18's scratch check, see docs/porting.md): the
    /// ceiling is the handle table's, and this process already holds some handles.
    #[cfg(windows)]
    #[test]
    fn a_windows_budget_is_the_handle_ceiling_less_what_is_open() {
        let budget = raise_nofile(10_000).unwrap();
        assert_eq!((budget.soft, budget.hard), (1 << 24, 1 << 24));
        assert!(budget.in_use >= 3, "{budget:?}");
        assert!(budget.available(32) > 10_000, "{budget:?}");
    }

    /// The only test in this binary that touches RLIMIT_NOFILE (a process-wide value), so
    /// the exact figures below cannot be moved by another test running beside it.
    #[cfg(unix)]
    #[test]
    fn raising_never_lowers_and_stays_under_the_hard_limit() {
        let (soft_before, hard) = current();
        // Asking for less than is there changes nothing: the soft limit is never lowered.
        let small = raise_nofile(1).unwrap();
        assert_eq!(
            (small.soft, small.hard),
            (soft_before, hard),
            "never lowers"
        );
        assert_eq!(
            current(),
            (soft_before, hard),
            "the limit in force is untouched"
        );
        assert!(small.in_use >= 3, "stdio at least: {small:?}");

        // Asking for more raises the soft limit to what is wanted plus what is open,
        // capped at the hard limit (raising up to the hard limit needs no privilege).
        let wanted = soft_before + 100;
        let raised = raise_nofile(wanted).unwrap();
        let expected = (wanted + raised.in_use).min(hard).max(soft_before);
        assert_eq!(raised.soft, expected, "{raised:?}");
        assert_eq!(raised.hard, hard, "the hard limit is never changed");
        assert_eq!(
            current(),
            (raised.soft, hard),
            "the budget is what is in force"
        );

        // And asking for less again keeps the raised limit.
        let again = raise_nofile(1).unwrap();
        assert_eq!(again.soft, raised.soft, "never lowers");
        assert!(again.soft <= again.hard);
    }
}
