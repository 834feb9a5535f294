//! `netlab resolve NAME|ADDRESS...`: what `ping NAME` would get, and why.
//!
//! Without `--server`, names resolve the way glibc's `getaddrinfo` resolves them, because
//! that is what every other tool on the machine sees: /etc/hosts first, then the
//! resolv.conf servers in order with its search list and `ndots`, A and AAAA together
//! (`lookup/` has the exact rules). Unlike `getaddrinfo`, netlab says which source
//! answered, and when nothing did, what each server said. With `--server` it asks that one
//! server directly, as `dig @server` does: the name as typed, no search list, no hosts file.
//! `-t TYPE` asks DNS for that type (servers as above, search list included, hosts file
//! not consulted, as with `host -t`). An address is looked up by its PTR name (hosts file
//! first without `--server` or `-t`, as `getnameinfo` does).
//!
//! Inputs are the command line's names, then `--file`'s lines, resolved `--concurrency` at
//! a time. Output order: table rows are printed as each query finishes (completion order,
//! so a slow name never holds back the others; a query's rows stay together, CNAME links
//! first, A before AAAA, records in the server's order); the JSON document lists queries
//! in input order.
//!
//! Exit status: 0 when every input resolved; 1 when some name did not (NXDOMAIN, no data,
//! SERVFAIL, REFUSED, or no reply within the timeout: the run itself completed); 2 when
//! the run could not be done as asked: an invalid name or address (rejected before any
//! query is sent; in `--file`, the line is reported and the rest still resolve), an
//! unreadable `--file`, no usable resolv.conf when DNS is needed, or a query that could
//! not be made (socket error, unusable reply, an unexpected response code).
//!
//! Layout: the lookup rules, the DNS client and the resolv.conf and hosts readers are
//! [`crate::dns`]'s, shared with `trace -A` and `check`; here the command itself,
//! `report.rs` (table, messages, JSON schema) and `atlas.rs` (RIPE Atlas DNS results from
//! the JSON records and the received messages).

mod atlas;
pub mod report;

use std::io::{BufReader, Read};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::cli::{Family, ResolveArgs};
use crate::dns::client::{Dns, HickoryDns};
use crate::dns::conf;
use crate::dns::hosts::Hosts;
use crate::dns::lookup::{Mode, Resolution, Resolver, Servers, Status, Subject, Want};
use crate::dns::record::{kind_name, RecordKind};
use crate::error::{Exit, Failure};
use crate::target::{Host, PortSuffix, Target};

use self::report::Report;

pub use self::report::JSON_SCHEMA;

/// Default wait for `--server` (resolv.conf's timeout applies otherwise).
const DIRECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the names come from, besides the command line.
enum NameFile {
    Stdin,
    File(PathBuf, std::fs::File),
}

impl NameFile {
    fn label(&self) -> String {
        match self {
            NameFile::Stdin => "<stdin>".into(),
            NameFile::File(path, _) => path.display().to_string(),
        }
    }
}

/// The server named by `--server`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ServerSpec {
    Addr(SocketAddr),
    /// A name, resolved the system way when the run starts.
    Name(String, u16),
}

/// A validated `resolve` command line.
pub struct Plan {
    targets: Vec<(String, Subject)>,
    file: Option<NameFile>,
    server: Option<ServerSpec>,
    want: Want,
    family: Family,
    tcp: bool,
    timeout: Option<Duration>,
    concurrency: usize,
    json: bool,
    atlas: bool,
    /// `--short`: values only, as dig +short.
    short: bool,
}

impl Plan {
    pub fn from_args(args: ResolveArgs) -> Result<Plan, Failure> {
        let format = args
            .output
            .format_for("resolve", &[crate::output::Format::Atlas])?;
        let family = args.family.family();
        let want = match (args.record_type, family) {
            (None, family) => Want::Addresses(family),
            (Some(kind), Family::Any) => Want::Type(kind),
            (Some(RecordKind::A), Family::V4) => Want::Type(RecordKind::A),
            (Some(RecordKind::Aaaa), Family::V6) => Want::Type(RecordKind::Aaaa),
            (Some(kind), _) => {
                return Err(Failure::usage(
                    if family == Family::V4 { "-4" } else { "-6" },
                    format!(
                        "-4 and -6 choose between A and AAAA records; they cannot be combined with -t {}",
                        kind_name(kind)
                    ),
                ))
            }
        };
        if args.timeout == Some(Duration::ZERO) {
            return Err(Failure::usage("--timeout", "must be longer than 0"));
        }
        let mut targets = Vec::with_capacity(args.targets.len());
        for text in &args.targets {
            let subject =
                subject(text, want, family).map_err(|why| Failure::usage("invalid target", why))?;
            targets.push((text.trim().to_string(), subject));
        }
        let server = args.server.as_deref().map(parse_server).transpose()?;
        let file = args.file.map(open_file).transpose()?;
        if targets.is_empty() && file.is_none() {
            return Err(Failure::usage("resolve", "nothing to resolve")
                .with_hint("give names or addresses, or --file FILE ('-' reads standard input)"));
        }
        Ok(Plan {
            targets,
            file,
            server,
            want,
            family,
            tcp: args.tcp,
            timeout: args.timeout,
            concurrency: usize::from(args.concurrency.max(1)),
            json: format == crate::output::Format::Json,
            atlas: format == crate::output::Format::Atlas,
            short: args.short,
        })
    }
}

