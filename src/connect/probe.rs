//! One probe of one port: what the network said, and what that means.
//!
//! The socket work is in [`crate::net::socket`]; this file turns its raw facts (an errno,
//! an ICMP type/code and its sender) into the states users know from nmap: open, closed,
//! filtered, unreachable, and for UDP open|filtered. The classification is pure and tested
//! without a network.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::payload::{Expectation, Payload};
use crate::net::err::{self, Kind};
use crate::net::socket::{
    self, ErrorOrigin, IcmpReport, RefusalDetail, TcpAttempt, TcpConn, UdpAttempt,
};

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// TCP: the handshake completed. UDP: a datagram came back.
    Open,
    /// TCP: refused (RST, or ICMP port unreachable). UDP: ICMP port unreachable.
    Closed,
    /// TCP: nothing came back within the timeout.
    Filtered,
    /// An ICMP error other than port unreachable came back (or the host has no route).
    Unreachable,
    /// UDP: nothing came back, which an open port that ignores the payload and a
    /// firewall that drops it look the same as.
    OpenFiltered,
}

impl State {
    /// The word in tables (nmap's spelling).
    pub fn label(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::Filtered => "filtered",
            State::Unreachable => "unreachable",
            State::OpenFiltered => "open|filtered",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// How to probe: the same for every port of a run.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub protocol: Protocol,
    pub timeout: Duration,
    /// Sent once connected (TCP) or as the datagram (UDP; empty when None; always
    /// `Payload::Bytes` for UDP).
    pub payload: Option<Payload>,
    /// Shut the write side once the payload is sent (`-N`, as `nc -N`).
    pub shutdown: bool,
    /// Whether and how to read an answer. Always set for UDP.
    pub read: Option<ReadSpec>,
    /// Whether a refusal's ICMP sender is worth a system call (not in scans).
    pub refusal: RefusalDetail,
}

#[derive(Debug, Clone)]
pub struct ReadSpec {
    pub max_bytes: usize,
    pub expect: Option<Expectation>,
    /// Nothing was sent or expected: read what the server says first, as `nc` and `telnet`
    /// show it, for at most [`GREETING_WAIT`] (until it closes, or pauses for
    /// [`GREETING_QUIET`] after saying something). Silence is no answer.
    pub greeting: bool,
    /// Once the answer has begun, a pause of [`GREETING_QUIET`] ends it (a greeting, and
    /// the answer to `--send` without `--expect`): a server that answers and keeps the
    /// connection open is done as soon as a closing one would be, never the whole timeout.
    pub quiet_ends: bool,
}

/// How long a single probe waits for a server to say something first.
pub const GREETING_WAIT: Duration = Duration::from_millis(200);
/// Once a greeting has begun, a pause this long ends it.
pub const GREETING_QUIET: Duration = Duration::from_millis(20);

/// The result of one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub state: State,
    /// Connect time (TCP) or reply time (UDP); for errors, when the error arrived.
    pub time: Option<Duration>,
    /// Which ICMP error and from where, or what went wrong after connecting.
    pub detail: Option<String>,
    /// What the peer said, raw.
    pub answer: Option<Vec<u8>>,
    /// Whether the answer met `--expect`/`--expect-regex` (None when there was none).
    pub expect_matched: Option<bool>,
}

impl Outcome {
    fn bare(state: State, time: Option<Duration>, detail: Option<String>) -> Outcome {
        Outcome {
            state,
            time,
            detail,
            answer: None,
            expect_matched: None,
        }
    }
}

/// Why a probe could not be made.
#[derive(Debug)]
pub enum ProbeError {
    /// Out of descriptors, buffers or ephemeral ports: try this port again later.
    Busy(io::Error),
    /// Anything else: the run cannot go on.
    Fatal(io::Error),
}

/// Probes one address, waiting up to the spec's timeout.
pub async fn probe(spec: &ProbeSpec, addr: SocketAddr) -> Result<Outcome, ProbeError> {
    probe_within(spec, addr, spec.timeout).await
}

