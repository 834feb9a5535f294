//! Impairments for path monitoring (`trace -c`, `--watch`, `--flows`): loss in
//! forwarding at a router, a router dropping a share of its own time-exceeded replies,
//! and a diamond of two equal-cost paths.
//!
//! - Forwarding loss: `iptables -A FORWARD -m statistic` in the router's namespace, so
//!   the router drops that share of what it forwards, each way (probes out, answers of
//!   later hops back): a probe beyond it is lost with `1 - (1 - p)²`. `--mode random`
//!   for realistic loss, `--mode nth --every n` where a test needs it exact.
//! - Reply loss: `iptables -A OUTPUT -p icmp --icmp-type time-exceeded -m statistic`
//!   (and ICMPv6 type 3): only the router's own answers go, traffic through it does not.
//! - Diamond at router `i` (v4): a second veth between router `i-1` and router `i`
//!   (198.18.(200+i).0/24), router `i-1`'s default route a multipath route over both
//!   links with layer-4 hashing (`fib_multipath_hash_policy=1`), and router `i` answering
//!   from the address its probe came in on (`icmp_errors_use_inbound_ifaddr=1`): so a
//!   flow through the second link sees hop `i` as 198.18.(200+i).2, one through the first
//!   as the usual address, and the paths merge again at hop `i+1`. IPv6 has no
//!   inbound-address knob for ICMPv6 errors, so the diamond is IPv4 only.
//!
//! Applied after the lab's links are proven ready (a lossy router would make the
//! readiness pings flaky); the diamond's extra link is proven with its own ping.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use super::netns::{ip_batch, run_bounded, run_checked};

/// One impairment of a lab (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum Impairment {
    /// Router (1-based) drops this probability of what it forwards, each way.
    ForwardingLoss { router: usize, probability: f64 },
    /// Router drops exactly one in `every` packets it forwards (counted over both ways).
    ForwardingDropEvery { router: usize, every: u32 },
    /// Router drops this probability of its own time-exceeded replies.
    ReplyLoss { router: usize, probability: f64 },
    /// Router drops exactly one in `every` of its own time-exceeded replies.
    ReplyDropEvery { router: usize, every: u32 },
    /// Two equal-cost links from router `router - 1` to router `router` (v4).
    Diamond { router: usize },
}

impl Impairment {
    pub fn router(&self) -> usize {
        match self {
            Impairment::ForwardingLoss { router, .. }
            | Impairment::ForwardingDropEvery { router, .. }
            | Impairment::ReplyLoss { router, .. }
            | Impairment::ReplyDropEvery { router, .. }
            | Impairment::Diamond { router } => *router,
        }
    }
}

/// The second link of a diamond at router `i`: its address on router `i`'s side (the
/// hop a flow through it shows) and on router `i-1`'s.
pub fn diamond_v4(router: usize) -> (Ipv4Addr, Ipv4Addr) {
    let net = 200 + router as u8;
    (
        Ipv4Addr::new(198, 18, net, 2),
        Ipv4Addr::new(198, 18, net, 1),
    )
}

fn statistic(random: Option<f64>, every: Option<u32>) -> String {
    match (random, every) {
        (Some(p), _) => format!("-m statistic --mode random --probability {p}"),
        (None, Some(n)) => format!("-m statistic --mode nth --every {n} --packet 0"),
        (None, None) => unreachable!(),
    }
}

fn iptables(ns: &str, tool: &str, rule: &str) -> Result<(), String> {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, tool]);
    cmd.args(rule.split_whitespace());
    run_checked(&mut cmd)
}

/// Applies `impairment`; `routers[i-1]` is router i's namespace.
pub fn apply(impairment: &Impairment, routers: &[String]) -> Result<(), String> {
    let ns_of = |i: usize| -> Result<&str, String> {
        routers
            .get(i.wrapping_sub(1))
            .map(String::as_str)
            .ok_or_else(|| format!("router {i} does not exist"))
    };
    let ns = ns_of(impairment.router())?;
    match impairment {
        Impairment::ForwardingLoss { probability, .. } => {
            let m = statistic(Some(*probability), None);
            iptables(ns, "iptables", &format!("-A FORWARD {m} -j DROP"))?;
            iptables(ns, "ip6tables", &format!("-A FORWARD {m} -j DROP"))
        }
        Impairment::ForwardingDropEvery { every, .. } => {
            let m = statistic(None, Some(*every));
            iptables(ns, "iptables", &format!("-A FORWARD {m} -j DROP"))?;
            iptables(ns, "ip6tables", &format!("-A FORWARD {m} -j DROP"))
        }
        Impairment::ReplyLoss { probability, .. } => {
            reply_rules(ns, &statistic(Some(*probability), None))
        }
        Impairment::ReplyDropEvery { every, .. } => reply_rules(ns, &statistic(None, Some(*every))),
        Impairment::Diamond { router } => diamond(*router, routers),
    }
}

fn reply_rules(ns: &str, m: &str) -> Result<(), String> {
    iptables(
        ns,
        "iptables",
        &format!("-A OUTPUT -p icmp --icmp-type time-exceeded {m} -j DROP"),
    )?;
    iptables(
        ns,
        "ip6tables",
        &format!("-A OUTPUT -p ipv6-icmp --icmpv6-type time-exceeded {m} -j DROP"),
    )
}

fn diamond(router: usize, routers: &[String]) -> Result<(), String> {
    if router < 2 || router > routers.len() {
        return Err(format!(
            "a diamond needs routers {} and {router}",
            router.wrapping_sub(1)
        ));
    }
    let (left_ns, right_ns) = (&routers[router - 2], &routers[router - 1]);
    let (right, left) = diamond_v4(router);
    run_checked(Command::new("ip").args([
        "link", "add", "east2", "netns", left_ns, "type", "veth", "peer", "name", "west2", "netns",
        right_ns,
    ]))?;
    ip_batch(
        left_ns,
        &[
            format!("addr add {left}/24 dev east2"),
            "link set east2 up".into(),
        ],
    )?;
    ip_batch(
        right_ns,
        &[
            format!("addr add {right}/24 dev west2"),
            "link set west2 up".into(),
        ],
    )?;
    let sysctl = |ns: &str, kv: &str| {
        run_checked(Command::new("ip").args(["netns", "exec", ns, "sysctl", "-q", "-w", kv]))
    };
    sysctl(left_ns, "net.ipv4.fib_multipath_hash_policy=1")?;
    sysctl(right_ns, "net.ipv4.icmp_errors_use_inbound_ifaddr=1")?;
    // Asymmetric return paths are fine; strict reverse-path filtering would not be.
    for ns in [left_ns, right_ns] {
        sysctl(ns, "net.ipv4.conf.all.rp_filter=0")?;
        sysctl(ns, "net.ipv4.conf.default.rp_filter=0")?;
    }
    // The readiness signal: router i answers across the new link.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = run_bounded(
            Command::new("ip").args([
                "netns",
                "exec",
                left_ns,
                "ping",
                "-c1",
                "-W1",
                &right.to_string(),
            ]),
            Duration::from_secs(5),
        )
        .map_err(|e| format!("ping across the diamond: {e}"))?;
        if out.status.success() {
            break;
        }
        if Instant::now() > deadline {
            return Err("the diamond's second link never answered".into());
        }
    }
    // Everything toward the destination: both links, hashed on layer 4.
    let main_next = super::topology::link_v4(router - 1, super::topology::Side::Right);
    ip_batch(
        left_ns,
        &[format!(
            "route replace default nexthop via {main_next} dev east nexthop via {right} dev east2"
        )],
    )?;
    Ok(())
}
