//! The figures of one hop, fed rounds by hand.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::trace::engine::{Hop, ProbeResult, Reply};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn round(number: u64, t0: Instant, rtts: &[Option<u64>]) -> Round {
    let probes = rtts
        .iter()
        .map(|r| match r {
            Some(r) => ProbeResult::Answered {
                from: ip("10.9.9.9"),
                rtt: ms(*r),
                reply: Reply::Reached,
                mpls: vec![],
                objects: Vec::new(),
                wire: Default::default(),
            },
            None => ProbeResult::Silent,
        })
        .collect();
    Round {
        number,
        flow: 0,
        started: t0 + Duration::from_secs(number),
        ended: t0 + Duration::from_secs(number),
        hops: vec![Hop { ttl: 1, probes }],
        ending: Ending::Reached {
            ttl: 1,
            from: ip("10.9.9.9"),
        },
    }
}

#[test]
fn rtt_jitter_and_percentiles_of_one_hop() {
    let t0 = Instant::now();
    let mut stats = Stats::new(4);
    for (i, r) in [10, 20, 10, 40, 20].iter().enumerate() {
        stats.record(&round(i as u64 + 1, t0, &[Some(*r)]));
    }
    stats.record(&round(6, t0, &[None]));
    let s = stats.snapshot(&|_| Some("dest".into()), &|_| None);
    let h = &s.hops[0];
    assert_eq!((h.sent, h.received), (6, 5));
    assert_eq!(h.loss_percent, 16.7);
    let rtt = h.rtt.unwrap();
    assert_eq!((rtt.last, rtt.best, rtt.worst), (ms(20), ms(10), ms(40)));
    assert!((rtt.avg.as_secs_f64() - 0.020).abs() < 1e-9);
    // Sample stdev of 10, 20, 10, 40, 20 ms: sqrt(150) ms... of squared deviations 600/4.
    assert!((rtt.stdev.as_secs_f64() * 1000.0 - 150f64.sqrt()).abs() < 1e-6);
    let j = h.jitter.unwrap();
    // Differences 10, 10, 30, 20.
    assert_eq!((j.last, j.max), (ms(20), ms(30)));
    assert!((j.mean.as_secs_f64() - 0.0175).abs() < 1e-9);
    // RFC 3550: J += (|D| - J)/16 four times from 0.
    let mut jj = 0.0;
    for d in [10.0, 10.0, 30.0, 20.0] {
        jj += (d - jj) / 16.0;
    }
    assert!((j.interarrival.as_secs_f64() * 1000.0 - jj).abs() < 1e-6);
    // The ring keeps 4 probes: 10, 40, 20, lost.
    assert_eq!(h.history.len(), 4);
    let p = h.percentiles.unwrap();
    assert_eq!((p.samples, p.p50, p.p99), (3, ms(20), ms(40)));
    assert_eq!(h.responders[0].name.as_deref(), Some("dest"));
    assert_eq!(h.responders[0].share, 1.0);
    // The only hop: its loss counts as forwarding.
    assert_eq!(h.loss.kind, LossKind::Forwarding);
}

#[test]
fn reset_forgets_everything_but_the_history_length() {
    let t0 = Instant::now();
    let mut stats = Stats::new(8);
    stats.record(&round(1, t0, &[Some(1)]));
    stats.reset();
    assert_eq!(stats.rounds(), 0);
    assert!(stats.snapshot(&|_| None, &|_| None).hops.is_empty());
    assert_eq!(stats.history_len(), 8);
}

#[test]
fn nearest_rank_percentiles() {
    let v: Vec<Duration> = (1..=100).map(ms).collect();
    assert_eq!(percentile(&v, 50.0), ms(50));
    assert_eq!(percentile(&v, 99.0), ms(99));
    assert_eq!(percentile(&v, 100.0), ms(100));
    assert_eq!(percentile(&v[..1], 90.0), ms(1));
}

/// Issue 23: each responder keeps the extensions of its latest answer (mtr's choice): a
/// new label replaces the old one, an answer without extensions clears them, and a
/// silent probe leaves them alone.
#[test]
fn each_responder_keeps_the_extensions_of_its_latest_answer() {
    use crate::packet::extensions::MplsLabel;
    use crate::trace::extensions::{ExtObject, Sent};
    let t0 = Instant::now();
    let label = |l| MplsLabel {
        label: l,
        exp: 0,
        bottom: true,
        ttl: 1,
    };
    let unknown = ExtObject::Unknown {
        class: 9,
        c_type: 1,
        bytes: vec![1, 2],
    };
    let with = |number, mpls: Vec<MplsLabel>, objects: Vec<ExtObject>| {
        let mut r = round(number, t0, &[Some(5), None]);
        if let ProbeResult::Answered {
            mpls: m,
            objects: o,
            ..
        } = &mut r.hops[0].probes[0]
        {
            (*m, *o) = (mpls, objects);
        }
        r
    };
    let latest = |stats: &Stats| {
        stats.snapshot(&|_| None, &|_| None).hops[0].responders[0]
            .sent
            .clone()
    };
    let mut stats = Stats::new(8);
    stats.record(&with(1, vec![label(16)], vec![]));
    stats.record(&with(2, vec![label(17)], vec![unknown.clone()]));
    assert_eq!(
        latest(&stats),
        Sent {
            mpls: vec![label(17)],
            objects: vec![unknown]
        }
    );
    let s = stats.snapshot(&|_| None, &|_| None);
    assert_eq!(
        s.extension_lines(80),
        [
            "  hop 1 10.9.9.9:",
            "    [MPLS: L=17 E=0 S=1 T=1] [9/1: 0102]"
        ]
    );
    stats.record(&with(3, vec![], vec![]));
    assert!(latest(&stats).is_empty());
    assert!(stats
        .snapshot(&|_| None, &|_| None)
        .extension_lines(80)
        .is_empty());
}