/// Probes one address, waiting up to `timeout` for the handshake or the reply (a scan's
/// first try uses a timeout adapted to the path; see `timeout.rs`).
pub async fn probe_within(
    spec: &ProbeSpec,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<Outcome, ProbeError> {
    match spec.protocol {
        Protocol::Tcp => probe_tcp(spec, addr, timeout).await,
        Protocol::Udp => probe_udp(spec, addr, timeout).await,
    }
}

async fn probe_tcp(
    spec: &ProbeSpec,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<Outcome, ProbeError> {
    let attempt = socket::tcp_connect(addr, timeout, spec.refusal)
        .await
        .map_err(creation_error)?;
    match attempt {
        TcpAttempt::TimedOut => Ok(Outcome::bare(State::Filtered, None, None)),
        TcpAttempt::Failed {
            error,
            icmp,
            elapsed,
        } => from_error(&error, icmp.as_ref(), elapsed),
        TcpAttempt::Connected { conn, elapsed } => {
            if conn.is_self_connected() {
                conn.abort();
                return Ok(Outcome::bare(
                    State::Closed,
                    Some(elapsed),
                    Some("nothing listening (the connection looped back to itself)".into()),
                ));
            }
            let Some(read) = &spec.read else {
                conn.abort();
                return Ok(Outcome::bare(State::Open, Some(elapsed), None));
            };
            let (answer, detail) = converse(&conn, spec, read).await;
            let expect_matched = read.expect.as_ref().map(|e| e.matches(&answer));
            Ok(Outcome {
                state: State::Open,
                time: Some(elapsed),
                detail,
                answer: (!(read.greeting && answer.is_empty())).then_some(answer),
                expect_matched,
            })
        }
    }
}

/// Sends the payload (and half-closes with `-N`), then reads until the peer closes,
/// `timeout` passes, `max_bytes` arrived, the expectation is met, or (with
/// [`ReadSpec::quiet_ends`]) the peer paused [`GREETING_QUIET`] after speaking, so neither
/// `--expect` nor a plain `--send` waits out the timeout on a server that keeps the
/// connection open. A greeting read waits [`GREETING_WAIT`] at most.
async fn converse(conn: &TcpConn, spec: &ProbeSpec, read: &ReadSpec) -> (Vec<u8>, Option<String>) {
    let window = if read.greeting {
        GREETING_WAIT.min(spec.timeout)
    } else {
        spec.timeout
    };
    let deadline = Instant::now() + window;
    let mut detail = None;
    if let Some(payload) = &spec.payload {
        match tokio::time::timeout_at(deadline, send_payload(conn, payload)).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => detail = Some(why),
            Err(_) => detail = Some("sending timed out (the peer is not reading)".into()),
        }
        if spec.shutdown && detail.is_none() {
            if let Err(err) = conn.shutdown_write() {
                detail = Some(format!("half-closing failed: {}", error_text(&err)));
            }
        }
    }
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while answer.len() < read.max_bytes {
        if let Some(expect) = &read.expect {
            if expect.matches(&answer) {
                break;
            }
        }
        let until = if read.quiet_ends && !answer.is_empty() {
            deadline.min(Instant::now() + GREETING_QUIET)
        } else {
            deadline
        };
        let room = (read.max_bytes - answer.len()).min(buf.len());
        match tokio::time::timeout_at(until, conn.read(&mut buf[..room])).await {
            Err(_) | Ok(Ok(0)) => break,
            Ok(Ok(len)) => answer.extend_from_slice(&buf[..len]),
            Ok(Err(err)) => {
                detail.get_or_insert_with(|| {
                    format!("{} after {} bytes", error_phrase(&err), answer.len())
                });
                break;
            }
        }
    }
    (answer, detail)
}

/// Writes the payload; a file is streamed a chunk at a time (the caller bounds the time).
async fn send_payload(conn: &TcpConn, payload: &Payload) -> Result<(), String> {
    let sending = |err: io::Error| format!("sending failed: {}", error_text(&err));
    match payload {
        Payload::Bytes(bytes) => conn.write_all(bytes).await.map_err(sending),
        Payload::File(path) => {
            use tokio::io::AsyncReadExt;
            let reading =
                |err: io::Error| format!("reading {}: {}", path.display(), error_text(&err));
            let mut file = tokio::fs::File::open(path).await.map_err(reading)?;
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut chunk).await.map_err(reading)?;
                if n == 0 {
                    return Ok(());
                }
                conn.write_all(&chunk[..n]).await.map_err(sending)?;
            }
        }
    }
}

