//! The driver: the only part of trace that waits, reads clocks and touches sockets.
//!
//! One thread, one loop: send what the engine's window allows (taking the send time
//! right before `sendto`/`connect`), then `poll(2)` until a socket has something, the
//! engine's next deadline, or a pending reverse name's deadline. Everything read is
//! matched by `probe.rs` and handed to the engine with the kernel's receive timestamp
//! (`SO_TIMESTAMPNS`, error queue and raw sockets alike), so wake-up and parsing time
//! never enter an RTT. The exception is unprivileged TCP: a SYN-ACK or RST is only seen
//! as the socket's state change, timed when `poll` returns (with `CAP_NET_RAW` the raw
//! TCP socket reads them, kernel-timestamped like the rest).
//!
//! The loop does not print: events go to an [`Observer`] (the command's live rows are
//! one; `check` passes one that only collects) and the hops come back as a
//! [`TraceOutcome`].

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::engine::{Config, Ending, Engine, Event, Hop, Probe, ProbeId, Reply, Response, Wire};
use super::options::ProbeOptions;
use super::pmtu::PathMtu;
use super::probe::{
    classify, icmp_payload, tcp_sequence, udp_payload_for, Matcher, Method, PAYLOAD_LEN,
};
use super::rounds::{Machine, Round, RoundEvent, Rounds, RoundsConfig};
use super::stats::Stats;
use super::{Plan, Resolved, FLOOR};
use crate::error::{short_os_error, Failure};
use crate::net::errqueue::QueuedError;
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::net::options::{path_mtu, SocketOptions};
use crate::net::privilege;
use crate::net::probe::{self as netprobe, TcpProbeSocket, UdpProbeSocket, Want};
use crate::net::raw_tcp::RawTcpSocket;
use crate::packet::icmp::{error_kind, write_echo_request};
use crate::packet::transport::write_tcp_syn;

const BUF_LEN: usize = 65_536 + 60;

/// The socket that sends probes.
enum Main {
    Icmp(IcmpSocket),
    Udp(UdpProbeSocket),
    /// One socket per probe, opened as the probe is sent (no CAP_NET_RAW).
    Tcp,
    /// SYNs from one source port on a raw TCP socket (CAP_NET_RAW); their ICMP errors
    /// come to the raw ICMP listener, which this method always has.
    RawTcp(RawTcpSocket),
}

/// The sockets of a trace, opened before capabilities are dropped (they are per thread:
/// drop them before starting any thread that traces).
pub struct Sockets {
    main: Main,
    /// A raw ICMP socket beside UDP and TCP probes (with CAP_NET_RAW): it sees whole ICMP
    /// messages, so MPLS labels, and quotes the error queue does not return.
    raw: Option<IcmpSocket>,
    src: IpAddr,
    /// `--interface`, `-t`, `-F` for the per-probe TCP sockets (the others have them).
    options: SocketOptions,
}

