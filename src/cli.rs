//! The command line, as clap sees it. This is stage one of two (ripgrep's lowargs →
//! hiargs): values are checked here; each command then builds its typed plan from these
//! structs. The same definitions generate the shell completions and the man page.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;
use crate::output::Format;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every target answered as asked (resolved, port open, reply received)
  1  the run completed but some target did not answer (NXDOMAIN, closed or
     filtered port, 100% loss, expectation not met)
  2  the run could not be done (bad input, missing privilege, socket or
     resolver error)";

#[derive(Debug, Parser)]
#[command(
    name = "netlab",
    version,
    about = "Network diagnostics for people who use ping, traceroute, dig and nc every day",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server
    #[command(after_help = EXIT_CODES_HELP)]
    Resolve(ResolveArgs),
    /// Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings
    #[command(after_help = EXIT_CODES_HELP)]
    Connect(ConnectArgs),
    /// Send ICMP echo requests to one or many hosts, with live rows and statistics
    #[command(after_help = PING_EXIT_CODES_HELP)]
    Ping(PingArgs),
    /// Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP
    #[command(after_help = TRACE_EXIT_CODES_HELP)]
    Trace(TraceArgs),
    /// Serve TCP or UDP: echo, greet, answer from a template, count words, or chat
    #[command(after_help = SERVE_EXIT_CODES_HELP)]
    Serve(ServeArgs),
    /// Resolve, connect, ping and trace one target, and check that they agree
    #[command(after_help = CHECK_EXIT_CODES_HELP)]
    Check(CheckArgs),
    /// Print a shell completion script to stdout
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// Address families to use.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FamilyArgs {
    /// Use IPv4 only
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 only
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// Which address families a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl FamilyArgs {
    pub fn family(self) -> Family {
        match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        }
    }
}

impl Family {
    pub fn allows(self, addr: &std::net::IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }

    /// An address typed in that -4/-6 rules out: why, for the usage error.
    pub fn refusal(self, addr: &std::net::IpAddr) -> Option<String> {
        (!self.allows(addr)).then(|| {
            format!(
                "{addr} is an IPv{} address, but -{} was given",
                if addr.is_ipv4() { 4 } else { 6 },
                if addr.is_ipv4() { 6 } else { 4 }
            )
        })
    }
}

/// DNS record types `resolve -t` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, serde::Serialize)]
#[value(rename_all = "UPPER")]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordKind {
    A,
    Aaaa,
    Cname,
    Mx,
    Ns,
    Txt,
    Soa,
    Srv,
    Ptr,
    Caa,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Names or addresses to resolve (an address gives its PTR name)
    #[arg(value_name = "NAME|ADDRESS")]
    pub targets: Vec<String>,
    /// Read names from FILE, one per line ('-' for stdin; '#' starts a comment)
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Ask this DNS server directly instead of the system's configuration
    #[arg(short = 's', long, value_name = "ADDR[:PORT]")]
    pub server: Option<String>,
    /// Record type to ask for (default: A and AAAA, as getaddrinfo does)
    #[arg(
        short = 't',
        long = "type",
        value_enum,
        ignore_case = true,
        value_name = "TYPE"
    )]
    pub record_type: Option<RecordKind>,
    /// Use TCP for DNS queries (UDP is used otherwise, with TCP on truncation)
    #[arg(long)]
    pub tcp: bool,
    /// Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)
    #[arg(short = 'W', long, value_parser = duration_arg, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// How many names to resolve at once with --file
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub concurrency: u16,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// host:port, [v6addr]:port, or host with -p
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Ports: 22,80,8000-8100; '-' (as in -p-) for all 65535
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORTS",
        allow_hyphen_values = true
    )]
    pub ports: Option<String>,
    /// Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// How long to wait for a handshake or an answer
    #[arg(short = 'w', long, default_value = "1s", value_parser = duration_arg, value_name = "DURATION")]
    pub timeout: Duration,
    /// Probe COUNT times and print statistics (single port only)
    #[arg(short = 'c', long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Time between repeated probes
    #[arg(short = 'i', long, default_value = "1s", value_parser = duration_arg, value_name = "DURATION")]
    pub interval: Duration,
    /// Send TEXT once connected (escapes: \n \r \t \\ \xNN)
    #[arg(long, value_name = "TEXT", conflicts_with = "send_file")]
    pub send: Option<String>,
    /// Send the contents of FILE once connected
    #[arg(long, value_name = "FILE")]
    pub send_file: Option<PathBuf>,
    /// Stop reading the answer after N bytes
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    pub recv_bytes: Option<u32>,
    /// Exit 1 unless the answer contains TEXT (escapes as for --send)
    #[arg(long, value_name = "TEXT", conflicts_with = "expect_regex")]
    pub expect: Option<String>,
    /// Exit 1 unless the answer matches the regular expression RE
    #[arg(long, value_name = "RE")]
    pub expect_regex: Option<String>,
    /// Probes in flight at once when scanning (default: as many as the open-file limit allows)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub concurrency: Option<u32>,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Talk: send lines typed on stdin, print the server's lines, until either side closes or says `bye`
    #[arg(
        long,
        conflicts_with_all = ["udp", "count", "send", "send_file", "recv_bytes", "expect", "expect_regex", "concurrency", "json", "format"]
    )]
    pub interactive: bool,
}