/// Parses one input into what is looked up, or says why it cannot be.
fn subject(text: &str, want: Want, family: Family) -> Result<Subject, String> {
    let target = Target::parse(text, PortSuffix::Forbidden)?;
    match target.host {
        Host::Name(name) => Ok(Subject::Name(name)),
        Host::Ip { addr, .. } => {
            if let Want::Type(kind) = want {
                if kind != RecordKind::Ptr {
                    return Err(format!(
                        "{addr} is an address: it is looked up by its PTR name, not by -t {}",
                        kind_name(kind)
                    ));
                }
            }
            if let Some(why) = family.refusal(&addr) {
                return Err(why);
            }
            Ok(Subject::Address(addr))
        }
    }
}

fn parse_server(text: &str) -> Result<ServerSpec, Failure> {
    let what = format!("--server {text}");
    let target =
        Target::parse(text, PortSuffix::Allowed).map_err(|why| Failure::usage(&what, why))?;
    let port = target.port.unwrap_or(53);
    match target.host {
        Host::Ip { scope: Some(_), .. } => Err(Failure::usage(
            what,
            "a %zone on a server address is not supported",
        )
        .with_hint("use a global or unique-local address for the server")),
        Host::Ip { addr, scope: None } => Ok(ServerSpec::Addr(SocketAddr::new(addr, port))),
        Host::Name(name) => Ok(ServerSpec::Name(name, port)),
    }
}

fn open_file(path: PathBuf) -> Result<NameFile, Failure> {
    if path.as_os_str() == "-" {
        return Ok(NameFile::Stdin);
    }
    let what = format!("--file {}", path.display());
    let file = std::fs::File::open(&path).map_err(|err| Failure::usage(&what, err))?;
    match file.metadata() {
        Ok(meta) if meta.is_dir() => Err(Failure::usage(what, "is a directory")),
        Ok(_) => Ok(NameFile::File(path, file)),
        Err(err) => Err(Failure::usage(what, err)),
    }
}

/// One input on its way to the resolver.
struct Item {
    index: usize,
    query: String,
    parsed: Result<Subject, String>,
}

pub async fn run(plan: Plan, out: &crate::output::Stdout) -> Result<Exit, Failure> {
    run_with(plan, out, HickoryDns::new()).await
}