impl Sockets {
    /// What `plan`'s method needs to trace to `target`, with the raw ICMP listener when
    /// CAP_NET_RAW is held.
    pub fn open(plan: &Plan, target: &Resolved) -> Result<Sockets, Failure> {
        let version = Version::of(&target.addr());
        let opts = &plan.probe;
        opts.check_family(target.addr())?;
        let src = match opts.source {
            Some(src) => src,
            None => netprobe::source_address(target.sockaddr)
                .map_err(|e| Failure::new(format!("finding a route to {}", target.addr()), e))?,
        };
        let main = match plan.method {
            Method::Icmp => {
                let ident = u16::from_be_bytes(icmp::random_bytes::<2>());
                let socket = privilege::open_icmp_socket_with(
                    version,
                    ident,
                    "opening an ICMP socket",
                    opts.source,
                    &opts.socket,
                )
                .map_err(|mut failure| {
                    // Only the missing-privilege error has a hint to extend.
                    failure.hint = failure.hint.map(|h| {
                        format!("{h}; or trace with UDP (the default, no -I), which needs neither")
                    });
                    failure
                })?;
                Main::Icmp(socket)
            }
            Method::Udp => {
                let scope = match target.sockaddr {
                    std::net::SocketAddr::V6(a) => a.scope_id(),
                    _ => 0,
                };
                let socket = UdpProbeSocket::open(src, scope).map_err(|e| {
                    privilege::source_refused("opening the UDP probe socket", opts.source, e)
                })?;
                socket
                    .apply(&opts.socket)
                    .map_err(|r| privilege::option_refused(&r))?;
                Main::Udp(socket)
            }
            Method::Tcp => Main::Tcp,
        };
        let raw = match main {
            Main::Icmp(_) => None,
            _ if privilege::has_cap_net_raw() => IcmpSocket::open(version, Mode::Raw, 0).ok(),
            _ => None,
        };
        let main = match main {
            // With the raw ICMP listener (so CAP_NET_RAW), TCP probes become SYNs from one
            // source port; should the raw TCP socket fail anyway, connect() still works.
            Main::Tcp if raw.is_some() => {
                let scope = match target.sockaddr {
                    std::net::SocketAddr::V6(a) => a.scope_id(),
                    _ => 0,
                };
                match RawTcpSocket::open(src, scope) {
                    Ok(socket) => {
                        socket
                            .apply(&opts.socket)
                            .map_err(|r| privilege::option_refused(&r))?;
                        Main::RawTcp(socket)
                    }
                    Err(_) => Main::Tcp,
                }
            }
            other => other,
        };
        Ok(Sockets {
            main,
            raw,
            src,
            options: opts.socket.clone(),
        })
    }

    /// The same sockets without the raw ICMP listener: what a trace sees from the error
    /// queue alone, as any user's would (so TCP goes back to one `connect()` per probe).
    pub fn without_raw_listener(self) -> Sockets {
        let main = match self.main {
            Main::RawTcp(_) => Main::Tcp,
            other => other,
        };
        Sockets {
            main,
            raw: None,
            ..self
        }
    }

    /// Whether whole ICMP messages, so their extensions, are read: by a raw listener, or
    /// by raw ICMP probes reading their own answers (`-I` with `CAP_NET_RAW`).
    pub fn sees_extensions(&self) -> bool {
        self.raw.is_some() || matches!(&self.main, Main::Icmp(s) if s.mode() == Mode::Raw)
    }

    /// The address the probes leave from.
    pub fn source(&self) -> IpAddr {
        self.src
    }

    /// Whether every probe is in one flow: all methods but TCP without the raw socket,
    /// where each probe is its own `connect()` from its own port.
    pub fn one_flow(&self) -> bool {
        !matches!(self.main, Main::Tcp)
    }
}

/// Sees a trace as it happens. Every method has a default that does nothing.
pub trait Observer {
    /// An engine event: a hop settled (in TTL order), a late answer, the end.
    fn event(&mut self, _event: Event) {}
    /// `--mtu`: the largest packet length hop `ttl` answered to, told right before the
    /// hop's [`Event::Hop`].
    fn path_mtu(&mut self, _ttl: u8, _mtu: u32) {}
    /// `--back`: how many hops hop `ttl`'s answer came back over (guessed from its TTL),
    /// told right before the hop's [`Event::Hop`].
    fn back_hops(&mut self, _ttl: u8, _hops: u8) {}
    /// An address answered a probe (its hop may not be settled yet).
    fn saw(&mut self, _from: IpAddr) {}
    /// Time passes: show what is ready.
    fn flush(&mut self, _now: Instant) {}
    /// Nothing is held back any more: the trace may end once the engine is done.
    fn is_flushed(&self) -> bool {
        true
    }
    /// When the observer wants [`Observer::flush`] again.
    fn next_wakeup(&self) -> Option<Instant> {
        None
    }
}

/// An observer that only lets the outcome collect.
impl Observer for () {}

/// What a trace found.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceOutcome {
    /// Every hop probed, in TTL order.
    pub hops: Vec<Hop>,
    pub ending: Ending,
}

struct TcpProbe {
    socket: TcpProbeSocket,
    ttl: u8,
}

