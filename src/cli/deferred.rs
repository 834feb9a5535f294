//! `Deferred`: a command's clap arguments built only when that command runs (issue 17's
//! start-up work). Kept apart from `cli.rs`, which holds the arguments themselves.

use clap::{ArgMatches, Args, FromArgMatches};

/// A command's arguments, defined only when that command is the one run.
///
/// clap builds a command's arguments (a few hundred `Arg` values for all seven commands)
/// before it parses anything; a one-shot `netlab resolve localhost` paid for ping's and
/// trace's fifty flags each at every start (issue 17, BENCHMARKS.md). This wrapper hands
/// clap the derived definitions through `Command::defer`, which clap runs when parsing
/// enters the command, or when help, completions or the man page need the whole tree
/// (they build it recursively, so they are byte-identical). The derive API has no
/// attribute for it yet (clap-rs/clap#4959).
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> Deferred<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Deferred<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(keep_about::<T, false>)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(keep_about::<T, true>)
    }
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// `T`'s arguments added to `cmd`, whose description stays the command's own. Deferred,
/// the arguments come after the enum variant's doc comment was set, and a flattened
/// struct's doc comment (`OutputArgs`'s) would replace it, as the variant's replaced
/// theirs before.
fn keep_about<T: Args, const UPDATE: bool>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = match UPDATE {
        false => T::augment_args(cmd),
        true => T::augment_args_for_update(cmd),
    };
    let keep = |text: Option<clap::builder::StyledStr>| match text {
        Some(text) => clap::builder::Resettable::Value(text),
        None => clap::builder::Resettable::Reset,
    };
    cmd.about(keep(about)).long_about(keep(long_about))
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }
    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}
