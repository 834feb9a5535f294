//! The loop on a fake network, in short real time: probes sent, replies delivered with
//! their receive times, timeouts, ICMP errors, sends that fail, the deadline.

use std::collections::HashMap;
use std::net::IpAddr;

use super::*;
use crate::packet::icmp::{Icmp, Message};
use crate::ping::engine::{EchoReply, ProbeError};

/// What a destination does with an echo request.
#[derive(Debug, Clone, Copy)]
enum Does {
    Answer,
    Lose,
    /// A router on the way answers with this error.
    RouterError(IpAddr, IcmpErrorKind),
    /// The send fails: larger than the path MTU (given) allows.
    TooBig(u32),
}

/// What comes back, and when.
struct Arrival {
    at: Instant,
    from: IpAddr,
    dst: IpAddr,
    version: Version,
    ident: u16,
    seq: u16,
    data: Vec<u8>,
    error: Option<IcmpErrorKind>,
}

struct FakeNet {
    does: HashMap<IpAddr, Does>,
    rtt: Duration,
    v6: bool,
    /// Every echo request that left: to whom, its wire sequence, when.
    sent: Vec<(IpAddr, u16, Instant)>,
    in_flight: Vec<Arrival>,
    mtu: Option<u32>,
}

impl FakeNet {
    fn new(does: &[(&str, Does)]) -> FakeNet {
        FakeNet {
            does: does.iter().map(|(a, d)| (ip(a), *d)).collect(),
            rtt: RTT,
            v6: true,
            sent: Vec::new(),
            in_flight: Vec::new(),
            mtu: None,
        }
    }
}

impl Network for FakeNet {
    fn has(&self, version: Version) -> bool {
        version == Version::V4 || self.v6
    }

    fn send(&mut self, version: Version, packet: &[u8], to: SocketAddr) -> io::Result<Instant> {
        let now = Instant::now();
        let icmp = Icmp::parse(packet, version).expect("the loop sends well-formed ICMP");
        let Message::EchoRequest(echo) = icmp.message() else {
            panic!("the loop sends echo requests only");
        };
        let dst = to.ip();
        let (from, error) = match self.does[&dst] {
            Does::TooBig(mtu) => {
                self.mtu = Some(mtu);
                return Err(Kind::MessageTooLong.error());
            }
            Does::Lose => (None, None),
            Does::Answer => (Some(dst), None),
            Does::RouterError(router, kind) => (Some(router), Some(kind)),
        };
        self.sent.push((dst, echo.seq, now));
        if let Some(from) = from {
            self.in_flight.push(Arrival {
                at: now + self.rtt,
                from,
                dst,
                version,
                ident: echo.id,
                seq: echo.seq,
                data: echo.data.to_vec(),
                error,
            });
        }
        Ok(now)
    }

    fn path_mtu(&self, _to: SocketAddr) -> Option<u32> {
        self.mtu
    }

