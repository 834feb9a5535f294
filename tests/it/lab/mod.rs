//! The namespace test lab every network test runs in.
//!
//! A lab is a chain of network namespaces, `client — r1 — … — rN — dest`, with IPv4 and
//! IPv6 on every link, in-process services and an authoritative DNS server on the
//! destination, and resolver files for the client. Tests run the real `netlab` binary in
//! the client namespace and assert on exact addresses, which the accessors below give.
//!
//! ```ignore
//! use crate::lab::{lab, LabConfig};
//!
//! #[test]
//! fn resolves_www() {
//!     let lab = lab!(LabConfig::default());
//!     let out = lab.netlab(&["resolve", "www"]);
//!     assert!(String::from_utf8_lossy(&out.stdout).contains(&lab.dest_v4().to_string()));
//! }
//! ```
//!
//! Building a lab needs root and `ip netns`. Without them the test skips loudly through
//! `skip` (a `SKIPPED <test>: ...` line at once, and a count with the command that
//! runs them after libtest's summary); with `CI=true` it fails instead, so CI can never go
//! green by skipping. Everything is torn down in `Drop`, which also runs when a test
//! panics; namespaces of processes that died without tearing down are swept by the next
//! lab built on the machine.
//!
//! Address plan (see `topology`): link k = 198.18.k.0/24 and fd4e:6c61:62:k::/64, client
//! side .1/::1; so with N routers the destination is 198.18.N.2 / fd4e:6c61:62:N::2 and
//! router i answers a trace from 198.18.(i-1).2. Services and DNS records: `services`, `dns`.
//! `scripted_dns` is no part of a lab: a DNS responder on loopback whose every answer a
//! test scripts, for what the lab's real server never does (truncate, send garbage).
//!
//! MPLS routers: Linux never appends RFC 4884 extensions to its ICMP errors, so
//! `LabConfig::mpls_router(i, &labels)` makes the forwarder of the link in front of
//! router i answer, in router i's name (from `hop_v4(i)` / `hop_v6(i)`), every packet that
//! would expire there — one arriving with TTL or hop limit 1 and not addressed to router
//! i — with a Time Exceeded (v4 type 11 / v6 type 3, code 0) whose original datagram is
//! padded to 128 bytes with the RFC 4884 length set, followed by an RFC 4950 extension
//! carrying `labels`; `extension_layout(i, layout)` lays it out as older routers do
//! (length 0, or a length shorter than the padding), `interface_info(i, entry)` adds an
//! RFC 5837 interface information object. Router i still forwards everything else. It
//! needs TUN links, so it implies them (with no delay unless `link_delay` says
//! otherwise); see `tun` for how.
//! Only a raw ICMP socket sees the whole message: a trace reading the error queue (UDP
//! without `CAP_NET_RAW`) still shows the hop, without labels.
//!
//! Small-MTU links: `LabConfig::link_mtu(k, mtu)` sets both ends of link k to `mtu`
//! (`link_mtu(1, 1400)`: 1400 bytes between router 1 and router 2, on IPv4 and IPv6), so
//! path-MTU discovery (ping -M do, trace --mtu, tracepath) sees router 1 report it.
//!
//! Host-global effects: `/run/netns/nl*` and `/etc/netns/nl*` while a lab lives (and
//! `ip netns` makes `/run/netns` a shared mount once). Every sysctl is set inside the
//! lab's own namespaces only: on this kernel (6.18) even the ICMP token bucket
//! (`icmp_msgs_per_sec`/`icmp_msgs_burst`) is per namespace.

#![allow(dead_code)]

pub mod capture;
pub mod dns;
pub mod impair;
pub mod netns;
pub mod prerequisites;
pub mod scripted_dns;
pub mod services;
pub mod skip;
pub mod topology;
pub mod tun;
pub mod web_server;

#[allow(unused_imports)]
pub use tun::{InterfaceEntry, LabelEntry, Layout};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

// Re-exported for tests; not every test binary build uses each one.
#[allow(unused_imports)]
pub use netns::{in_ns, run_bounded, RunError};
#[allow(unused_imports)]
pub use services::{CLOSED_PORT, ECHO_PORT, HTTP_PORT, HTTP_RESPONSE, WELCOME_PORT};
#[allow(unused_imports)]
pub use topology::{
    FILTERED_PORT, MAX_ROUTERS, MULTI_V4, PROHIBITED_V4, PROHIBITED_V6, SILENT_DNS_V4,
    SILENT_DNS_V6, UNREACHABLE_V4, UNREACHABLE_V6,
};

