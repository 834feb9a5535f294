//! The command line, as clap sees it. This is stage one of two (ripgrep's lowargs →
//! hiargs): values are checked here; each command then builds its typed plan from these
//! structs. The same definitions generate the shell completions and the man page.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::dns::record::RecordKind;
use crate::duration::parse_duration;
use crate::output::Format;
use crate::plot::PlotFile;

/// Defined below the commands (error messages take it too); clap code here names it as before.
pub use crate::family::Family;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every target answered as asked (resolved, port open, reply received)
  1  the run completed but some target did not answer (NXDOMAIN, closed or
     filtered port, 100% loss, expectation not met)
  2  the run could not be done (bad input, missing privilege, socket or
     resolver error)";

pub const CONNECT_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  every target answered as asked (port open, --expect met; for URLs every
     request got a status below 400, or the one --expect-status names, over a
     chain that verifies or -k)
  1  the run completed but some port was closed, filtered or unreachable, or
     the answer did not meet --expect; for URLs and --tls a name that did not
     resolve, a failed phase, a timeout, a bad status or a chain that does not
     verify
  2  the run could not be done (bad input, unresolvable name, socket error)

URLs: connect http://HOST[:PORT]/PATH and https://... time each phase as curl
-w does (lookup, connect, tls, first byte, transfer, total); --tls HOST:PORT
does the handshake only. Each phase is limited by --timeout.

Answers: after --send/--send-file the answer is complete when the server
closes, --expect matches, --recv-bytes arrived, or --timeout passes, whichever
is first; without --expect it also ends 20ms after the server stops talking
(as a greeting does), so a server that answers and keeps the connection open
costs no timeout; -N (--shutdown) half-closes after sending, so a server that reads to
end-of-file (an echo) answers and closes at once. A probe without --send (no
port range, no -c) shows what the server says first (a greeting), waiting at
most 200ms when it is silent; scans and -c runs do not wait.";

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
    Resolve(Deferred<ResolveArgs>),
    /// Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings
    #[command(after_help = CONNECT_EXIT_CODES_HELP)]
    Connect(Deferred<ConnectArgs>),
    /// Send ICMP echo requests to one or many hosts, with live rows and statistics
    #[command(after_help = PING_EXIT_CODES_HELP)]
    Ping(Deferred<PingArgs>),
    /// Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP
    #[command(after_help = TRACE_EXIT_CODES_HELP)]
    Trace(Deferred<TraceArgs>),
    /// Serve TCP or UDP: echo, greet, answer from a template, count words, or chat
    #[command(after_help = SERVE_EXIT_CODES_HELP)]
    Serve(Deferred<ServeArgs>),
    /// Resolve, connect, ping and trace one target, and check that they agree
    #[command(after_help = CHECK_EXIT_CODES_HELP)]
    Check(Deferred<CheckArgs>),
    /// Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes
    #[command(after_help = EXPORTER_EXIT_CODES_HELP)]
    Exporter(Deferred<ExporterArgs>),
    /// Print a shell completion script to stdout
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

mod deferred;
pub use deferred::Deferred;

// The limits clap checks, and the defaults it shows, live here rather than in the
// commands that honour them: `cli` sits below every command and imports none.

/// `trace -q`: the most probes per hop.
pub const MAX_QUERIES: u8 = 10;

/// `trace`'s packet length: the largest accepted (traceroute's limit).
pub const MAX_PACKET_LEN: u32 = 65_000;

/// `trace --asn-zone`: Team Cymru's zone.
pub const DEFAULT_ASN_ZONE: &str = "asn.cymru.com";

/// The shortest `-i` (ping) or rounds interval (trace) for users without CAP_NET_RAW:
/// iputils' floor for unprivileged users.
pub const MIN_USER_INTERVAL: Duration = Duration::from_millis(2);

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