pub const PING_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every target replied at least once
  1  the run completed but some target never replied (100% loss, only
     ICMP errors)
  2  the run could not be done (bad input, unresolvable name, missing
     privilege, socket error)

Privileges: raw ICMP sockets are used when netlab holds CAP_NET_RAW (root, or
`setcap cap_net_raw+ep`), ICMP datagram sockets otherwise when
net.ipv4.ping_group_range includes your group. Capabilities are dropped once
the sockets are open.";

#[derive(Debug, Args)]
pub struct PingArgs {
    /// Hosts or addresses to ping (many at once are probed together)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read targets from FILE, one per line ('-' for stdin; '#' starts a comment)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Stop after COUNT probes per target (default: until Ctrl-C or the deadline)
    #[arg(short = 'c', long, value_name = "COUNT", allow_negative_numbers = true)]
    pub count: Option<i64>,
    /// Time between probes to a target (at least 2ms without CAP_NET_RAW)
    #[arg(short = 'i', long, default_value = "1s", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub interval: Duration,
    /// How long to wait for each reply before counting it lost (later ones count as late)
    #[arg(short = 'W', long = "timeout", default_value = "2s", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub timeout: Duration,
    /// Stop after this long, whatever has been sent or received (with -c: until COUNT replies)
    #[arg(short = 'w', long = "deadline", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub deadline: Option<Duration>,
    /// ICMP data bytes per probe
    #[arg(
        short = 's',
        long = "size",
        default_value_t = 56,
        value_name = "BYTES",
        allow_negative_numbers = true
    )]
    pub size: i64,
    /// Time to live (IPv6: hop limit) of the probes, 1-255
    #[arg(
        short = 't',
        long = "ttl",
        value_name = "TTL",
        allow_negative_numbers = true
    )]
    pub ttl: Option<i64>,
    /// Print only the summary, not a row per reply
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Show addresses only (no reverse DNS names)
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub const TRACE_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the destination was reached
  1  the trace completed without reaching it (max hops, unreachable,
     filtered)
  2  the trace could not be done (bad input, unresolvable name, missing
     privilege, socket error)

Methods: UDP (the default) and TCP need no privilege: ICMP errors come back on
the probe socket's error queue (IP_RECVERR), as with Linux traceroute and
tracepath. ICMP (-I) uses a raw socket with CAP_NET_RAW, an ICMP datagram
socket otherwise when net.ipv4.ping_group_range includes your group. With
CAP_NET_RAW a raw ICMP socket also reads MPLS labels (RFC 4950).

Rounds (-c N, --watch): per-hop statistics over the rounds, with each hop's
loss explained (forwarding: shared by every later hop; replies_only: the
router limits its own replies). Exit 0 when the destination answered in at
least one round; Ctrl-C or SIGTERM ends them with the summary.";

/// How `trace` probes.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct TraceMethodArgs {
    /// Probe with ICMP echo requests
    #[arg(short = 'I', long = "icmp", conflicts_with_all = ["udp", "tcp"])]
    pub icmp: bool,
    /// Probe with UDP datagrams to one fixed port (the default)
    #[arg(short = 'U', long = "udp", conflicts_with = "tcp")]
    pub udp: bool,
    /// Probe with TCP SYNs (connect attempts) to one port
    #[arg(short = 'T', long = "tcp")]
    pub tcp: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Host or address to trace the route to
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub method: TraceMethodArgs,
    /// Destination port (UDP default 33434, TCP default 80); the same for every probe
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Largest TTL (hop limit) to probe
    #[arg(short = 'm', long = "max-hops", default_value_t = 30, value_name = "HOPS", value_parser = clap::value_parser!(u8).range(1..))]
    pub max_hops: u8,
    /// TTL of the first hop to probe
    #[arg(short = 'f', long = "first", default_value_t = 1, value_name = "TTL", value_parser = clap::value_parser!(u8).range(1..))]
    pub first_ttl: u8,
    /// Probes per hop (default 3; 1 per round with -c or --watch)
    #[arg(short = 'q', long = "queries", value_name = "N", value_parser = clap::value_parser!(u8).range(1..=crate::trace::MAX_QUERIES as i64))]
    pub queries: Option<u8>,
    /// The longest a probe waits for its answer (most wait far less: see the README)
    #[arg(short = 'w', long = "wait", default_value = "5s", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub wait: Duration,
    /// Show addresses only (no reverse DNS names)
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub repeat: TraceRepeatArgs,
}

