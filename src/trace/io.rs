//! The driver's loop: the only part of trace that waits and reads clocks.
//!
//! One thread, one loop: send what the engine's window allows, then wait on the
//! [`Network`] until it has answers, the engine's next deadline, or the observer's (a
//! pending reverse name, a redraw); hand what arrived to the engine in one batch. The
//! loop sees probes and matched answers only: opening the sockets with the privilege
//! choice is `io/sockets.rs`, sending and reading on them `io/wire.rs`, and the tests of
//! the loop run it on a fake network (`io/tests.rs`). That seam is trippy's `Network`
//! trait: a port to another system implements it once, and the engines never change.
//!
//! The loop does not print: events go to an [`Observer`] (the command's live rows are
//! one; `check` passes one that only collects) and the hops come back as a
//! [`TraceOutcome`].

mod sockets;
mod wire;

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::engine::{Config, Ending, Engine, Event, Hop, Probe, Response};
use super::options::ProbeOptions;
use super::pmtu::PathMtu;
use super::probe::{Matcher, PAYLOAD_LEN};
use super::rounds::{Machine, Round, RoundEvent, Rounds, RoundsConfig};
use super::stats::Stats;
use super::{Plan, Resolved, FLOOR};
use crate::error::Failure;
use crate::net::icmp::{self, Version};
use crate::net::options::path_mtu;
use crate::net::probe as netprobe;

pub use sockets::Sockets;

