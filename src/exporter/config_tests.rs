//! The config file's parse and checks: every mistake is one error naming its line.

use super::*;

fn error(text: &str) -> String {
    Config::parse(text, "x.toml").unwrap_err().to_string()
}

#[test]
fn a_full_file_parses() {
    let c = Config::parse(
        "listen = \"[::1]:9000\"\n[ping]\ninterval = \"200ms\"\n[probe]\nallow = [\"WWW.netlab.test.\", \"198.18.0.0/16\", \"::1\"]\n[[target]]\nhost = \"dest\"\ntrace = true\n[[target]]\nhost = \"127.0.0.1\"\n",
        "x.toml",
    )
    .unwrap();
    assert_eq!(c.listen.as_deref(), Some("[::1]:9000"));
    assert_eq!(c.ping.every(), Duration::from_millis(200));
    assert_eq!(c.ping.timeout, Duration::from_secs(1));
    assert_eq!(c.targets.len(), 2);
    assert!(c.targets[0].trace && !c.targets[1].trace);
    assert_eq!(c.allow[0], Allowed::Name("www.netlab.test".into()));
    assert_eq!(c.allow[1], Allowed::Net("198.18.0.0/16".parse().unwrap()));
    assert_eq!(c.allow[2], Allowed::Net("::1/128".parse().unwrap()));
}

#[test]
fn every_error_names_its_line() {
    let cases = [
        ("[ping]\ninterval = \"fast\"\n", "line 2", "unknown unit"),
        ("[ping]\n\ntimeout = \"0s\"\n", "line 3", "longer than 0"),
        ("[ping]\nsize = 70000\n", "line 2", "out of range"),
        ("[trace]\nmax_hops = 0\n", "line 2", "out of range"),
        (
            "[probe]\nmax_concurrent = 100000\n",
            "line 2",
            "out of range",
        ),
        ("colour = \"red\"\n", "line 1", "unknown field"),
        ("[[target]]\nhost = \"bad!name\"\n", "line 2", "bad!name"),
        ("[[target]]\ntrace = true\n", "line 1", "host"),
        (
            "[probe]\nallow = [\n \"ok\",\n \"10.0.0.0/99\"]\n",
            "line 4",
            "10.0.0.0/99",
        ),
        ("listen = \"9470\"\n", "line 1", "ADDR:PORT"),
        ("[ping\ninterval = 1\n", "line 1", ""),
        ("[ping]\ninterval = 1\n", "line 2", "string"),
        (
            "[[target]]\nhost = \"a\"\n[[target]]\nhost = \"A.\"\n",
            "line 4",
            "listed twice (first on line 2)",
        ),
        (
            "[[target]]\nhost = \"a\"\nlabels = { site = \"x\", \"bad-name\" = \"y\" }\n",
            "line 3",
            "not a Prometheus label name",
        ),
        (
            "[[target]]\nhost = \"a\"\nlabels = { __name = \"x\" }\n",
            "line 3",
            "reserved to Prometheus",
        ),
        (
            "[[target]]\nhost = \"a\"\nlabels = { ip = \"x\" }\n",
            "line 3",
            "exporter's own",
        ),
        (
            "[[target]]\nhost = \"a\"\ntrace_interval = \"-5s\"\n",
            "line 3",
            "-5s",
        ),
        ("[resolve]\ninterval = \"-1s\"\n", "line 2", "-1s"),
        (
            "[[target]]\nhost = \"a\"\ntcp = [80, 70000]\n",
            "line 3",
            "",
        ),
        (
            "[[target]]\nhost = \"a\"\ncolour = \"red\"\n",
            "line 3",
            "unknown field",
        ),
        (
            "[[target]]\nhost = \"a\"\nping = false\nhttp = \"https://\"\n",
            "line 4",
            "http 'https://'",
        ),
        (
            "[[target]]\nhost = \"a\"\nhttp = \"ftp://a/\"\n",
            "line 3",
            "ftp",
        ),
        (
            "[[target]]\nhost = \"a\"\nhttp = \"http://b/x\"\n",
            "line 3",
            "its host b is not the target's (a)",
        ),
        (
            "[[target]]\nhost = \"a\"\ntls = \"a\"\n",
            "line 3",
            "tls 'a'",
        ),
        (
            "[[target]]\nhost = \"a\"\ntls = \"https://a/\"\n",
            "line 3",
            "module tls takes HOST:PORT",
        ),
        (
            "[[target]]\nhost = \"192.0.2.1\"\ntls = \"a:443\"\n",
            "line 3",
            "not the target's",
        ),
        (
            "[[target]]\nhost = \"a\"\nhttp = \"http://a/\"\nweb_interval = \"0s\"\n",
            "line 4",
            "",
        ),
        (
            "[[target]]\nhost = \"a\"\nping_interval = \"-5s\"\n",
            "line 3",
            "-5s",
        ),
        (
            "[[target]]\nhost = \"a\"\n\nping_interval = \"0s\"\n",
            "line 4",
            "longer than 0",
        ),
        (
            "[[target]]\nhost = \"a\"\nping_interval = \"soon\"\n",
            "line 3",
            "unknown unit",
        ),
        (
            "[[target]]\nhost = \"a\"\nping_interval = 5\n",
            "line 3",
            "string",
        ),
        (
            "[[target]]\nhost = \"a\"\nping = false\nping_interval = \"5s\"\n",
            "line 4",
            "ping_interval with ping = false",
        ),
    ];
    for (text, line, why) in cases {
        let e = error(text);
        assert!(
            e.starts_with(&format!("netlab: config x.toml {line}: ")),
            "{text:?}: {e}"
        );
        assert!(e.contains(why), "{text:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{text:?}: {e}");
    }
}

