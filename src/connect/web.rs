//! `connect http://...`, `connect https://...` and `connect --tls HOST:PORT`: the layer
//! above the socket, per attempt (issue 19). The protocol work is in [`crate::web`]; this
//! file turns the command line into a [`WebPlan`], looks the names up (the lookup phase,
//! or `--resolve`), runs each target's attempts and redirect chains, and maps the results
//! to the exit status. `web_report.rs` prints them.
//!
//! Decisions worth knowing:
//! - One address per request: the first the system resolver gives for the family asked
//!   (as curl uses the first that connects), shown in the result; `--resolve` pins it.
//! - A name that does not resolve is a failed request (exit 1), as NXDOMAIN is for every
//!   command; bad input (a malformed URL, an unknown scheme, a flag for port probes) is
//!   exit 2 before anything is sent.
//! - Without `-k` a chain that does not verify ends the attempt after the handshake,
//!   before any byte of the request (the chain is still shown); with `-k` the request goes
//!   on, the result says the chain would not verify, and the exit status does not count it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::web_record::{PhaseStats, Record, TargetStats};
use super::web_report as report;
use super::{addresses_of, Address};
use crate::cli::{ConnectArgs, Family};
use crate::error::{Exit, Failure};
use crate::output::{Format, Stdout};
use crate::plot::PlotFile;
use crate::target::Host;
use crate::web::redirect::{self, Next};
use crate::web::{self, Attempt, HttpVersion, RequestSpec, Scheme, TlsSetup, WebHost, WebTarget};

/// Whether the command line asks for the web path (`--tls`, or a URL among the targets).
pub fn wanted(args: &ConnectArgs) -> bool {
    args.tls || args.targets.iter().any(|t| web::looks_like_url(t))
}