struct Driver<'a> {
    target: &'a Resolved,
    sockets: Sockets,
    matcher: Matcher,
    token: [u8; 8],
    tcp: HashMap<ProbeId, TcpProbe>,
    tcp_ports: HashMap<u16, ProbeId>,
    packet: Vec<u8>,
    rx: Vec<u8>,
    /// Probe data bytes (UDP payload, ICMP echo data): the identity, then zeros up to
    /// the packet length asked for.
    data_len: usize,
    /// `--mtu`: the sizes, and which answers mean "send again smaller".
    pmtu: Option<PathMtu>,
    /// The TTL each answer read since the last wake-up arrived with (`--back`).
    reply_ttls: Vec<(ProbeId, u8)>,
    /// `--back`: whether to keep them, and the TTL of each hop's first answer until the
    /// hop is settled.
    back: bool,
    back_ttl: HashMap<u8, u8>,
}

/// Traces to `target` as `plan` asks (method, port, TTLs, queries, wait; its output
/// settings are not used) through `sockets` (capabilities dropped since), telling
/// `observer` what happens. The one driver of every trace netlab runs. It stops early,
/// with what it has, once [`netprobe::interrupted`] says so (after the caller's
/// [`netprobe::catch_interrupts`]).
pub fn run<O: Observer>(
    plan: &Plan,
    target: &Resolved,
    sockets: Sockets,
    observer: &mut O,
) -> Result<TraceOutcome, Failure> {
    let (mut driver, config) = Driver::new(plan, target, sockets)?;
    let mut engine = Engine::new(config);
    let mut single = Single {
        observer,
        hops: Vec::new(),
        ending: None,
    };
    drive(&mut engine, &mut driver, &mut single)?;
    Ok(TraceOutcome {
        hops: single.hops,
        ending: single.ending.unwrap_or(Ending::Stopped),
    })
}

/// What the loop does with a machine's output: a single trace's observer, or rounds'.
trait Consumer<M> {
    /// Takes the machine's events; true once everything is shown and the loop may end
    /// (when the machine is finished too).
    fn drain(&mut self, machine: &mut M, driver: &mut Driver, now: Instant) -> bool;
    fn saw(&mut self, from: IpAddr);
    fn next_wakeup(&self) -> Option<Instant>;
}

struct Single<'o, O> {
    observer: &'o mut O,
    hops: Vec<Hop>,
    ending: Option<Ending>,
}

impl<O: Observer> Consumer<Engine> for Single<'_, O> {
    fn drain(&mut self, engine: &mut Engine, driver: &mut Driver, now: Instant) -> bool {
        while let Some(event) = engine.poll_event() {
            match &event {
                Event::Hop(hop) => {
                    driver.forget_tcp(hop.ttl);
                    let (mtu, back) = driver.settled(hop.ttl);
                    if let Some(mtu) = mtu {
                        self.observer.path_mtu(hop.ttl, mtu);
                    }
                    if let Some(back) = back {
                        self.observer.back_hops(hop.ttl, back);
                    }
                    self.hops.push(hop.clone());
                }
                Event::Done(end) => self.ending = Some(*end),
                Event::Late { .. } => {}
            }
            self.observer.event(event);
        }
        self.observer.flush(now);
        self.observer.is_flushed()
    }

    fn saw(&mut self, from: IpAddr) {
        self.observer.saw(from);
    }

    fn next_wakeup(&self) -> Option<Instant> {
        self.observer.next_wakeup()
    }
}