impl FamilyArgs {
    pub fn family(self) -> Family {
        match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        }
    }
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
    /// Print only the values, one per line, as dig +short (CNAME targets, then the records)
    #[arg(long, conflicts_with_all = ["json", "format"])]
    pub short: bool,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// host:port, [v6addr]:port, or host with -p; an address range with -p (10.0.0.0/24, 10.0.0.1-50, fd00::/120)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read targets (host:port, or hosts, addresses and ranges with -p) from FILE, one per line ('-' for stdin; '#' starts a comment)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tls", "interactive"])]
    pub file: Option<PathBuf>,
    /// Refuse ranges and files that add up to more targets than N, before anything is sent
    #[arg(long, value_name = "N", default_value_t = crate::target::DEFAULT_MAX_TARGETS as u32, value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    pub max_targets: u32,
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
    /// Send TEXT once connected (escapes: \n \r \t \\ \xNN), then read the answer
    #[arg(long, value_name = "TEXT", conflicts_with = "send_file")]
    pub send: Option<String>,
    /// Send the contents of FILE once connected (streamed as it is read; UDP: at most one datagram)
    #[arg(long, value_name = "FILE")]
    pub send_file: Option<PathBuf>,
    /// What ends the text sent: --send adds none, --interactive lf (none: `bye`, not `bye\n`)
    #[arg(long, value_enum, value_name = "EOL", conflicts_with = "send_file")]
    pub eol: Option<Eol>,
    /// Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once
    #[arg(short = 'N', long, conflicts_with = "udp")]
    pub shutdown: bool,
    /// Stop reading the answer after N bytes
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    pub recv_bytes: Option<u32>,
    /// Exit 1 unless the answer contains TEXT (escapes as for --send)
    #[arg(long, value_name = "TEXT", conflicts_with = "expect_regex")]
    pub expect: Option<String>,
    /// Exit 1 unless the answer matches the regular expression RE
    #[arg(long, value_name = "RE")]
    pub expect_regex: Option<String>,
    /// SYN ("half-open") scan with raw packets, as nmap -sS (needs CAP_NET_RAW): a SYN-ACK is open, a RST closed, silence after one retry filtered. No connection is completed: the kernel's own RST to the SYN-ACK ends the half-open connection
    #[arg(long, conflicts_with_all = ["udp", "count", "send", "send_file", "eol", "recv_bytes", "expect", "expect_regex", "shutdown", "concurrency"])]
    pub syn: bool,
    /// With --syn: the most SYNs a second (default 10000); lowered when answers are lost, raised back as they return
    #[arg(long, value_name = "PPS", requires = "syn", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rate: Option<u32>,
    /// Probes in flight at once when scanning (default: as many as the open-file limit allows)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub concurrency: Option<u32>,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// TLS handshake only, on HOST:PORT (any TLS service): version, cipher, ALPN, the chain and whether it verifies
    #[arg(long, conflicts_with_all = ["udp", "send", "send_file", "ports"])]
    pub tls: bool,
    /// URLs: follow redirects, each hop shown (at most 10), as curl -L
    #[arg(short = 'L', long = "location")]
    pub location: bool,
    /// URLs: the request method (default GET; POST with --data; HEAD with --head)
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub request: Option<String>,
    /// URLs: add a request header 'Name: value' (repeat for more)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub header: Vec<String>,
    /// URLs: send DATA as the request body (POST unless -X names another method)
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,
    /// URLs: send HEAD (curl's -I; long form only, as -I is ping's interface and trace's ICMP)
    #[arg(long, conflicts_with_all = ["request", "data"])]
    pub head: bool,
    /// URLs: speak HTTP/1.1 only
    #[arg(long = "http1.1", conflicts_with = "http2")]
    pub http1_1: bool,
    /// URLs: speak HTTP/2 (chosen by ALPN over TLS; with prior knowledge over http://)
    #[arg(long)]
    pub http2: bool,
    /// TLS: the server name sent in the handshake and checked against the certificate
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// URLs and TLS: use ADDR for HOST:PORT instead of looking the name up, as curl --resolve (repeat for more)
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// URLs: a request is answered only with this status (default: any status below 400)
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..=999))]
    pub expect_status: Option<u16>,
    /// TLS: trust the CA certificates of this PEM file as well as the system's
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// TLS: go on when the chain does not verify (it is still shown, and said not to verify)
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// URLs with -c: draw each attempt's phases stacked, into FILE (.svg or .png)
    #[arg(long, value_name = "FILE", value_parser = PlotFile::parse)]
    pub plot: Option<PlotFile>,
    /// Talk: send lines typed on stdin, print the server's lines, until either side closes or says `bye`
    #[arg(
        long,
        conflicts_with_all = ["udp", "count", "send", "send_file", "recv_bytes", "expect", "expect_regex", "concurrency", "json", "format", "shutdown"]
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
the sockets are open. -f, -l above 3 and -i below 2ms need CAP_NET_RAW; -m
needs CAP_NET_ADMIN.";