/// What the loop needs of the network: send a probe, wait for answers. The one real
/// implementation is `wire::Wired` (the sockets of [`Sockets`]); tests use a fake.
trait Network {
    /// Sends `probe` with `data_len` bytes of probe data; returns the send time, taken
    /// right before the packet left.
    fn send(&mut self, probe: &Probe, data_len: usize) -> io::Result<Instant>;
    /// Waits up to `timeout` and returns what arrived, matched to probes, each with its
    /// receive time (and in [`super::engine::Wire::ttl`] the TTL it arrived with).
    fn wait(&mut self, timeout: Duration) -> io::Result<Vec<Response>>;
    /// Hops up to `ttl` are settled: what their probes hold (TCP sockets) can go.
    fn forget(&mut self, ttl: u8);
    /// `--mtu`: what the system now knows of the path's MTU (after a "too big").
    fn path_mtu(&self) -> Option<u32>;
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
    /// Whether the trace should end now, as SIGINT ends it, without waiting for what
    /// is held back (stdout is closed: nobody reads the rows any more).
    fn stopped(&self) -> bool {
        false
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

/// The loop's bookkeeping around the network: the probe size (`--mtu` shrinks it) and
/// what `--back` and `--mtu` learn per hop.
struct Driver<N> {
    net: N,
    /// Probe data bytes (UDP payload, ICMP echo data): the identity, then zeros up to
    /// the packet length asked for.
    data_len: usize,
    /// `--mtu`: the sizes, and which answers mean "send again smaller".
    pmtu: Option<PathMtu>,
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
    let (driver, config) = Driver::new(plan, target, sockets)?;
    trace_on(config, driver, observer)
}

/// [`run`] on any network.
fn trace_on<N: Network, O: Observer>(
    config: Config,
    mut driver: Driver<N>,
    observer: &mut O,
) -> Result<TraceOutcome, Failure> {
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
    fn drain<N: Network>(&mut self, machine: &mut M, driver: &mut Driver<N>, now: Instant) -> bool;
    fn saw(&mut self, from: IpAddr);
    fn next_wakeup(&self) -> Option<Instant>;
    /// The observer wants the loop to end now (see [`Observer::stopped`]).
    fn stopped(&self) -> bool;
}

struct Single<'o, O> {
    observer: &'o mut O,
    hops: Vec<Hop>,
    ending: Option<Ending>,
}

impl<O: Observer> Consumer<Engine> for Single<'_, O> {
    fn drain<N: Network>(
        &mut self,
        engine: &mut Engine,
        driver: &mut Driver<N>,
        now: Instant,
    ) -> bool {
        while let Some(event) = engine.poll_event() {
            match &event {
                Event::Hop(hop) => {
                    driver.net.forget(hop.ttl);
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

    fn stopped(&self) -> bool {
        self.observer.stopped()
    }
}

/// The loop: send what the machine allows, let time pass, hand over what arrived.
fn drive<M: Machine, N: Network, C: Consumer<M>>(
    machine: &mut M,
    driver: &mut Driver<N>,
    consumer: &mut C,
) -> Result<(), Failure> {
    loop {
        let stopped = consumer.stopped();
        if stopped || netprobe::interrupted() {
            machine.stop();
        }
        while let Some(probe) = machine.poll_probe() {
            driver.send(machine, &probe);
        }
        machine.advance(Instant::now());
        let flushed = consumer.drain(machine, driver, Instant::now());
        if machine.is_finished() && (flushed || stopped) {
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
            .net
            .wait(timeout)
            .map_err(|e| Failure::new("waiting for answers", e))?;
        for response in &responses {
            consumer.saw(response.from);
        }
        driver.note_reply_ttls(machine, &responses);
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
    /// Whether the rounds should end now, as SIGINT ends them (stdout is closed).
    fn stopped(&self) -> bool {
        false
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
    let (driver, engine) = Driver::new(plan, target, sockets)?;
    rounds_on(engine, driver, flow, rounds, interval, observer)
}

/// [`run_flow_rounds`] on any network.
fn rounds_on<N: Network, O: RoundObserver>(
    engine: Config,
    mut driver: Driver<N>,
    flow: u16,
    rounds: Option<u64>,
    interval: Duration,
    observer: &mut O,
) -> Result<Stats, Failure> {
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
    fn drain<N: Network>(
        &mut self,
        rounds: &mut Rounds,
        driver: &mut Driver<N>,
        now: Instant,
    ) -> bool {
        while let Some(event) = rounds.poll_event() {
            match event {
                RoundEvent::Hop { round, flow, hop } => {
                    driver.net.forget(hop.ttl);
                    // --mtu and --back are shown by a single trace only (the plan refuses
                    // them with rounds); forgetting keeps the driver's memory flat.
                    driver.settled(hop.ttl);
                    self.observer.hop(round, flow, &hop);
                }
                RoundEvent::Round(round) => {
                    driver.net.forget(u8::MAX);
                    self.stats.record(&round);
                    self.observer.round(&round, &self.stats);
                }
                RoundEvent::Done => driver.net.forget(u8::MAX),
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

    fn stopped(&self) -> bool {
        self.observer.stopped()
    }
}

impl<'a> Driver<wire::Wired<'a>> {
    /// The driver of `plan`'s probes to `target`, and the engine configuration that goes
    /// with it (a fresh token and probe ids for this run).
    fn new(
        plan: &Plan,
        target: &'a Resolved,
        sockets: Sockets,
    ) -> Result<(Driver<wire::Wired<'a>>, Config), Failure> {
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
        let ident = sockets.ident();
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
        let driver = Driver::with(
            wire::Wired::new(target, sockets, matcher, token, data_len),
            data_len,
            pmtu,
            plan.probe.back,
        );
        Ok((driver, config))
    }
}

impl<N: Network> Driver<N> {
    fn with(net: N, data_len: usize, pmtu: Option<PathMtu>, back: bool) -> Driver<N> {
        Driver {
            net,
            data_len,
            pmtu,
            back,
            back_ttl: HashMap::new(),
        }
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

    /// `--back`: keeps the TTL of each hop's first answer (of `responses`, just read)
    /// until the hop is settled.
    fn note_reply_ttls<M: Machine>(&mut self, machine: &M, responses: &[Response]) {
        if !self.back {
            return;
        }
        for response in responses {
            if let (Some(ttl), Some(hop)) = (response.wire.ttl, machine.probe_ttl(response.probe)) {
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
        let net = &self.net;
        let sorted = pmtu.sort(responses, || net.path_mtu());
        self.data_len = pmtu.data_len();
        for probe in &sorted.resend {
            self.send(machine, probe);
        }
        sorted.responses
    }

    fn send<M: Machine>(&mut self, machine: &mut M, probe: &Probe) {
        if let Some(pmtu) = &mut self.pmtu {
            pmtu.sent(probe, Instant::now());
        }
        match self.net.send(probe, self.data_len) {
            Ok(at) => machine.sent(probe, at),
            Err(e) => machine.send_failed(probe, crate::net::err::phrase(&e)),
        }
    }
}

#[cfg(test)]
mod tests;