    async fn readable(&self) {
        match self.in_flight.iter().map(|a| a.at).min() {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    }

    fn drain(&mut self, engine: &mut Engine) {
        let now = Instant::now();
        let (due, later) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition::<Vec<_>, _>(|a| a.at <= now);
        self.in_flight = later;
        for a in due {
            match a.error {
                None => {
                    engine.on_reply(&EchoReply {
                        from: a.from,
                        ident: a.ident,
                        wire_seq: a.seq,
                        data: &a.data,
                        bytes: 8 + a.data.len(),
                        ttl: Some(60),
                        at: a.at,
                    });
                }
                Some(kind) => {
                    engine.on_error(&ProbeError {
                        from: a.from,
                        kind,
                        dst: Some(a.dst),
                        version: a.version,
                        ident: a.ident,
                        wire_seq: a.seq,
                        data: &a.data,
                        mtu: None,
                        at: a.at,
                    });
                }
            }
        }
    }
}

const RTT: Duration = Duration::from_millis(5);

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn settings(count: Option<u64>) -> Settings {
    Settings {
        timeout: Duration::from_millis(60),
        ..Settings::every(Duration::from_millis(20), count)
    }
}

#[derive(Default)]
struct Recorder {
    sent: usize,
    events: Vec<Event>,
    finished: bool,
    /// Says stop once this many events came (stdout closed after so many rows).
    stop_after: Option<usize>,
}

impl Observer for Recorder {
    fn sent(&mut self, _probe: &Probe) {
        self.sent += 1;
    }
    fn event(&mut self, event: &Event) -> impl Future<Output = ()> {
        self.events.push(event.clone());
        async {}
    }
    fn finish(&mut self, _engine: &Engine) -> impl Future<Output = ()> {
        self.finished = true;
        async {}
    }
    fn stopped(&self) -> bool {
        self.stop_after.is_some_and(|n| self.events.len() >= n)
    }
}

const IDENTS: Idents = Idents {
    v4: 0x1234,
    v6: 0x5678,
};

async fn ping(
    net: &mut FakeNet,
    settings: &Settings,
    targets: &[&str],
    recorder: &mut Recorder,
) -> PingOutcome {
    let targets: Vec<Resolved> = targets
        .iter()
        .map(|t| Resolved {
            text: t.to_string(),
            sockaddr: SocketAddr::new(ip(t), 0),
        })
        .collect();
    measure_on(settings, net, IDENTS, &targets, recorder, Signals::Leave)
        .await
        .expect("a fake network never fails the loop")
}

/// The loop borrows a network the test keeps, to look at what was sent afterwards.
impl Network for &mut FakeNet {
    fn has(&self, version: Version) -> bool {
        (**self).has(version)
    }
    fn send(&mut self, version: Version, packet: &[u8], to: SocketAddr) -> io::Result<Instant> {
        (**self).send(version, packet, to)
    }
    fn path_mtu(&self, to: SocketAddr) -> Option<u32> {
        (**self).path_mtu(to)
    }
    async fn readable(&self) {
        (**self).readable().await
    }
    fn drain(&mut self, engine: &mut Engine) {
        (**self).drain(engine)
    }
}

#[tokio::test]
async fn replies_are_timed_by_their_receive_time() {
    let mut net = FakeNet::new(&[("198.18.0.1", Does::Answer)]);
    let mut recorder = Recorder::default();
    let outcome = ping(&mut net, &settings(Some(3)), &["198.18.0.1"], &mut recorder).await;
    let summary = &outcome.targets[0];
    assert_eq!((summary.transmitted, summary.received), (3, 3));
    // Receive time minus send time, however late the loop woke to read the reply.
    assert_eq!((summary.min, summary.max), (Some(RTT), Some(RTT)));
    assert_eq!(summary.replies_from, [ip("198.18.0.1")]);
    assert!(outcome.all_answered());
    assert_eq!(recorder.sent, 3);
    assert!(recorder.finished);
    // One probe per interval, in sequence.
    let seqs: Vec<u16> = net.sent.iter().map(|(_, seq, _)| *seq).collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|w| w[0] != w[1]), "{seqs:?}");
    let gap = net.sent[1].2 - net.sent[0].2;
    assert!(gap >= Duration::from_millis(20), "{gap:?}");
}

#[tokio::test]
async fn unanswered_probes_time_out() {
    let mut net = FakeNet::new(&[("198.18.0.1", Does::Lose)]);
    let mut recorder = Recorder::default();
    let started = Instant::now();
    let outcome = ping(&mut net, &settings(Some(2)), &["198.18.0.1"], &mut recorder).await;
    let summary = &outcome.targets[0];
    assert_eq!((summary.transmitted, summary.received), (2, 0));
    assert_eq!(summary.loss_percent, 100.0);
    assert!(!outcome.all_answered());
    let timeouts = recorder
        .events
        .iter()
        .filter(|e| matches!(e, Event::Timeout { .. }))
        .count();
    assert_eq!(timeouts, 2);
    // The second probe leaves at 20 ms and is given up 60 ms later.
    assert!(started.elapsed() >= Duration::from_millis(80));
}