#[derive(Debug, Args)]
pub struct PingArgs {
    /// Hosts, addresses or address ranges (10.0.0.0/24, 10.0.0.1-50, fd00::/120: a sweep, one probe each) to ping
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read targets (hosts, addresses, ranges) from FILE, one per line ('-' for stdin; '#' starts a comment)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Refuse ranges and files that add up to more targets than N, before anything is sent
    #[arg(long, value_name = "N", default_value_t = crate::target::DEFAULT_MAX_TARGETS as u32, value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    pub max_targets: u32,
    /// Sweep: print only the addresses that answered, one per line, as fping -a
    #[arg(short = 'a', long, conflicts_with_all = ["unreachable", "json", "format"])]
    pub alive: bool,
    /// Sweep: print only the addresses that did not answer, one per line, as fping -u
    #[arg(short = 'u', long, conflicts_with_all = ["json", "format"])]
    pub unreachable: bool,
    /// Sweep: probes per second across all targets (default 1000 for a sweep)
    #[arg(long, value_name = "PPS", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: Option<u32>,
    /// Stop after COUNT probes per target (default: until Ctrl-C or the deadline)
    #[arg(short = 'c', long, value_name = "COUNT", allow_negative_numbers = true)]
    pub count: Option<i64>,
    /// Ask the router (one address) about one of its interfaces with RFC 8335 probes: is it up, which families run on it (needs CAP_NET_RAW)
    #[arg(long, value_name = "NAME|INDEX|ADDRESS")]
    pub probe_interface: Option<String>,
    /// Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]
    #[arg(short = 'i', long, value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub interval: Option<Duration>,
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
    /// Send from this interface (SO_BINDTODEVICE) or source address
    #[arg(short = 'I', long = "interface", value_name = "IFACE|ADDR")]
    pub interface: Option<String>,
    /// Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)
    #[arg(short = 'p', long = "pattern", value_name = "HEX")]
    pub pattern: Option<String>,
    /// Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)
    #[arg(short = 'M', long = "pmtudisc", value_enum, value_name = "HINT")]
    pub pmtudisc: Option<PmtuDiscArg>,
    /// TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)
    #[arg(short = 'Q', long = "tos", value_name = "TOS", value_parser = tos_arg)]
    pub tos: Option<u8>,
    /// Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)
    #[arg(short = 'f', long)]
    pub flood: bool,
    /// Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)
    #[arg(short = 'A', long)]
    pub adaptive: bool,
    /// Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)
    #[arg(short = 'l', long = "preload", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=65535))]
    pub preload: Option<u16>,
    /// Print the Unix time before each row
    #[arg(short = 'D', long = "timestamps")]
    pub timestamps: bool,
    /// Say "no answer yet" when a probe is still unanswered as the next one goes out
    #[arg(short = 'O', long = "report-outstanding")]
    pub report_outstanding: bool,
    /// Allow pinging a broadcast address
    #[arg(short = 'b', long)]
    pub broadcast: bool,
    /// Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)
    #[arg(short = 'm', long = "mark", value_name = "MARK")]
    pub mark: Option<u32>,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Draw RTT per probe over time (losses marked) and the RTT histogram into FILE (.svg or .png)
    #[arg(long, value_name = "FILE", value_parser = PlotFile::parse)]
    pub plot: Option<PlotFile>,
    /// Full-screen live chart and table of every target on a terminal (keys: q quit, p pause, r reset, +/- window, l log, n names); the usual rows (NDJSON with --json) otherwise
    #[arg(long)]
    pub watch: bool,
}