/// The loop: send what the machine allows, let time pass, hand over what arrived.
fn drive<M: Machine, C: Consumer<M>>(
    machine: &mut M,
    driver: &mut Driver,
    consumer: &mut C,
) -> Result<(), Failure> {
    loop {
        if netprobe::interrupted() {
            machine.stop();
        }
        while let Some(probe) = machine.poll_probe() {
            driver.send(machine, &probe);
        }
        machine.advance(Instant::now());
        let flushed = consumer.drain(machine, driver, Instant::now());
        if machine.is_finished() && flushed {
            return Ok(());
        }
        let now = Instant::now();
        let wake = [machine.next_wakeup(), consumer.next_wakeup()]
            .into_iter()
            .flatten()
            .min();
        let timeout = wake
            .map(|w| w.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(200))
            .min(Duration::from_millis(200));
        let responses = driver
            .wait(timeout)
            .map_err(|e| Failure::new("waiting for answers", e))?;
        for response in &responses {
            consumer.saw(response.from);
        }
        driver.note_reply_ttls(machine);
        let responses = driver.path_mtu_sort(machine, responses);
        // One batch: the raw copy of an answer is read in the same wake-up as its error
        // queue copy (see `wait`), and must be merged before the hop is emitted.
        machine.on_responses(responses);
    }
}

/// Sees rounds as they happen (`trace -c`, `--watch`, a live view). Every method has a
/// default that does nothing.
pub trait RoundObserver {
    /// A hop of the round in flight is settled (hop order): for live progress.
    fn hop(&mut self, _round: u64, _flow: u16, _hop: &Hop) {}
    /// A round is over and recorded in `stats` (a snapshot now includes it).
    fn round(&mut self, _round: &Round, _stats: &Stats) {}
    /// An address answered (start looking up its name).
    fn saw(&mut self, _from: IpAddr) {}
    /// Called on every turn of the loop, at least every 200 ms and at
    /// [`RoundObserver::next_wakeup`]: keys, redraws. Its answer steers the rounds.
    fn tick(&mut self, _now: Instant, _stats: &Stats) -> Control {
        Control::Continue
    }
    /// When the observer wants [`RoundObserver::tick`] again.
    fn next_wakeup(&self) -> Option<Instant> {
        None
    }
}

/// What a [`RoundObserver`] asks of the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Start no new round (the one in flight finishes and is recorded).
    Pause,
    Resume,
    /// Forget the statistics and events so far (rounds go on).
    Reset,
    /// End now, as Ctrl-C does (the round in flight is dropped).
    Stop,
}

/// Runs `rounds` rounds (`None`: until stopped) of `plan`'s trace, `interval` apart,
/// recording each in the statistics it returns and telling `observer`. Ends on the
/// count, [`Control::Stop`], SIGINT or SIGTERM (after [`netprobe::catch_interrupts`]).
pub fn run_rounds<O: RoundObserver>(
    plan: &Plan,
    target: &Resolved,
    sockets: Sockets,
    rounds: Option<u64>,
    interval: Duration,
    observer: &mut O,
) -> Result<Stats, Failure> {
    run_flow_rounds(plan, target, sockets, 0, rounds, interval, observer)
}

/// [`run_rounds`] for flow number `flow` of `--flows` (its sockets are its own, so
/// its flow identifiers differ from every other flow's; rounds carry the number).
pub fn run_flow_rounds<O: RoundObserver>(
    plan: &Plan,
    target: &Resolved,
    sockets: Sockets,
    flow: u16,
    rounds: Option<u64>,
    interval: Duration,
    observer: &mut O,
) -> Result<Stats, Failure> {
    let (mut driver, engine) = Driver::new(plan, target, sockets)?;
    let mut machine = Rounds::new(RoundsConfig {
        engine,
        rounds,
        interval,
        flow,
    });
    let mut consumer = RoundsConsumer {
        observer,
        stats: Stats::default(),
    };
    drive(&mut machine, &mut driver, &mut consumer)?;
    Ok(consumer.stats)
}

struct RoundsConsumer<'o, O> {
    observer: &'o mut O,
    stats: Stats,
}