use topology::{link_v4, link_v6, Names, Plan, Side};

/// How long `Lab::netlab`, `Lab::exec` and friends let a command run before killing it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// An unprivileged user that exists everywhere.
pub const NOBODY: u32 = 65534;
/// The resolver configuration of the client namespace: one server, the lab's search
/// domain, and short timeouts so resolver-timeout tests stay fast.
pub const CLIENT_RESOLV_CONF: &str = "nameserver 198.18.100.53
search netlab.test
options ndots:1 timeout:1 attempts:2
";

/// Bound on building the links before the lab gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// What to build. `LabConfig::default()` is two routers, no delay, every router answering.
#[derive(Clone, Debug)]
pub struct LabConfig {
    /// Routers between client and destination; 0 links the client straight to dest.
    pub routers: usize,
    /// One-way delay added on every link (so a ping's RTT grows by 2 × links × delay).
    pub link_delay: Option<Duration>,
    /// 1-based indexes of routers whose ICMP time-exceeded (v4 and v6) is dropped.
    pub silent_routers: Vec<usize>,
    /// 1-based routers that report an MPLS label stack (outermost first) in their
    /// time-exceeded messages (module docs).
    pub mpls_routers: Vec<(usize, Vec<LabelEntry>)>,
    /// How an MPLS router lays out its extension, where not RFC 4884's (module docs).
    pub extension_layouts: Vec<(usize, tun::Layout)>,
    /// The RFC 5837 interface information an MPLS router adds after its labels.
    pub interface_infos: Vec<(usize, tun::InterfaceEntry)>,
    /// Delay forwarders, the DNS server and services run SCHED_FIFO (the default), so a
    /// link's delay and the lab's answers hold on a loaded machine: at normal priority,
    /// with both CPUs busy, 3 links of 5 ms gave RTTs of 76-158 ms instead of 30.
    pub realtime_links: bool,
    /// (link k, MTU): both ends of link k (between node k and node k+1) get this MTU, so
    /// the router in front of it answers bigger don't-fragment packets with a
    /// fragmentation needed (v4) or packet too big (v6) naming the MTU.
    pub link_mtus: Vec<(usize, u32)>,
    /// Loss and multipath for path monitoring (`impair`).
    pub impairments: Vec<impair::Impairment>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            routers: 2,
            link_delay: None,
            silent_routers: Vec::new(),
            mpls_routers: Vec::new(),
            extension_layouts: Vec::new(),
            interface_infos: Vec::new(),
            realtime_links: true,
            link_mtus: Vec::new(),
            impairments: Vec::new(),
        }
    }
}

impl LabConfig {
    pub fn routers(mut self, routers: usize) -> Self {
        self.routers = routers;
        self
    }

    pub fn link_delay(mut self, one_way: Duration) -> Self {
        self.link_delay = Some(one_way);
        self
    }

    /// Makes router `index` (1-based) drop its time-exceeded messages.
    pub fn silent_router(mut self, index: usize) -> Self {
        self.silent_routers.push(index);
        self
    }

    /// Makes router `index` (1-based) an MPLS router: its time-exceeded messages carry
    /// `labels` (outermost first) in an RFC 4950 extension. Implies TUN links.
    pub fn mpls_router(mut self, index: usize, labels: &[LabelEntry]) -> Self {
        self.mpls_routers.push((index, labels.to_vec()));
        self
    }

    /// Makes MPLS router `index` lay its extension out as `layout` (module docs).
    pub fn extension_layout(mut self, index: usize, layout: tun::Layout) -> Self {
        self.extension_layouts.push((index, layout));
        self
    }

    /// Makes MPLS router `index` add RFC 5837 interface information (its incoming
    /// interface: ifIndex, its address, name, MTU) after its labels; with no labels
    /// (`mpls_router(index, &[])`), the object comes alone.
    pub fn interface_info(mut self, index: usize, interface: tun::InterfaceEntry) -> Self {
        self.interface_infos.push((index, interface));
        self
    }