#[tokio::test]
async fn icmp_errors_are_kept_with_their_sender() {
    let router = ip("198.18.0.254");
    let kind = IcmpErrorKind::HostUnreachable;
    let mut net = FakeNet::new(&[("198.18.0.1", Does::RouterError(router, kind))]);
    let mut recorder = Recorder::default();
    let outcome = ping(&mut net, &settings(Some(2)), &["198.18.0.1"], &mut recorder).await;
    let summary = &outcome.targets[0];
    assert_eq!(summary.received, 0);
    assert_eq!(summary.errors, [(router, kind), (router, kind)]);
    assert!(recorder.events.iter().any(|e| matches!(
        e,
        Event::Error { from, rtt, .. } if *from == router && *rtt == RTT
    )));
}

#[tokio::test]
async fn a_probe_too_big_for_the_path_names_the_mtu() {
    let mut net = FakeNet::new(&[("198.18.0.1", Does::TooBig(1400))]);
    let mut recorder = Recorder::default();
    let outcome = ping(&mut net, &settings(Some(1)), &["198.18.0.1"], &mut recorder).await;
    assert_eq!(outcome.targets[0].received, 0);
    assert!(recorder.events.iter().any(|e| matches!(
        e,
        Event::SendFailed { reason, mtu: Some(1400), .. }
            if reason == "local error: message too long, mtu=1400"
    )));
}

#[tokio::test]
async fn a_family_without_a_socket_fails_its_probes_only() {
    let mut net = FakeNet::new(&[("198.18.0.1", Does::Answer), ("2001:db8::1", Does::Answer)]);
    net.v6 = false;
    let mut recorder = Recorder::default();
    let targets = ["198.18.0.1", "2001:db8::1"];
    let outcome = ping(&mut net, &settings(Some(2)), &targets, &mut recorder).await;
    assert_eq!(outcome.targets[0].received, 2);
    assert_eq!(outcome.targets[1].received, 0);
    assert!(recorder.events.iter().any(|e| matches!(
        e,
        Event::SendFailed { reason, .. } if reason == "no socket for this address family"
    )));
    assert!(net.sent.iter().all(|(to, _, _)| *to == ip("198.18.0.1")));
}

#[tokio::test]
async fn the_deadline_ends_an_endless_run() {
    let mut net = FakeNet::new(&[("2001:db8::1", Does::Answer)]);
    let mut recorder = Recorder::default();
    let settings = Settings {
        deadline: Some(Duration::from_millis(100)),
        ..settings(None)
    };
    let started = Instant::now();
    let outcome = ping(&mut net, &settings, &["2001:db8::1"], &mut recorder).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_millis(400), "{took:?}");
    // 0, 20, ... 80 ms: five probes (six if the one at 100 ms makes it; fewer only on a
    // starved machine), answered.
    let summary = &outcome.targets[0];
    assert!((3..=6).contains(&summary.transmitted), "{summary:?}");
    assert!(summary.received >= 3, "{summary:?}");
}

#[tokio::test]
async fn an_endless_run_ends_once_the_observer_says_stop() {
    let mut net = FakeNet::new(&[("198.18.0.1", Does::Answer)]);
    let mut recorder = Recorder {
        stop_after: Some(2),
        ..Recorder::default()
    };
    let settings = Settings {
        timeout: Duration::from_millis(60),
        ..Settings::every(Duration::from_millis(200), None)
    };
    let outcome = ping(&mut net, &settings, &["198.18.0.1"], &mut recorder).await;
    // Two replies (5 and 205 ms), then the loop stops at once, as on SIGINT: no third
    // probe at 400 ms, and the summary is still told.
    assert_eq!(recorder.events.len(), 2, "{:?}", recorder.events);
    assert_eq!(net.sent.len(), 2, "{:?}", net.sent);
    assert_eq!(outcome.targets[0].received, 2);
    assert!(recorder.finished);
}