async fn probe_udp(
    spec: &ProbeSpec,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<Outcome, ProbeError> {
    let max_bytes = spec.read.as_ref().map_or(65_536, |r| r.max_bytes);
    let payload = match &spec.payload {
        Some(Payload::Bytes(bytes)) => bytes.as_slice(),
        // The plan reads a --send-file for UDP into one datagram's bytes.
        Some(Payload::File(_)) | None => &[],
    };
    let attempt = socket::udp_exchange(addr, payload, timeout, max_bytes)
        .await
        .map_err(creation_error)?;
    match attempt {
        UdpAttempt::Silent => Ok(Outcome::bare(State::OpenFiltered, None, None)),
        UdpAttempt::Failed {
            error,
            icmp,
            elapsed,
        } => from_error(&error, icmp.as_ref(), elapsed),
        UdpAttempt::Reply { data, elapsed } => {
            let expect_matched = spec
                .read
                .as_ref()
                .and_then(|r| r.expect.as_ref())
                .map(|e| e.matches(&data));
            Ok(Outcome {
                state: State::Open,
                time: Some(elapsed),
                detail: None,
                answer: Some(data),
                expect_matched,
            })
        }
    }
}

fn from_error(
    error: &io::Error,
    icmp: Option<&IcmpReport>,
    elapsed: Duration,
) -> Result<Outcome, ProbeError> {
    match classify(error, icmp) {
        Classified::State(state, detail) => Ok(Outcome::bare(state, Some(elapsed), detail)),
        Classified::Busy => Err(ProbeError::Busy(clone_error(error))),
        Classified::Fatal => Err(ProbeError::Fatal(clone_error(error))),
    }
}

fn creation_error(error: io::Error) -> ProbeError {
    if is_busy(&error) {
        ProbeError::Busy(error)
    } else {
        ProbeError::Fatal(error)
    }
}

fn clone_error(error: &io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(error.kind(), error.to_string()),
    }
}

/// What an error means for the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    State(State, Option<String>),
    /// A local shortage; the probe should be repeated.
    Busy,
    /// Not an answer from the network and not a shortage.
    Fatal,
}

/// Maps an errno and the ICMP report behind it to a state and a detail.
pub fn classify(error: &io::Error, icmp: Option<&IcmpReport>) -> Classified {
    // An error netlab does not tell apart (or not from the system) ends the run.
    let Some(kind) = err::kind(error) else {
        return Classified::Fatal;
    };
    // An ICMP report names the cause better than the errno the kernel folded it into.
    let icmp_detail = icmp.map(describe_icmp);
    match kind {
        Kind::ConnectionRefused => {
            // A RST leaves no report; an ICMP port unreachable (a REJECT rule) does.
            Classified::State(State::Closed, icmp_detail)
        }
        Kind::TimedOut => Classified::State(State::Filtered, icmp_detail),
        Kind::HostUnreachable
        | Kind::NetworkUnreachable
        | Kind::HostDown
        | Kind::NotOnNetwork
        | Kind::ProtocolOption
        | Kind::ProtocolError
        | Kind::NotSupported
        | Kind::AccessDenied
        | Kind::NotPermitted => Classified::State(
            State::Unreachable,
            Some(icmp_detail.unwrap_or_else(|| local_reason(kind, error))),
        ),
        _ if is_busy(error) => Classified::Busy,
        _ => Classified::Fatal,
    }
}

/// Errors that mean "not now", not "not possible".
fn is_busy(error: &io::Error) -> bool {
    err::is_resource_shortage(error)
        || matches!(
            err::kind(error),
            Some(Kind::AddressNotAvailable | Kind::WouldBlock)
        )
}

/// An error that came without an ICMP message: this host decided on its own.
fn local_reason(kind: Kind, error: &io::Error) -> String {
    match kind {
        Kind::NetworkUnreachable => "network unreachable (no route on this host)".into(),
        Kind::HostUnreachable => "host unreachable (no route, or no ARP/ND reply)".into(),
        Kind::AccessDenied | Kind::NotPermitted => {
            "blocked on this host (firewall or permission)".into()
        }
        _ => error_phrase(error),
    }
}

