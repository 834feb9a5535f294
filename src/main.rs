//! The `netlab` binary: parse, run, map the outcome to an exit code. Nothing else.
//!
//! On Linux with glibc netlab starts without Rust's own start-up (`#![no_main]`, a C
//! `main`): `std::rt::lang_start` reads `/proc/self/maps` through `pthread_getattr_np` to
//! know the main thread's stack for its overflow message, and sets up an alternate signal
//! stack for it — a tenth of `netlab resolve localhost`'s instructions and some twenty of
//! its system calls, before any of netlab runs (issue 17, BENCHMARKS.md). The two parts of
//! it a command relies on are done here by [`netlab::app::prepare_process`]: closed
//! standard descriptors are reopened on /dev/null, and SIGPIPE is ignored (a closed pipe is
//! then a failed write, which `app` makes a quiet exit 0). What goes: a stack overflow
//! ends the process with SIGSEGV, without std's line before it. The arguments still reach
//! `std::env::args_os`: glibc hands them to std's initialiser before `main`.
//! (`cargo test` builds this file with its harness's own `main`, so there it keeps `fn main`.)
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    netlab::app::prepare_process();
    run()
}

#[cfg(any(not(all(target_os = "linux", target_env = "gnu")), test))]
fn main() {
    run();
}

fn run() -> ! {
    netlab::app::install_panic_hook(std::process::exit);
    std::process::exit(netlab::app::main_with_args(std::env::args_os()))
}