async fn run_with<D: Dns>(
    mut plan: Plan,
    out: &crate::output::Stdout,
    dns: D,
) -> Result<Exit, Failure> {
    let mode = match plan.server.clone() {
        None => system_mode(plan.timeout, plan.tcp),
        Some(spec) => {
            let server = match spec {
                ServerSpec::Addr(addr) => addr,
                ServerSpec::Name(name, port) => {
                    let addr = server_address(&name, plan.family, &plan).await?;
                    SocketAddr::new(addr, port)
                }
            };
            Mode::Direct {
                servers: Servers::direct(server, plan.timeout.unwrap_or(DIRECT_TIMEOUT), plan.tcp),
            }
        }
    };
    let resolver = Arc::new(Resolver::new(dns, mode));
    let want = plan.want;

    // The inputs: the command line, then the file, read as the queries go (a pipe may be
    // long or slow), through a channel no wider than the concurrency. The reader is a plain
    // thread: one blocked on a terminal must not keep the runtime from shutting down.
    // Without a file every input is already here: they fill a channel as wide as they
    // are, and no thread is started (a one-shot `resolve NAME` pays for none).
    let targets = std::mem::take(&mut plan.targets);
    let file = plan.file.take();
    let (family, concurrency) = (plan.family, plan.concurrency);
    let width = match file {
        Some(_) => concurrency,
        None => targets.len().max(1),
    };
    let (sender, mut inputs) = mpsc::channel::<Item>(width);
    let items = targets
        .into_iter()
        .enumerate()
        .map(|(index, (query, subject))| Item {
            index,
            query,
            parsed: Ok(subject),
        });
    let reader = match file {
        None => {
            for item in items {
                // Cannot fail: the channel holds them all and its receiver is here.
                let _ = sender.try_send(item);
            }
            drop(sender);
            None
        }
        Some(file) => Some(std::thread::spawn(move || {
            let mut index = 0;
            for item in items {
                index += 1;
                if sender.blocking_send(item).is_err() {
                    return Ok(());
                }
            }
            read_names(file, index, want, family, &sender)
        })),
    };

    let mut report = Report::new(out, plan.json, plan.atlas, plan.short);
    let mut worst = Exit::Answered;
    let mut running: JoinSet<(usize, String, Result<Resolution, Failure>)> = JoinSet::new();
    let mut more = true;
    let mut fatal = None;
    let mut inputs_seen = 0usize;
    while more || !running.is_empty() {
        tokio::select! {
            item = inputs.recv(), if more && running.len() < concurrency => {
                let Some(item) = item else {
                    more = false;
                    continue;
                };
                inputs_seen += 1;
                let qtype = want.label(item.parsed.as_ref().ok());
                match item.parsed {
                    Err(why) => {
                        worst = worst.max_with(Status::Invalid.exit());
                        report.add(item.index, &qtype, report::invalid(&item.query, why));
                    }
                    Ok(subject) => {
                        let resolver = resolver.clone();
                        running.spawn(async move {
                            let result = resolver.resolve(&item.query, &subject, want).await;
                            (item.index, qtype, result)
                        });
                    }
                }
            }
            Some(joined) = running.join_next(), if !running.is_empty() => {
                let (index, qtype, result) = match joined {
                    Ok(done) => done,
                    Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                    Err(_) => continue,
                };
                match result {
                    Ok(resolution) => {
                        worst = worst.max_with(resolution.status.exit());
                        report.add(index, &qtype, resolution);
                    }
                    Err(failure) => {
                        fatal = Some(failure);
                        break;
                    }
                }
            }
        }
    }
    if let Some(failure) = fatal {
        running.abort_all();
        return Err(failure);
    }
    match reader.map(|reader| reader.join()) {
        None | Some(Ok(Ok(()))) => {}
        Some(Ok(Err(failure))) => return Err(failure),
        Some(Err(panic)) => std::panic::resume_unwind(panic),
    }
    // A --file with no names (empty, only comments) is a mistake, not a success with no
    // output: the same rule as `ping --file`.
    if inputs_seen == 0 {
        return Err(Failure::usage(
            "resolve",
            "nothing to resolve: the name file has no names",
        ));
    }
    report.finish();
    Ok(worst)
}

trait Worst {
    fn max_with(self, other: Exit) -> Exit;
}

impl Worst for Exit {
    fn max_with(self, other: Exit) -> Exit {
        if other.code() > self.code() {
            other
        } else {
            self
        }
    }
}

/// The system's way, as `getaddrinfo`: the hosts file first, then the system's DNS
/// servers with its search list (resolv.conf's, or on Windows the adapters'; `timeout`
/// replaces its per-try wait; `tcp` asks over TCP). Lines of resolv.conf that glibc would
/// ignore are reported on stderr.
pub fn system_mode(timeout: Option<Duration>, tcp: bool) -> Mode {
    let conf = conf::load().map(|(conf, notes)| {
        for note in notes {
            crate::output::warn(&format!("{}: {note}", conf::ORIGIN));
        }
        conf
    });
    Mode::system(Hosts::load(), conf, timeout, tcp)
}

/// The address of a `--server` given by name, found the system way.
async fn server_address(name: &str, family: Family, plan: &Plan) -> Result<IpAddr, Failure> {
    let what = format!("--server {name}");
    let resolver = Resolver::new(HickoryDns::new(), system_mode(plan.timeout, plan.tcp));
    let found = resolver
        .resolve(
            name,
            &Subject::Name(name.to_string()),
            Want::Addresses(family),
        )
        .await?;
    found
        .rows
        .iter()
        .find_map(|row| match row.kind.as_str() {
            "A" | "AAAA" => row.value.parse::<IpAddr>().ok(),
            _ => None,
        })
        .ok_or_else(|| {
            Failure::new(
                what,
                format!(
                    "cannot find its address: {}",
                    found.error.unwrap_or_else(|| "no address".into())
                ),
            )
        })
}