/// Names an ICMP error the way traceroute users read it, with its sender and numbers:
/// `administratively prohibited from 198.18.1.1 (ICMP 3/13)`.
pub fn describe_icmp(report: &IcmpReport) -> String {
    let (what, family) = match report.origin {
        ErrorOrigin::Icmp4 => (icmp4_name(report.icmp_type, report.icmp_code), "ICMP"),
        ErrorOrigin::Icmp6 => (icmp6_name(report.icmp_type, report.icmp_code), "ICMPv6"),
        ErrorOrigin::Local => {
            let reason = error_phrase(&io::Error::from_raw_os_error(report.errno));
            return match report.from {
                Some(from) => format!("{reason} (local error at {from})"),
                None => format!("{reason} (local error)"),
            };
        }
    };
    let numbers = format!("{family} {}/{}", report.icmp_type, report.icmp_code);
    match report.from {
        Some(from) => format!("{what} from {from} ({numbers})"),
        None => format!("{what} ({numbers})"),
    }
}

fn icmp4_name(kind: u8, code: u8) -> String {
    let name = match (kind, code) {
        (3, 0) => "network unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "fragmentation needed",
        (3, 5) => "source route failed",
        (3, 6) => "destination network unknown",
        (3, 7) => "destination host unknown",
        (3, 8) => "source host isolated",
        (3, 9) => "network administratively prohibited",
        (3, 10) => "host administratively prohibited",
        (3, 11) => "network unreachable for TOS",
        (3, 12) => "host unreachable for TOS",
        (3, 13) => "administratively prohibited",
        (3, 14) => "host precedence violation",
        (3, 15) => "precedence cutoff",
        (3, _) => "destination unreachable",
        (4, _) => "source quench",
        (11, 0) => "TTL exceeded in transit",
        (11, _) => "time exceeded",
        (12, _) => "parameter problem",
        _ => "ICMP error",
    };
    name.to_string()
}

fn icmp6_name(kind: u8, code: u8) -> String {
    let name = match (kind, code) {
        (1, 0) => "no route to destination",
        (1, 1) => "administratively prohibited",
        (1, 2) => "beyond scope of source address",
        (1, 3) => "address unreachable",
        (1, 4) => "port unreachable",
        (1, 5) => "source address failed policy",
        (1, 6) => "reject route to destination",
        (1, _) => "destination unreachable",
        (2, _) => "packet too big",
        (3, 0) => "hop limit exceeded in transit",
        (3, _) => "time exceeded",
        (4, _) => "parameter problem",
        _ => "ICMPv6 error",
    };
    name.to_string()
}

/// [`error_text`] as a phrase inside a line: the system's message lowercased (`Connection
/// refused` → `connection refused`), netlab's own refusal of what a platform cannot do
/// as written (it names Windows, TCP, ...).
pub fn error_phrase(error: &io::Error) -> String {
    let text = error_text(error);
    if error.raw_os_error().is_none() && error.kind() == io::ErrorKind::Unsupported {
        text
    } else {
        text.to_lowercase()
    }
}

