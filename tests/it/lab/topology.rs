//! The address plan and the namespaces, links, routes, sysctls and firewall rules of a lab.
//!
//! Nodes are numbered from the client: node 0 is the client, node i (1..=N) is router i,
//! node N+1 is the destination. Link k joins node k (its "left" side, address .1 / ::1) and
//! node k+1 (its "right" side, .2 / ::2), on 198.18.k.0/24 and fd4e:6c61:62:k::/64 (k is
//! written in hex in the IPv6 address, so link 10 is fd4e:6c61:62:a::/64). In every
//! namespace the interface toward the client is `west` and the one toward the destination
//! is `east`, so names only need to be unique per namespace.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use super::netns::{self, ip_batch, run_checked};

/// Highest router count the address plan supports (link subnets must stay below the
/// 198.18.100.0/24 service subnet).
pub const MAX_ROUTERS: usize = 50;

/// Addresses on the destination's loopback, reached through every default route.
pub const DNS_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 100, 53);
pub const DNS_V6: Ipv6Addr = Ipv6Addr::new(0xfd4e, 0x6c61, 0x62, 0x100, 0, 0, 0, 0x53);
/// Dropped by the destination's firewall (udp and tcp 53): a DNS server that never answers.
pub const SILENT_DNS_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 100, 54);
pub const SILENT_DNS_V6: Ipv6Addr = Ipv6Addr::new(0xfd4e, 0x6c61, 0x62, 0x100, 0, 0, 0, 0x54);
/// Three more destination addresses, the A records of `multi.netlab.test`.
pub const MULTI_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(198, 18, 100, 1),
    Ipv4Addr::new(198, 18, 100, 2),
    Ipv4Addr::new(198, 18, 100, 3),
];
/// In a network the reporter rejects (v4: ICMP host unreachable, v6: no route), as a
/// route of type `unreachable` would (see [`reject_rules`]).
pub const UNREACHABLE_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 250, 1);
pub const UNREACHABLE_V6: Ipv6Addr = Ipv6Addr::new(0xfd4e, 0x6c61, 0x62, 0x250, 0, 0, 0, 1);
/// In a network the reporter rejects as administratively prohibited (v4: ICMP 3/13, v6:
/// ICMPv6 1/1), as a route of type `prohibit` would.
pub const PROHIBITED_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 251, 1);
pub const PROHIBITED_V6: Ipv6Addr = Ipv6Addr::new(0xfd4e, 0x6c61, 0x62, 0x251, 0, 0, 0, 1);
/// The networks of those addresses, and the ICMP error the reporter answers each with:
/// (`iptables` tool, network, `--reject-with`).
const REJECTED: [(&str, &str, &str); 4] = [
    ("iptables", "198.18.250.0/24", "icmp-host-unreachable"),
    ("iptables", "198.18.251.0/24", "icmp-admin-prohibited"),
    ("ip6tables", "fd4e:6c61:62:250::/64", "icmp6-no-route"),
    ("ip6tables", "fd4e:6c61:62:251::/64", "icmp6-adm-prohibited"),
];

/// The ports whose behaviour the destination's firewall decides.
pub const FILTERED_PORT: u16 = 82;

/// Which end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Toward the client: `.1` / `::1`.
    Left,
    /// Toward the destination: `.2` / `::2`.
    Right,
}

impl Side {
    fn host(self) -> u8 {
        match self {
            Side::Left => 1,
            Side::Right => 2,
        }
    }
}

pub fn link_v4(link: usize, side: Side) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, link as u8, side.host())
}

pub fn link_v6(link: usize, side: Side) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfd4e,
        0x6c61,
        0x62,
        link as u16,
        0,
        0,
        0,
        side.host().into(),
    )
}

/// Every node's namespace name, client first, destination last.
#[derive(Clone, Debug)]
pub struct Names {
    pub client: String,
    pub routers: Vec<String>,
    pub dest: String,
}

impl Names {
    pub fn new(prefix: &str, routers: usize) -> Self {
        Names {
            client: format!("{prefix}c"),
            routers: (1..=routers).map(|i| format!("{prefix}r{i}")).collect(),
            dest: format!("{prefix}d"),
        }
    }

    /// Namespaces in node order (client, r1..rN, dest).
    pub fn nodes(&self) -> Vec<&str> {
        std::iter::once(self.client.as_str())
            .chain(self.routers.iter().map(String::as_str))
            .chain(std::iter::once(self.dest.as_str()))
            .collect()
    }
}