/// Rounds of a trace: `-c N` and `--watch` (issue #10), like `mtr -r -c N`.
#[derive(Debug, Args)]
pub struct TraceRepeatArgs {
    /// Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)
    #[arg(short = 'c', long = "cycles", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub cycles: Option<u64>,
    /// Keep tracing round after round until Ctrl-C (or -c N rounds): one line (NDJSON with --json) per round when stdout is not a terminal
    #[arg(long)]
    pub watch: bool,
    /// Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping's -i)
    #[arg(short = 'i', long = "interval", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub interval: Option<Duration>,
    /// Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)
    #[arg(short = 'o', long = "fields", value_name = "FIELDS")]
    pub fields: Option<String>,
    /// Probe N flows side by side (different flow identifiers), to see every load-balanced path
    #[arg(long = "flows", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub flows: Option<u16>,
}

pub const SERVE_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the server ran until SIGINT (Ctrl-C) or SIGTERM
  2  it could not run (bad input, port in use, a port below 1024 without
     CAP_NET_BIND_SERVICE, socket error)

A line ends with a newline; an unfinished line is answered after 1s of silence
or when the client half-closes. Ctrl-C stops accepting, gives open connections
2s to finish, then prints the totals.";

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").args(["echo", "banner", "reply", "words", "chat"])))]
pub struct ServeArgs {
    /// PORT (every address, IPv4 and IPv6; 0 for any free port), ADDR:PORT or [V6ADDR]:PORT
    #[arg(value_name = "[ADDR:]PORT")]
    pub listen: String,
    /// Send back every byte received, as it arrives (the default)
    #[arg(long)]
    pub echo: bool,
    /// Greet each client with TEXT and a newline, then close (escapes: \n \r \t \\ \xNN)
    #[arg(long, value_name = "TEXT")]
    pub banner: Option<String>,
    /// Answer each line with TEMPLATE: {line} the line, {peer} the client, {{ }} braces
    #[arg(long, value_name = "TEMPLATE")]
    pub reply: Option<String>,
    /// Answer each line with its unique words (first-seen order) and its length in characters
    #[arg(long)]
    pub words: bool,
    /// Print the client's lines, send lines typed on stdin; `bye` from either side ends it
    #[arg(long)]
    pub chat: bool,
    /// Serve UDP datagrams (echo, banner, reply, words): one answer per datagram
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Close a connection after this long without data in either direction
    #[arg(long, default_value = "30s", value_parser = duration_arg, value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// Connections served at once; more are closed at once and logged as refused [default: 256, 1 with --chat]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: Option<u32>,
    /// Longest line in bytes (newline included); a longer one ends the connection
    #[arg(long, value_name = "BYTES", default_value_t = 8192, value_parser = clap::value_parser!(u32).range(16..=1_048_576))]
    pub max_line: u32,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub const CHECK_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every check passed
  1  a check failed (the verdict table says why)
  2  the run could not be done (bad input, a name that does not resolve,
     missing privilege for the ping, socket error)

Checks: the system resolver agrees with the resolv.conf server asked directly
(an /etc/hosts override is named); the port answers; ping's replies come from
the address DNS gives; the trace ends on it. The ping needs CAP_NET_RAW or
net.ipv4.ping_group_range; the trace uses UDP and needs no privilege.";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Host or address to check (HOST:PORT also sets the port)
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// TCP port to connect to [default: 80]
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dash_p_dash_means_every_port() {
        let cli = Cli::try_parse_from(["netlab", "connect", "-p-", "localhost"]).unwrap();
        let Command::Connect(args) = cli.command else {
            panic!("not connect")
        };
        assert_eq!(args.ports.as_deref(), Some("-"));
        assert_eq!(args.targets, vec!["localhost"]);
    }
}

/// The one output switch of every command (CONVENTIONS.md): `--format table|json|...`,
/// with `--json` as its short form. A new format is a new [`Format`] value, never a new
/// flag; a command that cannot print a format refuses it in its plan.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// How to print the result: a table for people, or one JSON document for scripts
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table)]
    pub format: Format,
    /// Short for --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl OutputArgs {
    /// The format asked for, `--json` included.
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }

    /// The format asked for, CSV refused: for commands whose results are no rows of one
    /// shape (every command but `trace -c`/`--watch`).
    pub fn format_without_csv(&self, command: &str) -> Result<Format, crate::error::Failure> {
        match self.format() {
            Format::Csv => Err(crate::error::Failure::usage(
                format!("{command} --format csv"),
                format!("{command} has no CSV output"),
            )
            .with_hint("CSV is for trace -c and trace --watch; use --format json")),
            format => Ok(format),
        }
    }
}