#[test]
fn a_target_carries_its_labels_and_checks() {
    let c = Config::parse(
        "[[target]]\nhost = \"dest\"\nping = false\ntcp = [80, 443]\ntcp_interval = \"2s\"\ntrace = true\ntrace_interval = \"5s\"\nresolve_interval = \"3s\"\nlabels = { site = \"ams\", role = \"core\" }\n[[target]]\nhost = \"b\"\n",
        "x.toml",
    )
    .unwrap();
    let t = &c.targets[0];
    assert!(!t.ping && t.trace);
    assert_eq!(t.tcp, vec![80, 443]);
    assert_eq!(t.tcp_interval, Duration::from_secs(2));
    assert_eq!(t.trace_interval, Some(Duration::from_secs(5)));
    assert_eq!(t.resolve_interval, Some(Duration::from_secs(3)));
    assert_eq!(
        t.labels,
        vec![
            ("role".into(), "core".into()),
            ("site".into(), "ams".into())
        ]
    );
    assert_eq!(
        c.targets[1],
        ConfiguredTarget::pinged(c.targets[1].target.clone())
    );
}

#[test]
fn http_and_tls_checks_are_on_the_targets_host() {
    let c = Config::parse(
        "[[target]]\nhost = \"Web.Test\"\nhttp = \"https://web.test:8443/health\"\ntls = \"web.test:443\"\nweb_interval = \"3s\"\n[[target]]\nhost = \"::1\"\nhttp = \"http://[::1]/\"\n",
        "x.toml",
    )
    .unwrap();
    let t = &c.targets[0];
    let http = t.http.as_ref().unwrap();
    assert_eq!((http.port, http.url.path()), (8443, "/health"));
    assert_eq!(t.tls.as_ref().unwrap().port, 443);
    assert_eq!(t.web_interval, Duration::from_secs(3));
    assert_eq!(c.targets[1].http.as_ref().unwrap().port, 80);
    assert!(c.targets[1].tls.is_none());
    assert_eq!(c.targets[1].web_interval, DEFAULT_TCP_INTERVAL);
}

#[test]
fn an_empty_file_is_the_defaults() {
    let c = Config::parse("", "x.toml").unwrap();
    assert!(c.targets.is_empty() && c.allow.is_empty() && !c.probe.any_target);
    assert_eq!(c.probe.max_concurrent, 4);
    assert!(parse_listen(DEFAULT_LISTEN).unwrap().ip().is_loopback());
}

#[test]
fn a_target_has_its_own_ping_interval_and_a_change_of_it_is_the_same_entry() {
    let c = Config::parse(
        "[ping]\ninterval = \"1s\"\n[[target]]\nhost = \"a\"\nping_interval = \"200ms\"\n[[target]]\nhost = \"b\"\n",
        "x.toml",
    )
    .unwrap();
    assert_eq!(c.targets[0].ping_interval, Some(Duration::from_millis(200)));
    assert_eq!(c.targets[1].ping_interval, None);
    let mut slower = c.targets[0].clone();
    slower.ping_interval = Some(Duration::from_secs(5));
    assert!(slower.same_but_ping_interval(&c.targets[0]));
    assert!(c.targets[0].same_but_ping_interval(&slower));
    let mut traced = slower.clone();
    traced.trace = true;
    assert!(!traced.same_but_ping_interval(&c.targets[0]));
    assert!(!c.targets[1].same_but_ping_interval(&c.targets[0]));
}

#[test]
fn below_pings_minimum_is_refused_without_cap_net_raw_naming_the_line() {
    for (text, line, key) in [
        (
            "[ping]\n\ninterval = \"1ms\"\n",
            "line 3",
            "[ping] interval 1ms",
        ),
        (
            "[[target]]\nhost = \"a\"\nping_interval = \"500us\"\n",
            "line 3",
            "ping_interval 500",
        ),
    ] {
        let c = Config::parse(text, "x.toml").unwrap();
        assert!(c.too_fast(true).is_ok(), "{text:?}");
        let e = c.too_fast(false).unwrap_err();
        assert!(e.hint.is_none(), "one line: {e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("netlab: config x.toml {line}: {key}")),
            "{text:?}: {shown}"
        );
        assert!(
            shown.contains("2ms minimum for users without CAP_NET_RAW"),
            "{shown}"
        );
    }
    // 2 ms itself is allowed, as ping -i 0.002 is.
    let c = Config::parse(
        "[[target]]\nhost = \"a\"\nping_interval = \"2ms\"\n",
        "x.toml",
    );
    assert!(c.unwrap().too_fast(false).is_ok());
}