/// `ping -M` values, as iputils names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PmtuDiscArg {
    Do,
    Want,
    Dont,
    Probe,
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
CAP_NET_RAW a raw ICMP socket also reads MPLS labels (RFC 4950). -s, -t, -F,
--interface, --mtu, --back and -A need no privilege.

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
    #[arg(short = 'q', long = "queries", value_name = "N", value_parser = clap::value_parser!(u8).range(1..=MAX_QUERIES as i64))]
    pub queries: Option<u8>,
    /// The longest a probe waits for its answer (most wait far less: see the README)
    #[arg(short = 'w', long = "wait", default_value = "5s", value_parser = duration_arg, value_name = "DURATION", allow_negative_numbers = true)]
    pub wait: Duration,
    /// Show addresses only (no reverse DNS names)
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    /// Length of each probe packet in bytes, IP and transport headers included (traceroute's packetlen; UDP and ICMP)
    #[arg(value_name = "PACKETLEN", value_parser = clap::value_parser!(u32).range(1..=MAX_PACKET_LEN as i64))]
    pub packet_len: Option<u32>,
    /// Source address of the probes
    #[arg(short = 's', long = "source", value_name = "ADDR")]
    pub source: Option<std::net::IpAddr>,
    /// Send the probes through this interface (SO_BINDTODEVICE; traceroute's -i, which is the interval here)
    #[arg(long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)
    #[arg(short = 't', long = "tos", value_name = "TOS", value_parser = tos_arg)]
    pub tos: Option<u8>,
    /// Don't fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F
    #[arg(short = 'F', long = "dont-fragment")]
    pub dont_fragment: bool,
    /// Probes in flight at once [default: 16]
    #[arg(short = 'N', long = "sim-queries", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub sim_queries: Option<u16>,
    /// Discover the path MTU along the trace (traceroute --mtu, tracepath): probes start at the route's MTU with DF, and shrink where a router says the next link is smaller
    #[arg(long = "mtu", conflicts_with = "dont_fragment")]
    pub mtu: bool,
    /// Show the number of hops back where it differs from the hops forward, guessed from each answer's TTL (traceroute --back, tracepath's asymm)
    #[arg(long = "back")]
    pub back: bool,
    /// Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru's format (mtr -z, traceroute -A)
    #[arg(short = 'A', long = "asn")]
    pub asn: bool,
    /// The zone -A asks: origin.ZONE, origin6.ZONE and AS<n>.ZONE
    #[arg(long = "asn-zone", value_name = "ZONE", default_value = DEFAULT_ASN_ZONE, requires = "asn")]
    pub asn_zone: String,
    #[command(flatten)]
    pub family: FamilyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Draw RTT per hop and the unanswered probes per hop into FILE (.svg or .png), over the rounds with -c/--watch
    #[arg(long, value_name = "FILE", value_parser = PlotFile::parse)]
    pub plot: Option<PlotFile>,
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

Messages: a line ends with a newline; bytes without one are a message of their
own once the client has sent nothing more for 5ms, or half-closes (as the lab's
servers treat one recv() as one message), so newline-less clients are answered
at once. --chat prints every read as it arrives. Ctrl-C stops accepting, gives
open connections 2s to finish, then prints the totals.";

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
    /// Print what the client sends as it arrives, send lines typed on stdin; `bye` from either side ends it
    #[arg(long)]
    pub chat: bool,
    /// With --chat: what ends each typed line sent to the client (none: `bye`, not `bye\n`)
    #[arg(long, value_enum, value_name = "EOL", default_value_t = Eol::Lf, requires = "chat")]
    pub eol: Eol,
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
    /// Draw the four parts and the verdict on one page into FILE (.svg or .png)
    #[arg(long, value_name = "FILE", value_parser = PlotFile::parse)]
    pub plot: Option<PlotFile>,
    /// Write the lab report into DIR: report.md with every table, and the pictures beside it
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// What ends a message sent from typed or given text (`--eol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Eol {
    /// Nothing: the text is the message (as the lab's Python clients send)
    None,
    /// A newline
    Lf,
    /// Carriage return and newline (telnet, HTTP, SMTP)
    Crlf,
}