/// `Connection refused (os error 111)` → `Connection refused`: the number helps nobody
/// (and on Windows netlab's words for the WinSock errors it names: `net::err::text`).
pub fn error_text(error: &io::Error) -> String {
    err::text(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_messages_are_lowercased_and_netlabs_own_refusals_kept() {
        // Any system error: its message is the platform's, lowercased inside a line.
        let refused = io::Error::from_raw_os_error(111);
        assert_eq!(error_phrase(&refused), error_text(&refused).to_lowercase());
        // As net::sys::unsupported makes a platform's refusal.
        let own = io::Error::new(
            io::ErrorKind::Unsupported,
            "raw TCP sends (Windows forbids them) is not available on Windows",
        );
        assert_eq!(error_phrase(&own), error_text(&own));
        assert!(
            error_phrase(&own).contains("Windows"),
            "{}",
            error_phrase(&own)
        );
    }

    fn report(origin: ErrorOrigin, kind: u8, code: u8, errno: i32, from: &str) -> IcmpReport {
        IcmpReport {
            origin,
            icmp_type: kind,
            icmp_code: code,
            errno,
            info: 0,
            from: Some(from.parse().unwrap()),
        }
    }

    fn os(kind: Kind) -> io::Error {
        kind.error()
    }

    fn code(kind: Kind) -> i32 {
        kind.code().expect("every platform has it")
    }

    #[test]
    fn a_reset_is_closed_without_detail() {
        assert_eq!(
            classify(&os(Kind::ConnectionRefused), None),
            Classified::State(State::Closed, None)
        );
    }

    #[test]
    fn an_icmp_port_unreachable_is_closed_and_says_who() {
        let icmp = report(
            ErrorOrigin::Icmp4,
            3,
            3,
            code(Kind::ConnectionRefused),
            "198.18.2.2",
        );
        assert_eq!(
            classify(&os(Kind::ConnectionRefused), Some(&icmp)),
            Classified::State(
                State::Closed,
                Some("port unreachable from 198.18.2.2 (ICMP 3/3)".into())
            )
        );
    }

    #[test]
    fn icmp_errors_are_unreachable_and_named() {
        let cases = [
            (
                report(
                    ErrorOrigin::Icmp4,
                    3,
                    0,
                    code(Kind::NetworkUnreachable),
                    "198.18.1.1",
                ),
                Kind::NetworkUnreachable,
                "network unreachable from 198.18.1.1 (ICMP 3/0)",
            ),
            (
                report(
                    ErrorOrigin::Icmp4,
                    3,
                    1,
                    code(Kind::HostUnreachable),
                    "198.18.1.1",
                ),
                Kind::HostUnreachable,
                "host unreachable from 198.18.1.1 (ICMP 3/1)",
            ),
            (
                report(
                    ErrorOrigin::Icmp4,
                    3,
                    13,
                    code(Kind::HostUnreachable),
                    "198.18.1.1",
                ),
                Kind::HostUnreachable,
                "administratively prohibited from 198.18.1.1 (ICMP 3/13)",
            ),
            (
                report(
                    ErrorOrigin::Icmp6,
                    1,
                    1,
                    code(Kind::AccessDenied),
                    "2001:db8:1::1",
                ),
                Kind::AccessDenied,
                "administratively prohibited from 2001:db8:1::1 (ICMPv6 1/1)",
            ),
            (
                report(
                    ErrorOrigin::Icmp6,
                    1,
                    0,
                    code(Kind::NetworkUnreachable),
                    "2001:db8:1::1",
                ),
                Kind::NetworkUnreachable,
                "no route to destination from 2001:db8:1::1 (ICMPv6 1/0)",
            ),
        ];
        for (icmp, errno, text) in cases {
            assert_eq!(
                classify(&os(errno), Some(&icmp)),
                Classified::State(State::Unreachable, Some(text.into()))
            );
        }
    }

    #[test]
    fn errors_without_icmp_say_it_was_this_host() {
        match classify(&os(Kind::NetworkUnreachable), None) {
            Classified::State(State::Unreachable, Some(detail)) => {
                assert!(detail.contains("no route on this host"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        // EPERM (a firewall's verdict on Linux) where the platform has it; Windows says
        // WSAEACCES for both.
        let blocked = [Kind::AccessDenied, Kind::NotPermitted];
        for kind in blocked.into_iter().filter(|k| k.code().is_some()) {
            match classify(&os(kind), None) {
                Classified::State(State::Unreachable, Some(detail)) => {
                    assert!(detail.contains("blocked"), "{kind:?}: {detail}")
                }
                other => panic!("{kind:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn shortages_are_retried_and_the_rest_is_fatal() {
        // Windows has no system-wide descriptor limit (ENFILE): the kinds it has.
        let shortages = [
            Kind::ProcessFileLimit,
            Kind::SystemFileLimit,
            Kind::NoBufferSpace,
            Kind::AddressNotAvailable,
        ];
        for kind in shortages.into_iter().filter(|k| k.code().is_some()) {
            assert_eq!(classify(&os(kind), None), Classified::Busy, "{kind:?}");
        }
        assert_eq!(
            classify(&os(Kind::FamilyNotSupported), None),
            Classified::Fatal
        );
        assert_eq!(classify(&io::Error::other("x"), None), Classified::Fatal);
    }

    #[test]
    fn unusual_icmp_codes_still_read_well() {
        let local = IcmpReport {
            origin: ErrorOrigin::Local,
            icmp_type: 0,
            icmp_code: 0,
            errno: code(Kind::MessageTooLong),
            info: 0,
            from: None,
        };
        assert_eq!(describe_icmp(&local), "message too long (local error)");
        let odd = report(
            ErrorOrigin::Icmp4,
            3,
            99,
            code(Kind::HostUnreachable),
            "10.0.0.1",
        );
        assert_eq!(
            describe_icmp(&odd),
            "destination unreachable from 10.0.0.1 (ICMP 3/99)"
        );
        let ttl = report(ErrorOrigin::Icmp6, 3, 0, code(Kind::HostUnreachable), "::1");
        assert_eq!(
            describe_icmp(&ttl),
            "hop limit exceeded in transit from ::1 (ICMPv6 3/0)"
        );
    }
}
