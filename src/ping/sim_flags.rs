//! iputils' schedule and payload flags against the simulated network: `-l` preload,
//! `-A` / `-f` adaptive sending, `-O` outstanding reports, `-p` patterns.

use super::*;

fn with(mut config: Config, change: impl FnOnce(&mut Settings)) -> Config {
    change(&mut config.settings);
    config
}

fn send_times(run: &Run, t0: Instant) -> Vec<Duration> {
    run.sends.iter().map(|(at, _)| *at - t0).collect()
}

#[test]
fn a_preload_goes_out_at_once_then_the_interval_applies() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let config = with(cfg(Some(5), 1000), |s| s.preload = 3);
    let mut engine = Engine::new(config, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert_eq!(
        send_times(&run, t0),
        vec![ms(0), ms(0), ms(0), ms(1000), ms(2000)]
    );
    assert_eq!(engine.stats(TargetId(0)).received, 5);
}

#[test]
fn adaptive_sends_the_next_probe_when_the_reply_comes() {
    let t0 = Instant::now();
    // Probe 3 is lost: the next waits the whole interval.
    let mut net = Net::new().host("198.18.2.2", 10, |seq| {
        if seq == 3 {
            Fate::Lose
        } else {
            Fate::Answer
        }
    });
    let config = with(cfg(Some(5), 1000), |s| s.adaptive = Some(Duration::ZERO));
    let mut engine = Engine::new(config, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert_eq!(
        send_times(&run, t0),
        vec![ms(0), ms(10), ms(20), ms(1020), ms(1030)]
    );
    assert_eq!(engine.stats(TargetId(0)).received, 4);
}

#[test]
fn adaptive_never_goes_below_its_floor() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let config = with(cfg(Some(3), 1000), |s| s.adaptive = Some(ms(200)));
    let mut engine = Engine::new(config, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert_eq!(send_times(&run, t0), vec![ms(0), ms(200), ms(400)]);
}

#[test]
fn outstanding_probes_are_reported_as_the_next_leaves() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |seq| {
        if seq == 2 {
            Fate::Delay(ms(1500))
        } else {
            Fate::Answer
        }
    });
    let config = with(cfg(Some(4), 1000), |s| {
        s.report_outstanding = true;
        s.timeout = ms(5000);
    });
    let mut engine = Engine::new(config, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let outstanding: Vec<(Duration, u64)> = run
        .events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Outstanding { seq, .. } => Some((*at - t0, *seq)),
            _ => None,
        })
        .collect();
    // Probe 2 (sent at 1 s, answered at 2.51 s) is still out when probe 3 leaves at 2 s.
    assert_eq!(outstanding, vec![(ms(2000), 2)]);
    // Without -O nothing is said.
    let mut engine = Engine::new(cfg(Some(4), 1000), &[ip("198.18.2.2")], IDENTS, t0);
    let quiet = super::run(&mut engine, &mut net, t0, None);
    assert!(!quiet
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Outstanding { .. })));
}

#[test]
fn a_pattern_fills_the_data_after_the_mark() {
    let t0 = Instant::now();
    let config = with(cfg(Some(1), 1000), |s| {
        s.pattern = vec![0xff, 0x00, 0xab];
        s.size = 24;
    });
    let mut engine = Engine::new(config, &[ip("198.18.2.2")], IDENTS, t0);
    let probe = engine.poll_probe(t0).unwrap();
    let mut buf = [0u8; 64];
    let data = engine.payload(&probe, &mut buf).to_vec();
    assert_eq!(data.len(), 24);
    assert_eq!(&data[..8], &TOKEN);
    // Byte i holds pattern[i % 3], as iputils fills it (the mark covers 0..16).
    let expected: Vec<u8> = (16..24).map(|i| [0xff, 0x00, 0xab][i % 3]).collect();
    assert_eq!(&data[16..], &expected[..]);
    // A pattern-filled reply still matches its probe.
    assert!(engine.on_reply(&EchoReply {
        from: ip("198.18.2.2"),
        ident: probe.ident,
        wire_seq: probe.wire_seq,
        data: &data,
        bytes: 32,
        ttl: Some(64),
        at: t0 + ms(1),
    }));
}

/// Per target, the times its probes left (from t0).
fn per_target(run: &Run, t0: Instant, targets: usize) -> Vec<Vec<Duration>> {
    let mut out = vec![Vec::new(); targets];
    for (at, probe) in &run.sends {
        out[probe.target.0].push(*at - t0);
    }
    out
}

#[test]
fn each_target_keeps_its_own_interval_on_the_one_schedule() {
    let t0 = Instant::now();
    let mut net = Net::new()
        .host("198.18.2.2", 1, |_| Fate::Answer)
        .host("198.18.2.3", 1, |_| Fate::Answer)
        .host("198.18.2.4", 1, |_| Fate::Answer);
    // The exporter's case: 200 ms and 1 s of its own; a third at the run's interval.
    let config = with(cfg(None, 500), |s| s.intervals = vec![ms(200), ms(1000)]);
    let addrs = [ip("198.18.2.2"), ip("198.18.2.3"), ip("198.18.2.4")];
    let mut engine = Engine::new(config, &addrs, IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, Some(t0 + ms(2999)));
    let sends = per_target(&run, t0, 3);
    let every = |step: u64, n: u64| (0..n).map(|k| ms(k * step)).collect::<Vec<_>>();
    assert_eq!(sends[0], every(200, 15));
    assert_eq!(sends[1], every(1000, 3));
    assert_eq!(sends[2], every(500, 6));
    // 5:1 between the first two, and every probe answered.
    assert_eq!(engine.stats(TargetId(0)).received, 15);
    assert_eq!(engine.stats(TargetId(1)).received, 3);
}

#[test]
fn spread_starts_each_target_within_its_own_interval() {
    let t0 = Instant::now();
    let mut net = Net::new()
        .host("198.18.2.2", 1, |_| Fate::Answer)
        .host("198.18.2.3", 1, |_| Fate::Answer);
    let config = with(cfg(Some(3), 1000), |s| {
        s.spread = true;
        s.intervals = vec![ms(400), ms(2000)];
    });
    let mut engine = Engine::new(config, &[ip("198.18.2.2"), ip("198.18.2.3")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let sends = per_target(&run, t0, 2);
    // Target 0 from 0, target 1 from half of its own 2 s.
    assert_eq!(sends[0], vec![ms(0), ms(400), ms(800)]);
    assert_eq!(sends[1], vec![ms(1000), ms(3000), ms(5000)]);
}
