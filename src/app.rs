//! From command line to exit status. `main` installs [`install_panic_hook`] and calls
//! [`main_with_args`]; nothing here ends the process: every way out, a failed write to
//! stdout included, comes back to `main` as the exit status.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::{Exit, Failure};
use crate::output::{Format, Stdout, WriteFailure};

/// Runs netlab with these arguments and returns the process exit status.
pub fn main_with_args<I>(args: I) -> i32
where
    I: IntoIterator<Item = OsString>,
{
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return report_clap_error(err),
    };
    // The one door to stdout, a markdown page when the format asks for one.
    let format = cli.command.output().map_or(Format::Table, |o| o.format());
    let out = Stdout::new(crate::output::markdown::Run::new(&args), format);
    let result = run(cli, &out);
    // A failed write ended the run early (the commands stop once `out.stopped()`):
    // it decides the status, whatever the command made of the rest.
    if let Some(failure) = out.failure() {
        return stdout_failed(failure);
    }
    match result {
        Ok(exit) => exit.code(),
        Err(failure) => {
            eprintln!("{failure}");
            Exit::Failed.code()
        }
    }
}

fn run(cli: Cli, out: &Stdout) -> Result<Exit, Failure> {
    match cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "netlab", &mut script);
            out.line(String::from_utf8_lossy(&script).trim_end());
            Ok(Exit::Answered)
        }
        // One thread: the queries wait on sockets, not on a CPU (see `one_thread`).
        Command::Resolve(args) => {
            let plan = crate::resolve::Plan::from_args(args.into_inner())?;
            one_thread()?.block_on(crate::resolve::run(plan, out))
        }
        Command::Connect(args) if args.interactive => {
            runtime()?.block_on(crate::connect::interactive::run(args.into_inner(), out))
        }
        // One thread: hyper's connection task and the request that waits on it take turns
        // on it, so no phase is stretched by a hand-off between threads (curl has none).
        Command::Connect(args) if crate::connect::web::wanted(&args) => {
            let plan = crate::connect::web::WebPlan::from_args(args.into_inner())?;
            one_thread()?.block_on(crate::connect::web::run(plan, out))
        }
        Command::Connect(args) => {
            let plan = crate::connect::Plan::from_args(args.into_inner())?;
            runtime()?.block_on(crate::connect::run(plan, out))
        }
        // Ping opens its sockets and drops capabilities before any thread exists
        // (capabilities are per thread), so it builds its own runtime afterwards.
        Command::Ping(args) => {
            let plan = crate::ping::Plan::from_args(args.into_inner())?;
            crate::ping::run(plan, out)
        }
        // Like ping: sockets first, then capabilities are dropped, then threads start.
        Command::Trace(args) => {
            let (plan, view) = crate::trace::Plan::from_args(args.into_inner())?;
            crate::trace::run(plan, view, out)
        }
        // Like ping: sockets first, then capabilities are dropped, then threads start.
        Command::Check(args) => {
            let plan = crate::check::Plan::from_args(args.into_inner())?;
            crate::check::run(plan, out)
        }
        // Like ping: sockets (and the listener) first, then capabilities are dropped,
        // then the runtime's threads start.
        Command::Exporter(args) => {
            let plan = crate::exporter::Plan::from_args(args.into_inner())?;
            crate::exporter::run(plan)
        }
        Command::Serve(args) => {
            let plan = crate::serve::Plan::from_args(args.into_inner())?;
            runtime()?.block_on(crate::serve::run(plan, out))
        }
    }
}

/// The runtime of a command whose tasks share the work (a scan's connections, a
/// server's clients): a thread per core.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::new("starting the async runtime", err))
}

/// The runtime of a one-shot command that waits rather than computes: the calling thread
/// only. A thread per core costs a one-shot command more to start and stop (a clone, a
/// stack and a futex hand-off each) than it can ever win back.
fn one_thread() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::new("starting the async runtime", err))
}

/// clap's usage errors span several lines; the contract is one line plus a hint.
fn report_clap_error(err: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let out = Stdout::plain();
            out.line(err.render().to_string().trim_end());
            out.failure().map_or(Exit::Answered.code(), stdout_failed)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("netlab: command line: a command is required");
            eprintln!("hint: see 'netlab --help' for the commands");
            Exit::Failed.code()
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("invalid command line");
            let message = first.trim().strip_prefix("error: ").unwrap_or(first.trim());
            eprintln!("netlab: command line: {message}");
            eprintln!("hint: see 'netlab --help' or 'netlab <command> --help'");
            Exit::Failed.code()
        }
    }
}

/// stdout could not be written: a closed pipe means the reader has all it asked for
/// (`netlab cmd | head`), so the run ends quietly with 0, as ripgrep's does; anything
/// else is exit 2 with one line.
fn stdout_failed(failure: WriteFailure) -> i32 {
    if failure.is_closed_pipe() {
        return Exit::Answered.code();
    }
    eprintln!("{}", Failure::new(failure.what, failure.err));
    Exit::Failed.code()
}

/// What Rust's start-up would have done that netlab needs, for a `main` that skips it
/// (`main.rs`): standard descriptors that were closed are opened on /dev/null, so that no
/// socket opened later becomes "stdout", and SIGPIPE is ignored, so a closed pipe is a
/// failed write (`stdout_failed`). When even that fails the process cannot run safely:
/// one line and exit 2, as std would abort.
pub fn prepare_process() {
    if let Err(err) = crate::net::stdio::prepare() {
        eprintln!("{}", Failure::new("preparing the standard streams", err));
        std::process::exit(Exit::Failed.code());
    }
}

/// A bug must still honour the contract: one line, no backtrace, exit 2, whichever
/// thread panicked. The line is printed here; `end` (main's exit) ends
/// the process with [`Exit::Failed`]'s code.
pub fn install_panic_hook(end: fn(i32) -> !) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "netlab: internal error: {}{place} (this is a bug; please report it)",
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        end(Exit::Failed.code());
    }));
}