impl<O: RoundObserver> Consumer<Rounds> for RoundsConsumer<'_, O> {
    fn drain(&mut self, rounds: &mut Rounds, driver: &mut Driver, now: Instant) -> bool {
        while let Some(event) = rounds.poll_event() {
            match event {
                RoundEvent::Hop { round, flow, hop } => {
                    driver.forget_tcp(hop.ttl);
                    // --mtu and --back are shown by a single trace only (the plan refuses
                    // them with rounds); forgetting keeps the driver's memory flat.
                    driver.settled(hop.ttl);
                    self.observer.hop(round, flow, &hop);
                }
                RoundEvent::Round(round) => {
                    driver.forget_tcp(u8::MAX);
                    self.stats.record(&round);
                    self.observer.round(&round, &self.stats);
                }
                RoundEvent::Done => driver.forget_tcp(u8::MAX),
            }
        }
        match self.observer.tick(now, &self.stats) {
            Control::Continue => {}
            Control::Pause => rounds.pause(),
            Control::Resume => rounds.resume(),
            Control::Reset => self.stats.reset(),
            Control::Stop => rounds.stop(),
        }
        true
    }

    fn saw(&mut self, from: IpAddr) {
        self.observer.saw(from);
    }

    fn next_wakeup(&self) -> Option<Instant> {
        self.observer.next_wakeup()
    }
}

impl<'a> Driver<'a> {
    /// The driver of `plan`'s probes to `target`, and the engine configuration that goes
    /// with it (a fresh token and probe ids for this run).
    fn new(
        plan: &Plan,
        target: &'a Resolved,
        sockets: Sockets,
    ) -> Result<(Driver<'a>, Config), Failure> {
        let version = Version::of(&target.addr());
        let mut data_len = plan.probe.data_len(version)?;
        let pmtu = match plan.probe.mtu {
            false => None,
            true => {
                let headers = ProbeOptions::headers(version);
                // The first link's MTU, not the kernel's cached path MTU (an earlier run's
                // answer): the trace must find every drop itself.
                let device = plan
                    .probe
                    .socket
                    .device
                    .clone()
                    .or_else(|| crate::net::iface::name_of_address(sockets.src));
                let start = match (plan.probe.packet_len, device) {
                    (Some(len), _) => Ok(len),
                    (None, Some(name)) => crate::net::iface::mtu_of(&name),
                    (None, None) => path_mtu(target.sockaddr, Some(sockets.src), None),
                }
                .map_err(|e| {
                    Failure::new(format!("reading the MTU toward {}", target.addr()), e)
                })?;
                let pmtu = PathMtu::new(start, headers as u32, PAYLOAD_LEN as u32);
                data_len = pmtu.data_len();
                Some(pmtu)
            }
        };
        let token = icmp::random_bytes::<8>();
        // Ids stay within 1..=0xfffe (UDP checksums): at most 255 × 10 probes from here.
        let seq_base = 1 + u16::from_be_bytes(icmp::random_bytes::<2>()) % 0xf000;
        let ident = match &sockets.main {
            Main::Icmp(s) => s.ident(),
            Main::Udp(s) => s.local().port(),
            Main::Tcp => 0,
            Main::RawTcp(s) => s.local().port(),
        };
        let matcher = Matcher {
            method: plan.method,
            version,
            target: target.addr(),
            token,
            ident,
            dport: plan.port,
        };
        let config = Config {
            first_ttl: plan.first_ttl,
            max_ttl: plan.max_ttl,
            queries: plan.queries,
            max_wait: plan.wait,
            floor: FLOOR,
            window: plan.probe.window(),
            seq_base,
        };
        let driver = Driver {
            target,
            sockets,
            matcher,
            token,
            tcp: HashMap::new(),
            tcp_ports: HashMap::new(),
            packet: vec![0u8; 512.max(data_len + 64)],
            rx: vec![0u8; BUF_LEN],
            data_len,
            pmtu,
            reply_ttls: Vec::new(),
            back: plan.probe.back,
            back_ttl: HashMap::new(),
        };
        Ok((driver, config))
    }

    /// Hop `ttl` is settled: what `--mtu` and `--back` learnt of it (the largest packet
    /// it answered to, the hops its answer came back over), forgotten from here on.
    fn settled(&mut self, ttl: u8) -> (Option<u32>, Option<u8>) {
        let mtu = self.pmtu.as_mut().and_then(|pmtu| {
            let mtu = pmtu.hop_mtu(ttl);
            pmtu.forget(ttl);
            mtu
        });
        let back = self.back_ttl.remove(&ttl).map(ProbeOptions::back_hops);
        (mtu, back)
    }