/// Reads names one per line: blank lines and `#` comments are skipped; a bad line becomes
/// an `invalid` result naming its line number.
fn read_names(
    file: NameFile,
    first_index: usize,
    want: Want,
    family: Family,
    sender: &mpsc::Sender<Item>,
) -> Result<(), Failure> {
    let label = file.label();
    let source: Box<dyn Read> = match file {
        NameFile::Stdin => Box::new(std::io::stdin().lock()),
        NameFile::File(_, file) => Box::new(file),
    };
    let mut reader = BufReader::new(source);
    let mut index = first_index;
    let mut number = 0usize;
    let mut buffer = Vec::new();
    loop {
        let read = crate::lines::read_line(&mut reader, &mut buffer, crate::lines::MAX_LINE)
            .map_err(|err| Failure::new(format!("reading {label}"), err))?;
        number += 1;
        match read {
            crate::lines::Line::End => return Ok(()),
            crate::lines::Line::TooLong => {
                return Err(Failure::usage(
                    format!("reading {label}"),
                    crate::lines::too_long(number),
                ))
            }
            crate::lines::Line::Read => {}
        }
        let Some((query, parsed)) = parse_line(&buffer, want, family) else {
            continue;
        };
        let item = Item {
            index,
            query,
            parsed: parsed.map_err(|why| format!("{label}:{number}: {why}")),
        };
        index += 1;
        if sender.blocking_send(item).is_err() {
            return Ok(());
        }
    }
}

/// One line of a names file: None to skip it, else the query text and its parse.
fn parse_line(
    bytes: &[u8],
    want: Want,
    family: Family,
) -> Option<(String, Result<Subject, String>)> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        let shown = crate::output::escape_bytes(bytes.trim_ascii());
        return Some((shown, Err("the line is not UTF-8 text".into())));
    };
    let text = text.split('#').next().unwrap_or("").trim();
    if text.is_empty() {
        return None;
    }
    if text.split_whitespace().nth(1).is_some() {
        return Some((
            text.to_string(),
            Err(format!("'{text}': one name or address per line")),
        ));
    }
    Some((text.to_string(), subject(text, want, family)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_file_lines() {
        let any = Want::Addresses(Family::Any);
        assert_eq!(parse_line(b"\n", any, Family::Any), None);
        assert_eq!(parse_line(b"   # comment\n", any, Family::Any), None);
        assert_eq!(
            parse_line(b"  www.netlab.test  # web\r\n", any, Family::Any),
            Some((
                "www.netlab.test".into(),
                Ok(Subject::Name("www.netlab.test".into()))
            ))
        );
        assert_eq!(
            parse_line(b"198.18.2.2\n", any, Family::Any),
            Some((
                "198.18.2.2".into(),
                Ok(Subject::Address("198.18.2.2".parse().unwrap()))
            ))
        );
        let (_, bad) = parse_line(b"a..b\n", any, Family::Any).unwrap();
        assert_eq!(bad, Err("'a..b' has an empty label".into()));
        let (_, bad) = parse_line(b"www mail\n", any, Family::Any).unwrap();
        assert!(bad.unwrap_err().contains("one name"));
        let (shown, bad) = parse_line(b"\xffbad\n", any, Family::Any).unwrap();
        assert_eq!(shown, "\\xffbad");
        assert!(bad.is_err());
    }

    #[test]
    fn addresses_with_the_wrong_type_or_family_are_invalid() {
        let mx = Want::Type(RecordKind::Mx);
        assert!(subject("198.18.2.2", mx, Family::Any)
            .unwrap_err()
            .contains("PTR"));
        assert!(subject("198.18.2.2", Want::Type(RecordKind::Ptr), Family::Any).is_ok());
        let v6 = Want::Addresses(Family::V6);
        assert_eq!(
            subject("198.18.2.2", v6, Family::V6).unwrap_err(),
            "198.18.2.2 is an IPv4 address, but -6 was given"
        );
        assert!(subject("www.netlab.test:53", v6, Family::V6).is_err());
        let long = format!("{}.test", "a".repeat(64));
        assert!(subject(&long, v6, Family::V6).is_err());
    }

    #[test]
    fn server_argument_forms() {
        assert_eq!(
            parse_server("198.18.100.53").unwrap(),
            ServerSpec::Addr("198.18.100.53:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("127.0.0.1:5353").unwrap(),
            ServerSpec::Addr("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server("[fd4e:6c61:62:100::53]:5353").unwrap(),
            ServerSpec::Addr("[fd4e:6c61:62:100::53]:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server("fd4e:6c61:62:100::53").unwrap(),
            ServerSpec::Addr("[fd4e:6c61:62:100::53]:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("ns1.netlab.test").unwrap(),
            ServerSpec::Name("ns1.netlab.test".into(), 53)
        );
        for bad in [
            "",
            "1.2.3.4:0",
            "[::1",
            "a..b",
            "fe80::1%eth0",
            "1.2.3.4:dns",
        ] {
            assert!(parse_server(bad).is_err(), "{bad}");
        }
    }
}