    /// Whether the delay forwarders run SCHED_FIFO (see `tun`; the default): the path's
    /// delay then stays the same however busy the CPUs are. `false` is for the lab's
    /// own test of what normal priority does.
    pub fn realtime_links(mut self, realtime: bool) -> Self {
        self.realtime_links = realtime;
        self
    }

    /// Gives link `link` (0 = client–r1, 1 = r1–r2, ...) the MTU `mtu` on both ends: a
    /// default lab with `link_mtu(1, 1400)` has a 1400-byte link between its two routers,
    /// and router 1 (hop 1, `router_v4(1)`) reports it.
    pub fn link_mtu(mut self, link: usize, mtu: u32) -> Self {
        self.link_mtus.push((link, mtu));
        self
    }

    /// Adds an impairment (forwarding loss, reply loss, a diamond: see `impair`).
    pub fn impair(mut self, impairment: impair::Impairment) -> Self {
        self.impairments.push(impairment);
        self
    }

    /// Whether links are TUN pairs bridged by forwarder threads (a delay or an MPLS
    /// router needs them) rather than veths.
    fn tun_links(&self) -> bool {
        self.link_delay.is_some() || !self.mpls_routers.is_empty()
    }
}

/// A node of the lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    /// 1-based router index.
    Router(usize),
    Dest,
}

/// Why a lab could not be built.
#[derive(Debug)]
pub enum LabError {
    /// The machine cannot host a lab (not root, a tool missing): skipped outside CI.
    Unavailable(String),
    /// The machine should have been able to, but building failed: always a test failure.
    Failed(String),
}

/// A running lab. Dropping it stops every service and deletes every namespace.
pub struct Lab {
    config: LabConfig,
    names: Names,
    runtime: Option<tokio::runtime::Runtime>,
    delay_links: Vec<tun::DelayLink>,
    zones: Option<dns::Zones>,
    build_time: Duration,
}

/// Builds a lab, or skips the calling test (returns from it) when the machine cannot host
/// one and `CI` is not `true`. See the module docs.
macro_rules! lab {
    ($config:expr) => {
        match $crate::lab::Lab::build_or_skip($config) {
            Some(lab) => lab,
            None => return,
        }
    };
}
pub(crate) use lab;

impl Lab {
    /// Builds the lab described by `config`.
    pub fn new(config: LabConfig) -> Result<Lab, LabError> {
        prerequisites::check(&config).map_err(LabError::Unavailable)?;
        if config.routers > MAX_ROUTERS {
            return Err(LabError::Failed(format!("at most {MAX_ROUTERS} routers")));
        }
        if let Some(bad) = config
            .silent_routers
            .iter()
            .find(|&&r| r == 0 || r > config.routers)
        {
            return Err(LabError::Failed(format!(
                "silent router {bad} does not exist"
            )));
        }
        for (router, labels) in &config.mpls_routers {
            if *router == 0 || *router > config.routers {
                return Err(LabError::Failed(format!(
                    "MPLS router {router} does not exist"
                )));
            }
            if config.silent_routers.contains(router) {
                return Err(LabError::Failed(format!(
                    "router {router} cannot be both silent and an MPLS router"
                )));
            }
            if config
                .mpls_routers
                .iter()
                .filter(|(r, _)| r == router)
                .count()
                > 1
            {
                return Err(LabError::Failed(format!(
                    "MPLS router {router} is configured twice"
                )));
            }
            if labels.is_empty() || !labels.iter().all(LabelEntry::is_valid) {
                return Err(LabError::Failed(format!(
                    "MPLS router {router}: labels must be 1 or more entries with 20-bit \
                     labels and 3-bit EXP: {labels:?}"
                )));
            }
        }
        if let Some((link, mtu)) = config
            .link_mtus
            .iter()
            .find(|(link, mtu)| *link > config.routers || !(1280..=65535).contains(mtu))
        {
            return Err(LabError::Failed(format!(
                "link {link} with MTU {mtu}: links are 0..={}, MTUs 1280-65535 (IPv6's floor)",
                config.routers
            )));
        }
        netns::sweep_stale_once();
        let started = Instant::now();
        let names = Names::new(&netns::unique_prefix(), config.routers);
        // From here on, Drop cleans up whatever part got built.
        let mut lab = Lab {
            config,
            names,
            runtime: None,
            delay_links: Vec::new(),
            zones: None,
            build_time: Duration::ZERO,
        };
        lab.build().map_err(LabError::Failed)?;
        lab.build_time = started.elapsed();
        Ok(lab)
    }