    /// `--back`: keeps the TTL of each hop's first answer (read since the last wake-up)
    /// until the hop is settled.
    fn note_reply_ttls<M: Machine>(&mut self, machine: &M) {
        for (id, ttl) in std::mem::take(&mut self.reply_ttls) {
            if let (true, Some(hop)) = (self.back, machine.probe_ttl(id)) {
                self.back_ttl.entry(hop).or_insert(ttl);
            }
        }
    }

    /// `--mtu`: "too big" answers become the same probes sent again smaller; the rest
    /// goes to the machine.
    fn path_mtu_sort<M: Machine>(
        &mut self,
        machine: &mut M,
        responses: Vec<Response>,
    ) -> Vec<Response> {
        let Some(pmtu) = &mut self.pmtu else {
            return responses;
        };
        let (dst, source) = (self.target.sockaddr, self.sockets.src);
        let device = self.sockets.options.device.clone();
        let sorted = pmtu.sort(responses, || {
            path_mtu(dst, Some(source), device.as_deref()).ok()
        });
        self.data_len = pmtu.data_len();
        for probe in &sorted.resend {
            self.send(machine, probe);
        }
        sorted.responses
    }

    fn send<M: Machine>(&mut self, engine: &mut M, probe: &Probe) {
        if let Some(pmtu) = &mut self.pmtu {
            pmtu.sent(probe, Instant::now());
        }
        let dst = self.target.sockaddr;
        let result = match &self.sockets.main {
            Main::Icmp(socket) => {
                let mut payload = icmp_payload(&self.token, socket.ident(), probe.id).to_vec();
                payload.resize(self.data_len, 0);
                let version = socket.version();
                match write_echo_request(
                    &mut self.packet,
                    version,
                    socket.ident(),
                    probe.id.0,
                    &payload,
                ) {
                    Ok(len) => socket.set_ttl(probe.ttl).and_then(|()| {
                        let at = Instant::now();
                        socket.send_to(&self.packet[..len], dst).map(|_| at)
                    }),
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                }
            }
            Main::Udp(socket) => {
                let local = socket.local();
                let mut payload = udp_payload_for(
                    &self.token,
                    probe.id,
                    local.ip(),
                    dst.ip(),
                    local.port(),
                    dst.port(),
                    self.data_len,
                )
                .to_vec();
                payload.resize(self.data_len, 0);
                let at = Instant::now();
                socket.send(probe.ttl, &payload, dst).map(|()| at)
            }
            Main::RawTcp(socket) => {
                let local = socket.local();
                let seq = tcp_sequence(&self.token, probe.id);
                match write_tcp_syn(
                    &mut self.packet,
                    local.ip(),
                    dst.ip(),
                    local.port(),
                    dst.port(),
                    seq,
                ) {
                    Ok(len) => {
                        let at = Instant::now();
                        socket
                            .send(probe.ttl, &self.packet[..len], dst)
                            .map(|()| at)
                    }
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                }
            }
            Main::Tcp => {
                let at = Instant::now();
                TcpProbeSocket::connect_with(
                    self.sockets.src,
                    dst,
                    probe.ttl,
                    &self.sockets.options,
                )
                .map(|socket| {
                    self.tcp_ports.insert(socket.local_port(), probe.id);
                    self.tcp.insert(
                        probe.id,
                        TcpProbe {
                            socket,
                            ttl: probe.ttl,
                        },
                    );
                    at
                })
            }
        };
        match result {
            Ok(at) => engine.sent(probe, at),
            Err(e) => engine.send_failed(probe, short_os_error(&e)),
        }
    }

    /// A hop is printed: its TCP sockets can go.
    fn forget_tcp(&mut self, ttl: u8) {
        let ids: Vec<ProbeId> = self
            .tcp
            .iter()
            .filter(|(_, p)| p.ttl <= ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(p) = self.tcp.remove(&id) {
                self.tcp_ports.remove(&p.socket.local_port());
            }
        }
    }

