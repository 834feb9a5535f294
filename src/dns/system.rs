//! The system's resolver (getaddrinfo: /etc/hosts, then DNS, as nsswitch.conf says), the
//! way `ping`, `trace`, `connect`, `serve` and the exporter turn a name into addresses,
//! and the one place that says in words why it could not.
//!
//! Every command resolves a name the way every other tool on the machine does; only
//! `resolve` (and `check`, to compare) walks the rules itself (`lookup/`). One function
//! per calling style (async in a runtime, blocking before one is started), one error
//! mapping, one message for a name without an address of the wanted family.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::error::Failure;
use crate::family::Family;

/// Every address the system resolver gives `name`, in its order, each with `port`.
pub async fn lookup(name: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    answer(name, tokio::net::lookup_host((name, port)).await)
}

/// [`lookup`] for a caller without a runtime (it blocks the thread).
pub fn lookup_blocking(name: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    answer(name, (name, port).to_socket_addrs())
}

/// The first of `found` that `family` allows, or why there is none.
pub fn first_allowed(
    name: &str,
    family: Family,
    found: &[SocketAddr],
) -> Result<SocketAddr, Failure> {
    found
        .iter()
        .find(|a| family.allows(&a.ip()))
        .copied()
        .ok_or_else(|| no_address_of(name, family, found))
}

/// What a failed lookup of `name` is called in an error line.
fn what(name: &str) -> String {
    format!("resolving {name}")
}

fn answer(
    name: &str,
    result: io::Result<impl Iterator<Item = SocketAddr>>,
) -> Result<Vec<SocketAddr>, Failure> {
    result
        .map(Iterator::collect)
        .map_err(|err| Failure::new(what(name), why(&err)))
}

/// getaddrinfo's errors arrive as "failed to lookup address information: Name or
/// service not known"; keep the part that means something.
fn why(err: &io::Error) -> String {
    let text = err.to_string();
    let text = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text);
    match text {
        "Name or service not known" | "No address associated with hostname" => {
            "no such host".into()
        }
        other => other.to_lowercase(),
    }
}

/// A name that resolved, but to no address of the family asked for (or to none).
fn no_address_of(name: &str, family: Family, found: &[SocketAddr]) -> Failure {
    if found.is_empty() {
        return Failure::new(what(name), "no address found");
    }
    let only: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
    Failure::new(
        what(name),
        format!(
            "no IPv{} address (only {})",
            if family == Family::V4 { 4 } else { 6 },
            only.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getaddrinfo_errors_read_as_words() {
        let gai =
            |text: &str| io::Error::other(format!("failed to lookup address information: {text}"));
        let failure = answer(
            "nowhere.test",
            Err::<std::iter::Empty<SocketAddr>, _>(gai("Name or service not known")),
        )
        .unwrap_err();
        assert_eq!(
            failure.to_string(),
            "netlab: resolving nowhere.test: no such host"
        );
        assert_eq!(
            why(&gai("No address associated with hostname")),
            "no such host"
        );
        assert_eq!(
            why(&gai("Temporary failure in name resolution")),
            "temporary failure in name resolution"
        );
        assert_eq!(why(&io::Error::other("Other")), "other");
    }

    #[test]
    fn the_family_picks_the_first_allowed_address_or_says_what_there_was() {
        let v4: SocketAddr = "127.0.0.1:7".parse().unwrap();
        let v6: SocketAddr = "[::1]:7".parse().unwrap();
        assert_eq!(first_allowed("h", Family::Any, &[v6, v4]).unwrap(), v6);
        assert_eq!(first_allowed("h", Family::V4, &[v6, v4]).unwrap(), v4);
        let f = first_allowed("h", Family::V6, &[v4]).unwrap_err();
        assert_eq!(
            f.to_string(),
            "netlab: resolving h: no IPv6 address (only 127.0.0.1)"
        );
        let f = first_allowed("h", Family::V4, &[v6]).unwrap_err();
        assert_eq!(f.why, "no IPv4 address (only ::1)");
        assert_eq!(
            first_allowed("h", Family::Any, &[]).unwrap_err().why,
            "no address found"
        );
    }

    #[tokio::test]
    async fn literals_resolve_without_asking_anyone() {
        let loopback: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(lookup("127.0.0.1", 9).await.unwrap(), [loopback]);
        assert_eq!(lookup_blocking("127.0.0.1", 9).unwrap(), [loopback]);
    }
}
