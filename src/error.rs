//! Errors and exit codes: the one place that decides what the user sees when a run fails.
//!
//! Every failure carries *what* failed (the operation, with the address or name involved)
//! and *why*, so `main` can print the single line CONVENTIONS.md asks for:
//! `netlab: <what failed>: <why>`, optionally followed by a `hint:` line.

use std::fmt;

/// The documented exit codes (README "Exit codes", `netlab --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every target answered as asked.
    Answered = 0,
    /// The run completed but some target did not answer.
    NotAnswered = 1,
    /// The run could not be done: bad input, missing privilege, socket or resolver error.
    Failed = 2,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit status of a run that completed: 0 when every target answered.
    pub fn from_answered(all_answered: bool) -> Exit {
        if all_answered {
            Exit::Answered
        } else {
            Exit::NotAnswered
        }
    }
}

/// A run that could not be done (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub why: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(what: impl Into<String>, why: impl fmt::Display) -> Failure {
        Failure {
            what: what.into(),
            why: why.to_string(),
            hint: None,
        }
    }

    /// Bad input on the command line: `what` names the argument.
    pub fn usage(what: impl Into<String>, why: impl fmt::Display) -> Failure {
        Failure::new(what, why)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "netlab: {}: {}", self.what, one_line(&self.why))?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {}", one_line(hint))?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Errors from libraries sometimes span lines; the contract is one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub type Result<T> = std::result::Result<T, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_renders_one_line_and_hint() {
        let f = Failure::new(
            "connect to 198.18.1.2:80",
            "permission denied\n  (os error 13)",
        )
        .with_hint("run as root");
        assert_eq!(
            f.to_string(),
            "netlab: connect to 198.18.1.2:80: permission denied (os error 13)\nhint: run as root"
        );
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!(Exit::Answered.code(), 0);
        assert_eq!(Exit::NotAnswered.code(), 1);
        assert_eq!(Exit::Failed.code(), 2);
        assert_eq!(Exit::from_answered(false), Exit::NotAnswered);
    }
}