/// The first flag of HTTP's given (they mean nothing to `--tls` and to port probes).
pub fn http_flag_given(args: &ConnectArgs) -> Option<&'static str> {
    [
        (args.location, "-L"),
        (args.request.is_some(), "-X"),
        (!args.header.is_empty(), "-H"),
        (args.data.is_some(), "--data"),
        (args.head, "--head"),
        (args.http1_1, "--http1.1"),
        (args.http2, "--http2"),
        (args.expect_status.is_some(), "--expect-status"),
        (args.plot.is_some(), "--plot"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

/// The first flag of the web path given (`--tls`'s own and HTTP's), for port probes to
/// refuse.
pub fn web_flag_given(args: &ConnectArgs) -> Option<&'static str> {
    http_flag_given(args).or_else(|| {
        [
            (args.sni.is_some(), "--sni"),
            (!args.resolve.is_empty(), "--resolve"),
            (args.cacert.is_some(), "--cacert"),
            (args.insecure, "--insecure"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    })
}

/// A checked web command line.
#[derive(Debug)]
pub struct WebPlan {
    pub targets: Vec<WebTarget>,
    pub spec: RequestSpec,
    pub follow: bool,
    pub expect_status: Option<u16>,
    pub count: u64,
    pub interval: Duration,
    pub family: Family,
    /// `--resolve HOST:PORT:ADDR`, the host lower-cased.
    pub pinned: Vec<(String, u16, IpAddr)>,
    pub cacert: Option<PathBuf>,
    pub format: Format,
    pub plot: Option<PlotFile>,
}

impl WebPlan {
    pub fn from_args(args: ConnectArgs) -> Result<WebPlan, Failure> {
        if args.targets.is_empty() {
            return Err(Failure::usage("connect", "no target given"));
        }
        // Flags of the port probes mean nothing above the socket: refuse, never ignore.
        if args.file.is_some() {
            return Err(
                Failure::usage("--file", "reads port-probe targets, not URLs")
                    .with_hint("give URLs on the command line"),
            );
        }
        let socket_only = [
            (args.ports.is_some(), "-p"),
            (args.udp, "--udp"),
            (args.send.is_some(), "--send"),
            (args.send_file.is_some(), "--send-file"),
            (args.eol.is_some(), "--eol"),
            (args.shutdown, "--shutdown"),
            (args.recv_bytes.is_some(), "--recv-bytes"),
            (args.expect.is_some(), "--expect"),
            (args.expect_regex.is_some(), "--expect-regex"),
            (args.concurrency.is_some(), "--concurrency"),
        ];
        if let Some((_, flag)) = socket_only.iter().find(|(given, _)| *given) {
            return Err(Failure::usage(
                *flag,
                "is for port probes (HOST:PORT), not for URLs or --tls",
            ));
        }
        if args.tls {
            if let Some(flag) = http_flag_given(&args) {
                return Err(Failure::usage(
                    flag,
                    "is for http:// and https:// URLs; --tls does the handshake only",
                ));
            }
        }
        let mut targets = Vec::with_capacity(args.targets.len());
        for text in &args.targets {
            let parsed = if args.tls {
                WebTarget::parse_tls(text)
            } else if web::looks_like_url(text) {
                WebTarget::parse_url(text)
            } else {
                Err(
                    "is not a URL, and the other targets are (probe ports in a run of their own)"
                        .into(),
                )
            };
            let target = parsed.map_err(|why| Failure::usage(format!("target '{text}'"), why))?;
            if let WebHost::Ip(ip) = &target.host {
                if !args.family.family().allows(ip) {
                    return Err(Failure::usage(
                        format!("target '{text}'"),
                        "is an address of the other family than -4/-6 asks",
                    ));
                }
            }
            targets.push(target);
        }
        if args.timeout.is_zero() {
            return Err(Failure::usage("--timeout", "must be more than 0"));
        }
        let method = match (&args.request, args.head, &args.data) {
            (Some(method), _, _) => {
                http::Method::from_bytes(method.as_bytes()).map_err(|_| {
                    Failure::usage("-X", format!("'{method}' is not an HTTP method"))
                })?;
                method.clone()
            }
            (None, true, _) => "HEAD".into(),
            (None, false, Some(_)) => "POST".into(),
            (None, false, None) => "GET".into(),
        };
        let mut headers = Vec::with_capacity(args.header.len());
        for text in &args.header {
            headers.push(parse_header(text)?);
        }
        let mut pinned = Vec::with_capacity(args.resolve.len());
        for text in &args.resolve {
            pinned.push(parse_resolve(text)?);
        }
        if let Some(name) = &args.sni {
            rustls::pki_types::ServerName::try_from(name.as_str())
                .map_err(|_| Failure::usage("--sni", format!("'{name}' is not a host name")))?;
        }
        if args.plot.is_some() && args.count.is_none() {
            return Err(Failure::usage(
                "--plot",
                "draws the attempts of -c N; add -c",
            ));
        }
        let version = match (args.http1_1, args.http2) {
            (true, _) => HttpVersion::Http1,
            (_, true) => HttpVersion::Http2,
            _ => HttpVersion::Auto,
        };
        Ok(WebPlan {
            targets,
            spec: RequestSpec {
                method,
                headers,
                body: args.data.map(Bytes::from),
                version,
                timeout: args.timeout,
                insecure: args.insecure,
                sni: args.sni,
            },
            follow: args.location,
            expect_status: args.expect_status,
            count: args.count.unwrap_or(1),
            interval: args.interval,
            family: args.family.family(),
            pinned,
            cacert: args.cacert,
            format: args.output.format_for("connect", &[Format::Csv])?,
            plot: args.plot,
        })
    }
}

/// `-H 'Name: value'`.
fn parse_header(text: &str) -> Result<(http::HeaderName, http::HeaderValue), Failure> {
    let bad = |why: &str| Failure::usage(format!("-H '{text}'"), why);
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| bad("is not 'Name: value'"))?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| bad("the name is not a header name"))?;
    let value = http::HeaderValue::from_str(value.trim())
        .map_err(|_| bad("the value has a character a header cannot carry"))?;
    Ok((name, value))
}

/// `--resolve HOST:PORT:ADDR` (ADDR may be `[v6]` or a bare IPv6 address).
fn parse_resolve(text: &str) -> Result<(String, u16, IpAddr), Failure> {
    let bad = |why: &str| {
        Failure::usage(format!("--resolve '{text}'"), why)
            .with_hint("write HOST:PORT:ADDR, e.g. www.netlab.test:443:198.18.2.2")
    };
    let mut parts = text.splitn(3, ':');
    let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not HOST:PORT:ADDR"));
    };
    if host.is_empty() {
        return Err(bad("names no host"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| bad("the port is not a number 1-65535"))?;
    let addr: IpAddr = addr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| bad("the address is not an IP address"))?;
    Ok((host.to_ascii_lowercase(), port, addr))
}

pub async fn run(plan: WebPlan, out: &Stdout) -> Result<Exit, Failure> {
    let needs_tls = plan.targets.iter().any(|t| t.scheme.uses_tls()) || plan.follow;
    let tls = if needs_tls {
        Some(TlsSetup::new(plan.cacert.as_deref()).map_err(|why| Failure::usage("TLS", why))?)
    } else {
        None
    };
    let mut printer = report::Printer::new(out, plan.format, plan.plot.is_some());
    let mut stats: Vec<TargetStats> = plan
        .targets
        .iter()
        .map(|t| TargetStats {
            target: t.label(),
            stats: PhaseStats::default(),
        })
        .collect();
    let mut all_ok = true;
    let mut interrupted = false;
    let mut signal = crate::net::signal::Signal::watch(crate::net::signal::Meaning::Interrupt).ok();
    'rounds: for seq in 1..=plan.count {
        if seq > 1 {
            let pause = tokio::time::sleep(plan.interval);
            tokio::select! {
                () = pause => {}
                () = interrupt(&mut signal) => { interrupted = true; break 'rounds; }
            }
        }
        for (index, target) in plan.targets.iter().enumerate() {
            let chain = tokio::select! {
                chain = run_chain(&plan, target, seq, tls.as_ref()) => chain,
                () = interrupt(&mut signal) => { interrupted = true; break 'rounds; }
            };
            let last = chain.last().expect("a chain has its first request");
            all_ok &= last.ok;
            stats[index]
                .stats
                .record(&last.attempt.timeline.phases(), last.ok);
            for record in &chain {
                printer.record(record);
            }
            if out.stopped() {
                break 'rounds;
            }
        }
    }
    printer.finish(&stats, plan.count > 1, interrupted);
    if let Some(plot) = &plan.plot {
        super::plot::phases(plot, printer.records())?;
    }
    // Ctrl-C keeps the rule, as for port probes: what was asked so far answered.
    let attempted = stats.iter().any(|t| t.stats.attempts > 0);
    Ok(Exit::from_answered(all_ok && attempted))
}

async fn interrupt(signal: &mut Option<crate::net::signal::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// One request and the redirects it leads to (with `-L`).
async fn run_chain(
    plan: &WebPlan,
    first: &WebTarget,
    seq: u64,
    tls: Option<&TlsSetup>,
) -> Vec<Record> {
    let mut chain: Vec<Record> = Vec::new();
    let mut visited = vec![first.url.clone()];
    let mut target = first.clone();
    let mut spec = plan.spec.clone();
    loop {
        let (address, mut attempt) = one_attempt(plan, &target, &spec, tls).await;
        let ok = answered(&attempt, plan, &target);
        let next = match &attempt.response {
            Some(response) if plan.follow && attempt.error.is_none() => redirect::next(
                response.status,
                response.location.as_deref(),
                &spec.method,
                &target.url,
                &visited,
            ),
            _ => Next::Stay,
        };
        let mut record = Record {
            target: first.label(),
            url: target.label(),
            seq,
            hop: chain.len(),
            address,
            attempt: attempt.clone(),
            ok,
        };
        match next {
            Next::Stay => {
                chain.push(record);
                return chain;
            }
            Next::Broken(why) => {
                attempt.error = Some(why);
                record.attempt = attempt;
                record.ok = false;
                chain.push(record);
                return chain;
            }
            Next::Follow {
                target: to,
                method,
                keep_body,
            } => {
                record.ok = true;
                chain.push(record);
                spec.method = method;
                if !keep_body {
                    spec.body = None;
                }
                target = *to;
                visited.push(target.url.clone());
            }
        }
    }
}

/// Whether an attempt answered as asked.
fn answered(attempt: &Attempt, plan: &WebPlan, target: &WebTarget) -> bool {
    if attempt.error.is_some() {
        return false;
    }
    let trusted = attempt
        .tls
        .as_ref()
        .is_none_or(|tls| tls.verdict.verified || plan.spec.insecure);
    let status_ok = match (&attempt.response, target.scheme) {
        (_, Scheme::Tls) => true,
        (Some(response), _) => match plan.expect_status {
            Some(code) => response.status == code,
            None => response.status < 400,
        },
        (None, _) => false,
    };
    trusted && status_ok
}

/// Looks the name up (timed) and runs one attempt.
async fn one_attempt(
    plan: &WebPlan,
    target: &WebTarget,
    spec: &RequestSpec,
    tls: Option<&TlsSetup>,
) -> (Option<SocketAddr>, Attempt) {
    let start = Instant::now();
    let mut timeline = web::Timeline::new(start);
    let ip = match lookup(plan, target).await {
        Ok(ip) => ip,
        Err(why) => {
            timeline.end = Some(Instant::now());
            return (
                None,
                Attempt {
                    timeline,
                    tls: None,
                    response: None,
                    error: Some(why),
                },
            );
        }
    };
    timeline.looked_up = Some(Instant::now());
    let addr = ip.with_port(target.port);
    (
        Some(addr),
        web::attempt(target, addr, timeline, spec, tls).await,
    )
}

async fn lookup(plan: &WebPlan, target: &WebTarget) -> Result<Address, String> {
    let name = match &target.host {
        WebHost::Ip(ip) => {
            return Ok(Address {
                ip: *ip,
                scope_id: 0,
                text: ip.to_string(),
            })
        }
        WebHost::Name(name) => name,
    };
    if let Some((_, _, ip)) = plan
        .pinned
        .iter()
        .find(|(host, port, _)| host == name && *port == target.port)
    {
        return Ok(Address {
            ip: *ip,
            scope_id: 0,
            text: ip.to_string(),
        });
    }
    let found = addresses_of(&Host::Name(name.clone()), plan.family)
        .await
        .map_err(|failure| format!("name lookup: {}: {}", failure.what, failure.why))?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| format!("name lookup: '{name}' has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<WebPlan, Failure> {
        let mut argv = vec!["netlab", "connect"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("clap accepts it");
        let crate::cli::Command::Connect(args) = cli.command else {
            unreachable!()
        };
        assert!(wanted(&args));
        WebPlan::from_args(args.into_inner())
    }

    #[test]
    fn urls_and_options_become_a_plan() {
        let p = plan(&[
            "https://www.netlab.test/x",
            "http://198.18.2.2:8080/",
            "-L",
            "-H",
            "X-Lab: 1",
            "--data",
            "a=b",
            "--resolve",
            "www.netlab.test:443:198.18.2.2",
            "-c",
            "3",
        ])
        .unwrap();
        assert_eq!(p.targets.len(), 2);
        assert_eq!(p.spec.method, "POST");
        assert_eq!(p.spec.headers[0].0.as_str(), "x-lab");
        assert!(p.follow);
        assert_eq!(p.count, 3);
        assert_eq!(
            p.pinned,
            vec![(
                "www.netlab.test".to_string(),
                443,
                "198.18.2.2".parse().unwrap()
            )]
        );
        assert_eq!(plan(&["http://x/", "--head"]).unwrap().spec.method, "HEAD");
        assert_eq!(
            plan(&["http://x/", "-X", "PUT"]).unwrap().spec.method,
            "PUT"
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        for (args, why) in [
            (&["gopher://x/"][..], "scheme 'gopher'"),
            (&["http://x/", "x:80"][..], "is not a URL"),
            (&["http://x/", "--send", "hi"][..], "port probes"),
            (&["--tls", "x:443", "-L"][..], "handshake only"),
            (&["--tls", "x"][..], "no port"),
            (&["http://x/", "-H", "nocolon"][..], "Name: value"),
            (&["http://x/", "--resolve", "x:80"][..], "HOST:PORT:ADDR"),
            (
                &["http://x/", "--resolve", "x:80:nope"][..],
                "not an IP address",
            ),
            (&["http://x/", "-X", "GE T"][..], "not an HTTP method"),
            (&["http://x/", "--plot", "x.svg"][..], "-c"),
            (&["http://x/", "--format", "atlas"][..], "Atlas"),
        ] {
            let failure = plan(args).unwrap_err();
            let text = format!("{}: {}", failure.what, failure.why);
            assert!(text.contains(why), "{args:?}: {text}");
            assert!(!text.contains('\n'));
        }
    }

    fn attempt(status: Option<u16>, verified: bool, error: Option<&str>) -> Attempt {
        let t0 = Instant::now();
        Attempt {
            timeline: web::Timeline::new(t0),
            tls: Some(web::TlsInfo {
                version: "TLSv1.3".into(),
                cipher: "x".into(),
                alpn: None,
                chain: vec![],
                last_chain_expiry: None,
                verdict: if verified {
                    web::Verdict::ok()
                } else {
                    web::Verdict::from_error(
                        &rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
                        false,
                    )
                },
            }),
            response: status.map(web::ResponseInfo::with_status),
            error: error.map(String::from),
        }
    }

    #[test]
    fn what_counts_as_answered() {
        let p = plan(&["https://x/"]).unwrap();
        let t = &p.targets[0];
        assert!(answered(&attempt(Some(200), true, None), &p, t));
        assert!(answered(&attempt(Some(399), true, None), &p, t));
        assert!(!answered(&attempt(Some(404), true, None), &p, t));
        assert!(!answered(&attempt(Some(200), false, None), &p, t));
        assert!(!answered(&attempt(Some(200), true, Some("timeout")), &p, t));
        let k = plan(&["https://x/", "-k"]).unwrap();
        assert!(answered(
            &attempt(Some(200), false, None),
            &k,
            &k.targets[0]
        ));
        let e = plan(&["https://x/", "--expect-status", "404"]).unwrap();
        assert!(answered(&attempt(Some(404), true, None), &e, &e.targets[0]));
        assert!(!answered(
            &attempt(Some(200), true, None),
            &e,
            &e.targets[0]
        ));
        let tls = plan(&["--tls", "x:993"]).unwrap();
        assert!(answered(&attempt(None, true, None), &tls, &tls.targets[0]));
        assert!(!answered(
            &attempt(None, false, None),
            &tls,
            &tls.targets[0]
        ));
    }
}