    /// [`Lab::new`] with the skip policy: `None` means "skipped, return from the test".
    pub fn build_or_skip(config: LabConfig) -> Option<Lab> {
        match Lab::new(config) {
            Ok(lab) => Some(lab),
            Err(LabError::Unavailable(why)) => {
                // Fails under CI=true; otherwise counted and summarised at exit.
                crate::lab::skip::skip(&format!("no lab: {why}: needs root and ip netns"));
                None
            }
            Err(LabError::Failed(why)) => panic!("building the lab failed: {why}"),
        }
    }

    fn plan(&self) -> Plan<'_> {
        Plan {
            names: &self.names,
            silent_routers: &self.config.silent_routers,
            tun_links: self.config.tun_links(),
        }
    }

    fn build(&mut self) -> Result<(), String> {
        topology::create_namespaces(&self.plan())?;
        if self.config.tun_links() {
            self.create_delay_links(self.config.link_delay.unwrap_or_default())?;
        } else {
            topology::create_veth_links(&self.plan())?;
        }
        topology::configure_addresses_and_routes(&self.plan())?;
        topology::set_link_mtus(&self.names, &self.config.link_mtus)?;
        topology::install_firewall(&self.plan())?;
        self.write_client_files()?;

        // The lab's DNS server and services answer at SCHED_FIFO like its forwarders: on a
        // loaded machine a normal-priority server answered later than the client's
        // resolver waits (timeout:1 attempts:2), and a name with an A record came back
        // with none. What is tested is netlab, never how fast the lab gets a CPU.
        let realtime = self.config.realtime_links;
        if realtime {
            // Checked once on a throwaway thread, so the runtime's threads can't fail it.
            std::thread::spawn(tun::make_realtime)
                .join()
                .map_err(|_| "the SCHED_FIFO check panicked".to_string())?
                .map_err(|e| e.to_string())?;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lab-services")
            .on_thread_start(move || {
                if realtime {
                    // Known to work: checked just above.
                    let _ = tun::make_realtime();
                }
            })
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        services::start(&runtime, &self.names.dest).map_err(|e| format!("services: {e}"))?;
        let zones = dns::Zones::new(
            (self.dest_v4().into(), self.dest_v6().into()),
            &self.hosts(),
        );
        dns::start(&runtime, &self.names.dest, &zones).map_err(|e| format!("dns: {e}"))?;
        self.runtime = Some(runtime);
        self.zones = Some(zones);

        let probe = Duration::from_millis(200) + self.config.link_delay.unwrap_or_default() * 4;
        topology::wait_ready(&self.plan(), READY_TIMEOUT, probe)?;
        for impairment in &self.config.impairments {
            impair::apply(impairment, &self.names.routers)?;
        }
        Ok(())
    }

    fn create_delay_links(&mut self, delay: Duration) -> Result<(), String> {
        let nodes: Vec<String> = self.names.nodes().into_iter().map(String::from).collect();
        // Link k joins node k and node k + 1, which is router k + 1 for k < N.
        for (link, pair) in nodes.windows(2).enumerate() {
            let left = tun::create_tun(&pair[0], "east")
                .map_err(|e| format!("tun in {}: {e}", pair[0]))?;
            let right = tun::create_tun(&pair[1], "west")
                .map_err(|e| format!("tun in {}: {e}", pair[1]))?;
            let router = link + 1;
            let mpls = self
                .config
                .mpls_routers
                .iter()
                .find(|(r, _)| *r == router)
                .map(|(_, labels)| tun::MplsResponder {
                    labels: labels.clone(),
                    layout: (self.config.extension_layouts.iter())
                        .find(|(r, _)| *r == router)
                        .map(|(_, l)| *l)
                        .unwrap_or_default(),
                    interface: (self.config.interface_infos.iter())
                        .find(|(r, _)| *r == router)
                        .map(|(_, i)| i.clone()),
                    from_v4: link_v4(link, Side::Right),
                    from_v6: link_v6(link, Side::Right),
                    own: vec![
                        link_v4(link, Side::Right).into(),
                        link_v4(link + 1, Side::Left).into(),
                        link_v6(link, Side::Right).into(),
                        link_v6(link + 1, Side::Left).into(),
                    ],
                });
            let link = tun::DelayLink::start(left, right, delay, mpls, self.config.realtime_links)
                .map_err(|e| format!("delay forwarder: {e}"))?;
            self.delay_links.push(link);
        }
        Ok(())
    }

    /// The nodes as the DNS zones name them.
    fn hosts(&self) -> Vec<dns::Host> {
        let mut hosts = vec![dns::Host {
            label: "client".into(),
            addrs: vec![self.client_v4().into(), self.client_v6().into()],
        }];
        for i in 1..=self.config.routers {
            hosts.push(dns::Host {
                label: format!("r{i}"),
                addrs: vec![
                    self.router_v4(i).into(),
                    self.router_east_v4(i).into(),
                    self.router_v6(i).into(),
                    self.router_east_v6(i).into(),
                ],
            });
        }
        hosts.push(dns::Host {
            label: "dest".into(),
            addrs: vec![self.dest_v4().into(), self.dest_v6().into()],
        });
        hosts
    }

    fn write_client_files(&self) -> Result<(), String> {
        let dir = netns::etc_dir(&self.names.client);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |file: &str, text: &str| {
            std::fs::write(dir.join(file), text).map_err(|e| format!("{file}: {e}"))
        };
        write("resolv.conf", CLIENT_RESOLV_CONF)?;
        write("hosts", &self.client_hosts_file())
    }

    /// The client's `/etc/hosts`. `hostsonly*` exist only here; `override.netlab.test`
    /// deliberately contradicts DNS (which says the destination).
    pub fn client_hosts_file(&self) -> String {
        format!(
            "127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
{} hostsonly.netlab.test hostsonly
{} hostsonly6.netlab.test hostsonly6
{} override.netlab.test override
{} override.netlab.test override
",
            self.hosts_only_v4(),
            self.hosts_only_v6(),
            self.hosts_override_v4(),
            self.hosts_override_v6()
        )
    }

    // ----- running things -----

    /// The namespace name of a node.
    pub fn ns(&self, role: Role) -> &str {
        match role {
            Role::Client => &self.names.client,
            Role::Dest => &self.names.dest,
            Role::Router(i) => {
                assert!(
                    (1..=self.config.routers).contains(&i),
                    "router {i} does not exist (lab has {})",
                    self.config.routers
                );
                &self.names.routers[i - 1]
            }
        }
    }

    /// `ip netns exec <ns> <program>`, to add arguments, env or stdin before running it
    /// with [`Lab::run`]. The client namespace sees the lab's resolv.conf and hosts.
    pub fn command(&self, role: Role, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", self.ns(role)]).arg(program);
        cmd
    }

    /// Runs `cmd` with [`COMMAND_TIMEOUT`]; a hang or a spawn error panics with what the
    /// command printed.
    pub fn run(&self, cmd: &mut Command) -> Output {
        run_or_panic(cmd, COMMAND_TIMEOUT)
    }

    /// Runs `argv` inside a node, e.g. `lab.exec(Role::Client, &["ping", "-c1", "..."])`.
    pub fn exec(&self, role: Role, argv: &[&str]) -> Output {
        let (program, args) = argv.split_first().expect("exec needs a program");
        self.run(self.command(role, program).args(args))
    }

    /// The `netlab` binary under test, run as root in the client namespace with `NO_COLOR=1`.
    pub fn netlab(&self, args: &[&str]) -> Output {
        self.run(&mut self.netlab_command(args))
    }

    /// Like [`Lab::netlab`], but with the command returned for more env or stdin.
    pub fn netlab_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(Role::Client, env!("CARGO_BIN_EXE_netlab"));
        cmd.args(args).env("NO_COLOR", "1");
        cmd
    }

    /// `netlab` in the client namespace as user `uid` (group `uid`, no supplementary groups,
    /// no capabilities), e.g. `lab.netlab_as(NOBODY, &["ping", "www"])`. The client
    /// namespace's `net.ipv4.ping_group_range` is the kernel default `1 0` (no one may open
    /// ICMP datagram sockets) until a test changes it with [`Lab::sysctl`].
    pub fn netlab_as(&self, uid: u32, args: &[&str]) -> Output {
        self.netlab_maybe_as(Some(uid), args)
    }

    /// [`Lab::netlab`] as root (`None`) or [`Lab::netlab_as`] user `uid`, for tests that
    /// run the same command both ways.
    pub fn netlab_maybe_as(&self, uid: Option<u32>, args: &[&str]) -> Output {
        self.run(&mut self.netlab_command_as(uid, args))
    }

    /// The command [`Lab::netlab_maybe_as`] runs, returned unrun (so runs can overlap).
    pub fn netlab_command_as(&self, uid: Option<u32>, args: &[&str]) -> Command {
        let Some(uid) = uid else {
            return self.netlab_command(args);
        };
        let mut cmd = self.command(Role::Client, "setpriv");
        cmd.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={uid}"))
            .args(["--clear-groups", "--inh-caps=-all", "--"])
            .arg(env!("CARGO_BIN_EXE_netlab"))
            .args(args)
            .env("NO_COLOR", "1");
        cmd
    }

    /// Starts a tcpdump witness in a node (see `capture`).
    pub fn capture(&self, role: Role, filter: &str) -> capture::Capture {
        capture::Capture::start(self, role, filter)
    }

    /// Runs `f` on a thread inside a node's namespace (to open sockets there).
    pub fn in_ns<T: Send>(&self, role: Role, f: impl FnOnce() -> T + Send) -> T {
        netns::in_ns(self.ns(role), f)
    }

    /// Sets a sysctl inside one node, e.g. `net.ipv4.ping_group_range` = `0 2147483647`.
    pub fn sysctl(&self, role: Role, key: &str, value: &str) {
        let out = self.exec(role, &["sysctl", "-q", "-w", &format!("{key}={value}")]);
        assert!(out.status.success(), "sysctl {key}={value}: {out:?}");
    }

    /// Replaces the client's resolv.conf (e.g. to point it at [`SILENT_DNS_V4`]).
    pub fn set_client_resolv_conf(&self, text: &str) {
        std::fs::write(self.client_etc_dir().join("resolv.conf"), text)
            .expect("write client resolv.conf");
    }

    /// `/etc/netns/<client>`: its files replace `/etc`'s under `ip netns exec`.
    pub fn client_etc_dir(&self) -> PathBuf {
        netns::etc_dir(&self.names.client)
    }

    // ----- facts about this lab -----

    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    pub fn routers(&self) -> usize {
        self.config.routers
    }

    /// Every namespace, client first.
    pub fn namespaces(&self) -> Vec<String> {
        self.names.nodes().into_iter().map(String::from).collect()
    }

    /// Wall time `Lab::new` took.
    pub fn build_time(&self) -> Duration {
        self.build_time
    }

    /// The text of each served zone, keyed by origin (for failure messages).
    pub fn zone_texts(&self) -> &[(String, String)] {
        &self.zones.as_ref().expect("zones exist once built").text
    }

    // ----- addresses -----

    pub fn client_v4(&self) -> Ipv4Addr {
        link_v4(0, Side::Left)
    }

    pub fn client_v6(&self) -> Ipv6Addr {
        link_v6(0, Side::Left)
    }

    /// The destination's address (on its link: 198.18.N.2, fd4e:6c61:62:N::2).
    pub fn dest_v4(&self) -> Ipv4Addr {
        link_v4(self.config.routers, Side::Right)
    }

    pub fn dest_v6(&self) -> Ipv6Addr {
        link_v6(self.config.routers, Side::Right)
    }

    /// Router `i`'s (1-based) client-facing address: the one its ICMP errors to the client
    /// come from, so the one a trace shows at hop `i`.
    pub fn router_v4(&self, i: usize) -> Ipv4Addr {
        self.check_router(i);
        link_v4(i - 1, Side::Right)
    }

    pub fn router_v6(&self, i: usize) -> Ipv6Addr {
        self.check_router(i);
        link_v6(i - 1, Side::Right)
    }

    /// Router `i`'s destination-facing address.
    pub fn router_east_v4(&self, i: usize) -> Ipv4Addr {
        self.check_router(i);
        link_v4(i, Side::Left)
    }

    pub fn router_east_v6(&self, i: usize) -> Ipv6Addr {
        self.check_router(i);
        link_v6(i, Side::Left)
    }

    fn check_router(&self, i: usize) {
        assert!(
            (1..=self.config.routers).contains(&i),
            "router {i} does not exist (lab has {})",
            self.config.routers
        );
    }

    /// The hop `i` (1-based) a trace to the destination shows; hop N+1 is the destination.
    pub fn hop_v4(&self, i: usize) -> Ipv4Addr {
        link_v4(i - 1, Side::Right)
    }

    pub fn hop_v6(&self, i: usize) -> Ipv6Addr {
        link_v6(i - 1, Side::Right)
    }

    pub fn dns_v4(&self) -> Ipv4Addr {
        topology::DNS_V4
    }

    pub fn dns_v6(&self) -> Ipv6Addr {
        topology::DNS_V6
    }

    /// A DNS address whose packets the destination drops: queries to it time out.
    pub fn silent_dns_v4(&self) -> Ipv4Addr {
        SILENT_DNS_V4
    }

    pub fn silent_dns_v6(&self) -> Ipv6Addr {
        SILENT_DNS_V6
    }

    pub fn unreachable_v4(&self) -> Ipv4Addr {
        UNREACHABLE_V4
    }

    pub fn unreachable_v6(&self) -> Ipv6Addr {
        UNREACHABLE_V6
    }

    pub fn prohibited_v4(&self) -> Ipv4Addr {
        PROHIBITED_V4
    }

    pub fn prohibited_v6(&self) -> Ipv6Addr {
        PROHIBITED_V6
    }

    /// Where the ICMP errors for [`UNREACHABLE_V4`]/[`PROHIBITED_V4`] come from: the last
    /// router's client-facing address (the destination's when there are no routers).
    pub fn unreachable_reporter_v4(&self) -> Ipv4Addr {
        link_v4(self.plan().reporter_node() - 1, Side::Right)
    }

    pub fn unreachable_reporter_v6(&self) -> Ipv6Addr {
        link_v6(self.plan().reporter_node() - 1, Side::Right)
    }

    /// The A records of `multi.netlab.test`, all answering on the destination.
    pub fn multi_v4(&self) -> [Ipv4Addr; 3] {
        MULTI_V4
    }

    /// `hostsonly.netlab.test` in the client's hosts file (DNS has no such name).
    pub fn hosts_only_v4(&self) -> Ipv4Addr {
        self.dest_v4()
    }

    /// `hostsonly6.netlab.test` in the client's hosts file (DNS has no such name).
    pub fn hosts_only_v6(&self) -> Ipv6Addr {
        self.dest_v6()
    }

    /// `override.netlab.test` in the client's hosts file: router 1 (the client itself when
    /// there are no routers), while DNS says [`Lab::dest_v4`].
    pub fn hosts_override_v4(&self) -> Ipv4Addr {
        if self.config.routers == 0 {
            self.client_v4()
        } else {
            self.router_v4(1)
        }
    }

    /// `override.netlab.test`'s IPv6 address in the client's hosts file (both families are
    /// there: glibc asks DNS for a family the hosts file lacks), while DNS says
    /// [`Lab::dest_v6`].
    pub fn hosts_override_v6(&self) -> Ipv6Addr {
        if self.config.routers == 0 {
            self.client_v6()
        } else {
            self.router_v6(1)
        }
    }

    /// Any address of the lab by role, for tests that iterate.
    pub fn addr(&self, role: Role, v6: bool) -> IpAddr {
        match (role, v6) {
            (Role::Client, false) => self.client_v4().into(),
            (Role::Client, true) => self.client_v6().into(),
            (Role::Router(i), false) => self.router_v4(i).into(),
            (Role::Router(i), true) => self.router_v6(i).into(),
            (Role::Dest, false) => self.dest_v4().into(),
            (Role::Dest, true) => self.dest_v6().into(),
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Services first (their sockets hold the destination namespace), then the TUN
        // forwarders (closing a TUN fd removes its device), then the namespaces.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        self.delay_links.clear();
        for ns in self.names.nodes() {
            netns::delete_namespace(ns);
        }
    }
}

/// [`run_bounded`] for tests: a timeout or spawn error panics with the captured output.
pub fn run_or_panic(cmd: &mut Command, timeout: Duration) -> Output {
    let shown = format!("{cmd:?}");
    match run_bounded(cmd, timeout) {
        Ok(out) => out,
        Err(e) => panic!("{shown}: {e}"),
    }
}