    /// Waits up to `timeout` and returns what arrived, matched to probes.
    fn wait(&mut self, timeout: Duration) -> std::io::Result<Vec<Response>> {
        let mut fds = Vec::new();
        match &self.sockets.main {
            Main::Icmp(s) => fds.push((s.as_raw_fd(), Want::Read)),
            Main::Udp(s) => fds.push((s.as_raw_fd(), Want::Read)),
            Main::RawTcp(s) => fds.push((s.as_raw_fd(), Want::Read)),
            Main::Tcp => {}
        }
        if let Some(raw) = &self.sockets.raw {
            fds.push((raw.as_raw_fd(), Want::Read));
        }
        let tcp_ids: Vec<ProbeId> = self.tcp.keys().copied().collect();
        for id in &tcp_ids {
            fds.push((self.tcp[id].socket.as_raw_fd(), Want::Write));
        }
        let ready = if fds.is_empty() {
            std::thread::sleep(timeout);
            Vec::new()
        } else {
            netprobe::poll(&fds, timeout)?
        };
        let woke = Instant::now();
        let mut out = Vec::new();
        let mut index = 0;
        let mut next_ready = || {
            let r = ready.get(index).copied().unwrap_or(false);
            index += 1;
            r
        };
        // The error queue before the raw listener: the kernel hands an ICMP error to raw
        // sockets before its protocol handler queues it on the probe socket, so the raw
        // copy of every queued error read here is already waiting when the raw listener
        // is drained below, and both copies reach the engine in one batch.
        if !matches!(self.sockets.main, Main::Tcp) && next_ready() {
            self.drain_main(&mut out);
        }
        if self.sockets.raw.is_some() && next_ready() {
            self.drain_raw(&mut out);
        }
        for id in tcp_ids {
            if next_ready() {
                self.tcp_outcome(id, woke, &mut out);
            }
        }
        Ok(out)
    }