/// What the topology builder needs from the lab configuration.
pub struct Plan<'a> {
    pub names: &'a Names,
    /// 1-based routers whose ICMP time-exceeded is dropped on output.
    pub silent_routers: &'a [usize],
    /// With a delay, links are TUN pairs bridged by the test process instead of veths.
    pub tun_links: bool,
}

impl Plan<'_> {
    fn router_count(&self) -> usize {
        self.names.routers.len()
    }

    /// The node that rejects the unreachable and prohibited networks: the last router, so a trace
    /// crosses every hop before it fails (the destination when there are no routers).
    pub fn reporter_node(&self) -> usize {
        let n = self.router_count();
        if n == 0 {
            1
        } else {
            n
        }
    }
}

/// The sysctls every namespace gets before its interfaces exist (so `default.*` applies).
fn common_sysctls() -> Vec<&'static str> {
    vec![
        // No DAD at all: link-local addresses are usable at once, nothing stays tentative.
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.default.accept_ra=0",
        // Tests send bursts of probes that must all be answered: lift the per-destination
        // limits and the token bucket shared by all ICMP errors. On this kernel (6.18) the
        // bucket is per namespace (setting it in a namespace leaves the host's alone), so
        // nothing outside the lab changes; lab_icmp_errors_are_not_rate_limited proves it
        // works.
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0",
        "net.ipv4.icmp_msgs_per_sec=1000000",
        "net.ipv4.icmp_msgs_burst=1000000",
    ]
}

fn router_sysctls() -> Vec<&'static str> {
    vec!["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
}

fn sysctl(ns: &str, settings: &[&str]) -> Result<(), String> {
    run_checked(
        Command::new("ip")
            .args(["netns", "exec", ns, "sysctl", "-q", "-w"])
            .args(settings),
    )
}

/// Creates every namespace with its sysctls. Links come next (veth here, TUN in `tun`).
pub fn create_namespaces(plan: &Plan) -> Result<(), String> {
    for (node, ns) in plan.names.nodes().into_iter().enumerate() {
        netns::add_namespace(ns)?;
        let mut settings = common_sysctls();
        // The reporter must forward, or it would drop (not answer) packets it cannot route.
        if (node >= 1 && node <= plan.router_count()) || node == plan.reporter_node() {
            settings.extend(router_sysctls());
        }
        sysctl(ns, &settings)?;
    }
    Ok(())
}

/// One veth pair per link, created straight into the two namespaces.
pub fn create_veth_links(plan: &Plan) -> Result<(), String> {
    let nodes = plan.names.nodes();
    for pair in nodes.windows(2) {
        run_checked(Command::new("ip").args([
            "link", "add", "east", "netns", pair[0], "type", "veth", "peer", "name", "west",
            "netns", pair[1],
        ]))?;
    }
    Ok(())
}