impl Eol {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Eol::None => b"",
            Eol::Lf => b"\n",
            Eol::Crlf => b"\r\n",
        }
    }
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// A TOS byte / IPv6 traffic class: 0-255 (decimal, or hex after 0x), or a DSCP name
/// (RFC 2474 class selectors CS0-CS7, RFC 2597 AF11-AF43, RFC 3246 EF, DF/BE = 0), which
/// is the DSCP shifted into the upper six bits (EF = 46 = 0xb8 as a TOS byte).
pub fn tos_arg(text: &str) -> Result<u8, String> {
    let number = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => text.parse::<u8>().ok(),
    };
    if let Some(tos) = number {
        return Ok(tos);
    }
    let name = text.to_ascii_uppercase();
    let dscp = match name.as_str() {
        "EF" => Some(46),
        "DF" | "BE" => Some(0),
        _ => match (name.get(..2), name.get(2..)) {
            (Some("CS"), Some(n)) => n.parse::<u8>().ok().filter(|n| *n <= 7).map(|n| n * 8),
            (Some("AF"), Some(xy)) if xy.len() == 2 => {
                let (x, y) = (xy.as_bytes()[0], xy.as_bytes()[1]);
                ((b'1'..=b'4').contains(&x) && (b'1'..=b'3').contains(&y))
                    .then(|| 8 * (x - b'0') + 2 * (y - b'0'))
            }
            _ => None,
        },
    };
    dscp.map(|d| d << 2).ok_or_else(|| {
        format!("'{text}' is neither 0-255 nor a DSCP name (EF, AF11-AF43, CS0-CS7, DF)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// A command's help comes from its deferred definitions (only that command is
    /// built) and must read as the whole tree's, which the man pages and completions
    /// come from (`tests/it/cli.rs` holds those byte for byte).
    #[test]
    fn deferred_help_reads_as_the_whole_trees() {
        let mut tree = Cli::command();
        tree.build();
        for name in [
            "resolve", "connect", "ping", "trace", "serve", "check", "exporter",
        ] {
            for flag in ["-h", "--help"] {
                let lazy = Cli::try_parse_from(["netlab", name, flag]).expect_err("help");
                let whole = tree.clone().try_get_matches_from(["netlab", name, flag]);
                assert_eq!(
                    lazy.render().to_string(),
                    whole.expect_err("help").render().to_string(),
                    "netlab {name} {flag}"
                );
            }
        }
    }

    #[test]
    fn tos_takes_numbers_and_dscp_names() {
        assert_eq!(tos_arg("0"), Ok(0));
        assert_eq!(tos_arg("184"), Ok(0xb8));
        assert_eq!(tos_arg("0xb8"), Ok(0xb8));
        assert_eq!(tos_arg("EF"), Ok(0xb8));
        assert_eq!(tos_arg("ef"), Ok(0xb8));
        assert_eq!(tos_arg("AF41"), Ok(34 << 2));
        assert_eq!(tos_arg("AF11"), Ok(10 << 2));
        assert_eq!(tos_arg("CS6"), Ok(48 << 2));
        assert_eq!(tos_arg("CS0"), Ok(0));
        for bad in ["256", "-1", "0x100", "AF51", "AF14", "CS8", "fast", ""] {
            assert!(tos_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dash_p_dash_means_every_port() {
        let cli = Cli::try_parse_from(["netlab", "connect", "-p-", "localhost"]).unwrap();
        let Command::Connect(args) = cli.command else {
            panic!("not connect")
        };
        let args = args.into_inner();
        assert_eq!(args.ports.as_deref(), Some("-"));
        assert_eq!(args.targets, vec!["localhost"]);
    }
}

/// The one output switch of every command (CONVENTIONS.md): `--format table|json|...`,
/// with `--json` as its short form. A new format is a new [`Format`] value, never a new
/// flag; a command that cannot print a format refuses it in its plan.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report
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

    /// The format asked for, refused unless `command` prints it: every command prints
    /// tables, JSON and markdown; `extra` names the others it has (CSV for trace's rounds,
    /// Atlas for ping, trace and resolve). One check in each plan, before any I/O.
    pub fn format_for(
        &self,
        command: &str,
        extra: &[Format],
    ) -> Result<Format, crate::error::Failure> {
        let format = self.format();
        let refused = |why: String, hint: &str| {
            Err(
                crate::error::Failure::usage(format!("{command} --format {}", format.name()), why)
                    .with_hint(hint),
            )
        };
        match format {
            Format::Table | Format::Json | Format::Markdown => Ok(format),
            _ if extra.contains(&format) => Ok(format),
            Format::Csv => refused(
                format!("{command} has no CSV output"),
                "CSV is for trace -c and trace --watch; use --format json",
            ),
            Format::Atlas => refused(
                format!("{command} has no RIPE Atlas result type (ping, trace and resolve have)"),
                "use --format table or --format json",
            ),
        }
    }
}

impl Command {
    /// The output switch of the command, if it prints results (all but `completions`).
    pub fn output(&self) -> Option<&OutputArgs> {
        match self {
            Command::Resolve(a) => Some(&a.output),
            Command::Connect(a) => Some(&a.output),
            Command::Ping(a) => Some(&a.output),
            Command::Trace(a) => Some(&a.output),
            Command::Serve(a) => Some(&a.output),
            Command::Check(a) => Some(&a.output),
            // A service: what it has to say is on its HTTP endpoints.
            Command::Completions { .. } | Command::Exporter(_) => None,
        }
    }
}

pub const EXPORTER_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  stopped cleanly (SIGINT or SIGTERM)
  2  could not start (bad config file or target, unresolvable name, missing
     privilege, address in use)

Endpoints: /metrics (every target, continuously), /probe?target=HOST&module=
icmp|tcp|dns|trace (one probe, blackbox_exporter style; only targets the config
allows unless --probe-any-target). Listens on loopback unless --listen says
otherwise.";

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address to serve /metrics and /probe on [default: 127.0.0.1:9470, or the config's listen]
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Configuration file (TOML): targets, intervals, what /probe may probe
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Let /probe probe any target, not only the ones the config allows (turns the port into a prober for whoever reaches it)
    #[arg(long)]
    pub probe_any_target: bool,
    /// TLS and basic auth, in the web configuration format of Prometheus' exporters (YAML: tls_server_config, basic_auth_users)
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config: Option<PathBuf>,
    /// Hosts to ping continuously (added to the config's targets)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
}