    fn drain_main(&mut self, out: &mut Vec<Response>) {
        let no_tcp = |_| None;
        match &self.sockets.main {
            Main::Udp(socket) => {
                drain_queue(
                    &self.matcher,
                    &mut self.rx,
                    out,
                    &mut self.reply_ttls,
                    |buf| socket.recv_error(buf),
                );
                // A service on the probe port answering: nothing to match; discard.
                for _ in 0..4096 {
                    if socket.discard().is_err() {
                        break;
                    }
                }
            }
            Main::Icmp(socket) => {
                if socket.mode() == Mode::Datagram {
                    drain_queue(
                        &self.matcher,
                        &mut self.rx,
                        out,
                        &mut self.reply_ttls,
                        |buf| socket.recv_error(buf),
                    );
                }
                let matcher = &self.matcher;
                let ttls = &mut self.reply_ttls;
                icmp::drain_icmp(socket, &mut self.rx, |bytes, rx| {
                    let response = match socket.mode() {
                        Mode::Raw => matcher.raw_icmp(bytes, rx.from, rx.at, &no_tcp),
                        Mode::Datagram => matcher.icmp_message(bytes, rx.from, rx.at, &no_tcp),
                    };
                    if let Some(mut response) = response {
                        let raw_v4 = socket.mode() == Mode::Raw && socket.version() == Version::V4;
                        if let Some(ttl) = arrival_ttl(raw_v4, bytes, rx.ttl) {
                            ttls.push((response.probe, ttl));
                            response.wire.ttl = Some(ttl);
                        }
                        out.push(response);
                    }
                });
            }
            Main::RawTcp(socket) => {
                for _ in 0..4096 {
                    match socket.recv(&mut self.rx) {
                        Ok(rx) => {
                            let bytes = &self.rx[..rx.len];
                            if let Some(mut response) = self.matcher.raw_tcp(bytes, rx.from, rx.at)
                            {
                                let v4 = self.matcher.version == Version::V4;
                                if let Some(ttl) = arrival_ttl(v4, bytes, rx.ttl) {
                                    self.reply_ttls.push((response.probe, ttl));
                                    response.wire.ttl = Some(ttl);
                                }
                                out.push(response);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            }
            Main::Tcp => {}
        }
    }

    fn drain_raw(&mut self, out: &mut Vec<Response>) {
        let Some(raw) = &self.sockets.raw else {
            return;
        };
        let ports = &self.tcp_ports;
        let lookup = |port: u16| ports.get(&port).copied();
        for _ in 0..4096 {
            match raw.recv(&mut self.rx) {
                Ok(rx) => {
                    let bytes = &self.rx[..rx.len];
                    if let Some(mut response) =
                        self.matcher.raw_icmp(bytes, rx.from, rx.at, &lookup)
                    {
                        let v4 = raw.version() == Version::V4;
                        if let Some(ttl) = arrival_ttl(v4, bytes, rx.ttl) {
                            self.reply_ttls.push((response.probe, ttl));
                            response.wire.ttl = Some(ttl);
                        }
                        out.push(response);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    /// A TCP probe's socket is ready: an ICMP error (queued), a SYN-ACK (connected) or a
    /// RST (refused).
    fn tcp_outcome(&mut self, id: ProbeId, woke: Instant, out: &mut Vec<Response>) {
        let Some(probe) = self.tcp.remove(&id) else {
            return;
        };
        self.tcp_ports.remove(&probe.socket.local_port());
        let version = self.matcher.version;
        let mut queued = false;
        for _ in 0..16 {
            match probe.socket.recv_error(&mut self.rx) {
                Ok(err) if !err.local => {
                    let (Some(kind), Some(from)) = (
                        error_kind(version, err.icmp_type, err.icmp_code),
                        err.offender,
                    ) else {
                        continue;
                    };
                    queued = true;
                    if let Some(ttl) = err.ttl {
                        self.reply_ttls.push((id, ttl));
                    }
                    out.push(Response {
                        probe: id,
                        from,
                        reply: classify(Method::Tcp, kind),
                        at: err.at,
                        mpls: Vec::new(),
                        objects: Vec::new(),
                        wire: Wire {
                            ttl: err.ttl,
                            ..Wire::default()
                        },
                    });
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if queued {
            return;
        }
        let reached = match probe.socket.outcome() {
            Ok(None) => true,
            Ok(Some(e)) => e.raw_os_error() == Some(libc::ECONNREFUSED),
            Err(_) => false,
        };
        if reached {
            out.push(Response {
                probe: id,
                from: self.target.addr(),
                reply: Reply::Reached,
                at: woke,
                mpls: Vec::new(),
                objects: Vec::new(),
                // A connect() outcome: no packet to look at.
                wire: Wire::default(),
            });
        }
        // Otherwise a local error (no route, ...): the socket is done; the engine gives
        // the probe up at its deadline.
    }
}

/// Reads a socket's error queue (`recv_error`) into matched responses.
fn drain_queue(
    matcher: &Matcher,
    rx: &mut [u8],
    out: &mut Vec<Response>,
    ttls: &mut Vec<(ProbeId, u8)>,
    recv_error: impl Fn(&mut [u8]) -> std::io::Result<QueuedError>,
) {
    for _ in 0..4096 {
        match recv_error(rx) {
            Ok(err) if !err.local => {
                let response = matcher.queued_error(
                    &rx[..err.len],
                    err.dst,
                    err.offender,
                    err.icmp_type,
                    err.icmp_code,
                    err.at,
                );
                if let Some(mut response) = response {
                    if let Some(ttl) = err.ttl {
                        ttls.push((response.probe, ttl));
                        response.wire.ttl = Some(ttl);
                    }
                    out.push(response);
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// The TTL / hop limit an answer arrived with: from its IPv4 header on a raw IPv4 socket
/// (`bytes` start with it), from the control message otherwise.
fn arrival_ttl(ipv4_header: bool, bytes: &[u8], cmsg: Option<u8>) -> Option<u8> {
    if ipv4_header {
        crate::packet::ipv4::Ipv4::parse(bytes)
            .ok()
            .map(|ip| ip.ttl())
    } else {
        cmsg
    }
}