/// Addresses, routes and the extra destination addresses, one `ip -batch` per namespace.
pub fn configure_addresses_and_routes(plan: &Plan) -> Result<(), String> {
    let nodes = plan.names.nodes();
    let last = nodes.len() - 1;
    for (node, ns) in nodes.iter().enumerate() {
        let mut cmds = vec!["link set lo up".to_string()];
        // West interface: right side of link node-1.
        if node > 0 {
            let link = node - 1;
            cmds.push(format!(
                "addr add {}/24 dev west",
                link_v4(link, Side::Right)
            ));
            cmds.push(format!(
                "addr add {}/64 dev west nodad",
                link_v6(link, Side::Right)
            ));
            cmds.push("link set west up".into());
        }
        // East interface: left side of link node.
        if node < last {
            cmds.push(format!(
                "addr add {}/24 dev east",
                link_v4(node, Side::Left)
            ));
            cmds.push(format!(
                "addr add {}/64 dev east nodad",
                link_v6(node, Side::Left)
            ));
            cmds.push("link set east up".into());
        }
        if node < last {
            // Everything not on a left-hand link lies toward the destination.
            cmds.push(format!(
                "route add default via {}",
                link_v4(node, Side::Right)
            ));
            cmds.push(format!(
                "route add default via {}",
                link_v6(node, Side::Right)
            ));
        } else {
            cmds.push(format!(
                "route add default via {}",
                link_v4(node - 1, Side::Left)
            ));
            cmds.push(format!(
                "route add default via {}",
                link_v6(node - 1, Side::Left)
            ));
        }
        // Routers and the destination reach the links left of their west neighbour via it.
        if node > 0 && node < last {
            for link in 0..node - 1 {
                cmds.push(format!(
                    "route add 198.18.{link}.0/24 via {}",
                    link_v4(node - 1, Side::Left)
                ));
                cmds.push(format!(
                    "route add {}/64 via {}",
                    link_v6(link, Side::Left),
                    link_v6(node - 1, Side::Left)
                ));
            }
        }
        if node == plan.reporter_node() {
            // The rejected networks lie behind a veth pair of the reporter's own, so their
            // packets are forwarded (to meet the REJECT rules) out of an interface they did
            // not come in by: no ICMP redirect first, even with no router (the destination
            // reports them then, and its default route points back west).
            cmds.push("link add sink type veth peer name sink-peer".into());
            cmds.push("link set sink up".into());
            cmds.push("link set sink-peer up".into());
            for (_, net, _) in REJECTED {
                cmds.push(format!("route add {net} dev sink"));
            }
        }
        if node == last {
            let mut extra: Vec<IpAddr> = vec![DNS_V4.into(), SILENT_DNS_V4.into()];
            extra.extend(MULTI_V4.iter().map(|a| IpAddr::from(*a)));
            for addr in extra {
                cmds.push(format!("addr add {addr}/32 dev lo"));
            }
            for addr in [DNS_V6, SILENT_DNS_V6] {
                cmds.push(format!("addr add {addr}/128 dev lo nodad"));
            }
        }
        ip_batch(ns, &cmds)?;
    }
    Ok(())
}

/// Sets the MTU of both ends of each (link, MTU): `east` of node k, `west` of node k+1.
pub fn set_link_mtus(names: &Names, mtus: &[(usize, u32)]) -> Result<(), String> {
    let nodes = names.nodes();
    for &(link, mtu) in mtus {
        ip_batch(nodes[link], &[format!("link set east mtu {mtu}")])?;
        ip_batch(nodes[link + 1], &[format!("link set west mtu {mtu}")])?;
    }
    Ok(())
}

/// Firewall rules (iptables, as CI installs it): silent routers drop their own
/// time-exceeded; the destination filters port 82 and the silent DNS address; the reporter
/// rejects the unreachable and prohibited networks ([`reject_rules`]).
pub fn install_firewall(plan: &Plan) -> Result<(), String> {
    // Per namespace and tool, its mangle and filter rules: one `*tables-restore` each, as a
    // second restore would flush the first one's tables.
    let mut firewall: BTreeMap<(&str, &str), Tables> = BTreeMap::new();
    for &router in plan.silent_routers {
        let ns = plan.names.routers[router - 1].as_str();
        firewall
            .entry((ns, "iptables"))
            .or_default()
            .filter
            .push("-A OUTPUT -p icmp --icmp-type time-exceeded -j DROP".into());
        firewall
            .entry((ns, "ip6tables"))
            .or_default()
            .filter
            .push("-A OUTPUT -p ipv6-icmp --icmpv6-type time-exceeded -j DROP".into());
    }
    for (tool, silent_dns) in [
        ("iptables", IpAddr::from(SILENT_DNS_V4)),
        ("ip6tables", IpAddr::from(SILENT_DNS_V6)),
    ] {
        firewall
            .entry((plan.names.dest.as_str(), tool))
            .or_default()
            .filter
            .extend([
                format!("-A INPUT -p tcp --dport {FILTERED_PORT} -j DROP"),
                format!("-A INPUT -p udp --dport {FILTERED_PORT} -j DROP"),
                format!("-A INPUT -d {silent_dns} -p udp --dport 53 -j DROP"),
                format!("-A INPUT -d {silent_dns} -p tcp --dport 53 -j DROP"),
            ]);
    }
    let reporter = plan.names.nodes()[plan.reporter_node()];
    for (tool, tables) in reject_rules() {
        let entry = firewall.entry((reporter, tool)).or_default();
        entry.mangle.extend(tables.mangle);
        entry.filter.extend(tables.filter);
    }
    for ((ns, tool), tables) in firewall {
        restore(ns, tool, &tables)?;
    }
    Ok(())
}

/// The rules of one table pair of one namespace.
#[derive(Default)]
struct Tables {
    mangle: Vec<String>,
    filter: Vec<String>,
}

/// How the reporter answers for the unreachable and prohibited networks: REJECT rules,
/// not routes of type `unreachable`/`prohibit`. Linux answers those routes in ip_error(),
/// whose rate limit (net.ipv4.route.error_cost / error_burst: 5 at once, then 1 a second
/// per client) is global to the kernel and cannot be lifted in a namespace: under load a
/// scan of 300 ports read 5 unreachable and 295 filtered. REJECT sends through
/// icmp_send/icmpv6_send, whose limits are per namespace and lifted by
/// [`common_sysctls`] (icmp_ratelimit, icmp.ratelimit, icmp_msgs_*).
///
/// To keep the routes' semantics for traces, the TTL (hop limit) of these packets is raised
/// by one as they arrive: a route's error comes before the TTL check, so a probe that
/// reaches the reporter with TTL 1 got !H, not time-exceeded; forwarding checks TTL 1
/// before the FORWARD chain, so without the raise that probe would expire instead. The
/// forward path lowers it by one again, so the quoted header carries the TTL it came with,
/// as ip_error's did.
fn reject_rules() -> BTreeMap<&'static str, Tables> {
    let mut rules: BTreeMap<&str, Tables> = BTreeMap::new();
    for (tool, net, reject_with) in REJECTED {
        let tables = rules.entry(tool).or_default();
        let raise = if tool == "iptables" {
            "TTL --ttl-inc 1"
        } else {
            "HL --hl-inc 1"
        };
        tables
            .mangle
            .push(format!("-A PREROUTING -d {net} -j {raise}"));
        tables.filter.push(format!(
            "-A FORWARD -d {net} -j REJECT --reject-with {reject_with}"
        ));
    }
    rules
}

/// Loads `tables` into `ns` in one `iptables-restore` (or `ip6tables-restore`) call.
fn restore(ns: &str, tool: &str, tables: &Tables) -> Result<(), String> {
    let mut input = String::new();
    if !tables.mangle.is_empty() {
        input += &format!(
            "*mangle\n:PREROUTING ACCEPT [0:0]\n{}\nCOMMIT\n",
            tables.mangle.join("\n")
        );
    }
    input += &format!(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n{}\nCOMMIT\n",
        tables.filter.join("\n")
    );
    netns::exec_with_stdin(ns, &[&format!("{tool}-restore")], &input)
}

/// Waits until every link forwards IPv6 and IPv4 between its two ends.
///
/// A veth end only gets its IPv6 multicast routes (needed to receive neighbour
/// solicitations) once the kernel's linkwatch has processed the carrier change, a few
/// hundred ms after `link set up`; a solicitation sent before that is lost and costs a 1 s
/// retransmit. So wait for those routes, then prove each link with one ping each way.
pub fn wait_ready(plan: &Plan, timeout: Duration, probe: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let nodes = plan.names.nodes();
    if !plan.tun_links {
        for (node, ns) in nodes.iter().enumerate() {
            let mut devs = Vec::new();
            if node > 0 {
                devs.push("west");
            }
            if node < nodes.len() - 1 {
                devs.push("east");
            }
            for dev in devs {
                wait_until(deadline, || has_multicast_route(ns, dev))
                    .map_err(|_| format!("{ns}/{dev}: IPv6 never became ready"))?;
            }
        }
    }
    // Link k starts at node k.
    for (link, from) in nodes.iter().enumerate().take(nodes.len() - 1) {
        let targets: [IpAddr; 2] = [
            link_v4(link, Side::Right).into(),
            link_v6(link, Side::Right).into(),
        ];
        for target in targets {
            wait_until(deadline, || ping_once(from, target, probe))
                .map_err(|_| format!("{from}: link {link} to {target} never answered"))?;
        }
    }
    Ok(())
}

fn has_multicast_route(ns: &str, dev: &str) -> bool {
    Command::new("ip")
        .args([
            "-n",
            ns,
            "-6",
            "route",
            "show",
            "table",
            "local",
            "type",
            "multicast",
            "dev",
            dev,
        ])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

fn ping_once(ns: &str, target: IpAddr, wait: Duration) -> bool {
    Command::new("ip")
        .args(["netns", "exec", ns, "ping", "-n", "-q", "-c", "1", "-W"])
        .arg(format!("{:.3}", wait.as_secs_f64()))
        .arg(target.to_string())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Polls `ready` every 10 ms until it holds or `deadline` passes.
fn wait_until(deadline: Instant, mut ready: impl FnMut() -> bool) -> Result<(), ()> {
    loop {
        if ready() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
