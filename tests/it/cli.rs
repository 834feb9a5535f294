//! The command line itself: help, version, generated files, and malformed input.

use std::path::Path;

use clap::CommandFactory;
use netlab::cli::Cli;

use crate::util::{assert_one_line_error, json, netlab, stderr, stdout};

const SHELLS: [(clap_complete::Shell, &str); 5] = [
    (clap_complete::Shell::Bash, "netlab.bash"),
    (clap_complete::Shell::Zsh, "_netlab"),
    (clap_complete::Shell::Fish, "netlab.fish"),
    (clap_complete::Shell::PowerShell, "_netlab.ps1"),
    (clap_complete::Shell::Elvish, "netlab.elv"),
];

fn bless() -> bool {
    let bless = std::env::var_os("NETLAB_BLESS").is_some();
    // A blessing run rewrites and passes: never let it stand in for CI's check.
    assert!(
        !(bless && crate::lab::skip::ci()),
        "NETLAB_BLESS and CI=true: CI never blesses"
    );
    bless
}

/// Compares a generated file with the checked-in one; `NETLAB_BLESS=1` rewrites it.
fn check_generated(path: &Path, generated: &[u8]) {
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, generated).unwrap();
        return;
    }
    let on_disk = std::fs::read(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is stale: regenerate with `NETLAB_BLESS=1 cargo test --test it cli::` and commit it",
        path.display()
    );
}

#[test]
fn completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in SHELLS {
        let mut generated = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "netlab", &mut generated);
        check_generated(&root.join(file), &generated);
    }
}

#[test]
fn completions_subcommand_prints_the_checked_in_script() {
    let out = netlab(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let on_disk = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/netlab.bash"),
    )
    .unwrap();
    assert_eq!(stdout(&out).trim_end(), on_disk.trim_end());
}

#[test]
fn man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), dir.path()).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n == "netlab.1"), "netlab.1 generated");
    for name in names {
        let generated = std::fs::read(dir.path().join(&name)).unwrap();
        check_generated(&root.join(&name), &generated);
    }
}

#[test]
fn help_documents_exit_codes_and_version_prints() {
    let out = netlab(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("Exit codes:") && text.contains("2  the run could not be done"));
    for cmd in ["resolve", "connect"] {
        let out = netlab(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        assert!(
            stdout(&out).contains("Exit codes:"),
            "{cmd} --help lists exit codes"
        );
    }
    let out = netlab(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("netlab {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `--json` is the short form of `--format json`: both print the same document, and every
/// command takes the switch (the flag itself is one clap struct flattened into each).
#[test]
fn format_json_and_json_flag_print_the_same_document() {
    let long = netlab(&["resolve", "--format", "json", "localhost"]);
    let short = netlab(&["resolve", "--json", "localhost"]);
    assert_eq!(long.status.code(), Some(0), "{}", stderr(&long));
    let long_doc = json(&long);
    let short_doc = json(&short);
    // Timings differ run to run; the answers must not.
    assert_eq!(
        long_doc["queries"][0]["query"],
        short_doc["queries"][0]["query"]
    );
    assert_eq!(
        long_doc["queries"][0]["records"].as_array().map(Vec::len),
        short_doc["queries"][0]["records"].as_array().map(Vec::len)
    );
    let table = netlab(&["resolve", "--format", "table", "localhost"]);
    assert!(stdout(&table).contains(" type "), "{}", stdout(&table));
    for cmd in ["resolve", "connect", "ping", "trace", "serve", "check"] {
        let help = stdout(&netlab(&[cmd, "--help"]));
        assert!(help.contains("--format <FORMAT>"), "{cmd} --help");
    }
}

/// Malformed command lines: each must exit 2 with one `netlab:` line (plus an optional
/// hint), print nothing on stdout, send no packet and never panic. Only arguments that are
/// rejected before any I/O belong here, so the table runs without a network.
#[test]
fn malformed_command_lines_exit_2_with_one_line() {
    let long_name = "a".repeat(300);
    let cases: &[&[&str]] = &[
        &[],
        &["bogus"],
        &["resolve", "--bogus"],
        &["resolve", "--format", "bogus", "localhost"],
        &["resolve", "--format", "json", "--json", "localhost"],
        &["ping", "--json", "--format", "table", "::1"],
        &[
            "connect",
            "--format",
            "json",
            "--interactive",
            "localhost:7",
        ],
        &["resolve", "-4", "-6", "localhost"],
        &["resolve", "-t", "BOGUS", "localhost"],
        &["resolve", "--timeout", "-1", "localhost"],
        &["resolve", "--timeout", "abc", "localhost"],
        &["resolve", "--timeout", "5parsecs", "localhost"],
        &["resolve", "--concurrency", "0", "localhost"],
        &["resolve", "--short", "--json", "localhost"],
        &["resolve", "-t", "HTTPSX", "localhost"],
        &["resolve", "-t", "ANY", "127.0.0.1"],
        &["resolve", "a..b"],
        &["resolve", "-bad-.example"],
        &["resolve", "bad!name.example"],
        &["resolve", "under score.example"],
        &["resolve", "1.2.3.999"],
        &["connect", "--bogus"],
        &["connect", "-4", "-6", "localhost:80"],
        &["connect", "localhost:0"],
        &["connect", "localhost:65536"],
        &["connect", "localhost:http"],
        &["connect", "localhost:"],
        &["connect", ":80"],
        &["connect", "[::1"],
        &["connect", "[::1]80"],
        &["connect", "[nope]:80"],
        &["connect", "localhost", "-p", "0"],
        &["connect", "localhost", "-p", "9-3"],
        &["connect", "localhost", "-p", "1,,2"],
        &["connect", "localhost", "-p", "70000"],
        &["connect", "localhost", "-p", "a-b"],
        &["connect", "localhost", "-p", ""],
        &["connect", "-c", "0", "localhost:80"],
        &["connect", "-c", "-3", "localhost:80"],
        &["connect", "-c", "x", "localhost:80"],
        &["connect", "-i", "-1", "localhost:80"],
        &["connect", "-w", "nan", "localhost:80"],
        &["connect", "-w", "1e999", "localhost:80"],
        &[
            "connect",
            "--expect",
            "a",
            "--expect-regex",
            "b",
            "localhost:80",
        ],
        &[
            "connect",
            "--send",
            "a",
            "--send-file",
            "/nonexistent",
            "localhost:80",
        ],
        &["connect", "--recv-bytes", "0", "localhost:80"],
        &["connect", "--concurrency", "0", "localhost", "-p", "1-10"],
        &["connect", "1.2.3.4%eth0:80"],
        &["completions", "tcsh"],
        &["completions"],
        &["completions", "bash", "zsh"],
        &["completions", "BASH"],
        // ping: counts, durations, sizes, targets, files, repeated flags.
        &["ping", "-c", "99999999999999999999", "127.0.0.1"],
        &["ping", "-c", "1.5", "127.0.0.1"],
        &["ping", "-i", "1e999", "127.0.0.1"],
        &["ping", "-i", "0.0000000001", "127.0.0.1"],
        &["ping", "-w", "169h", "127.0.0.1"],
        &["ping", "-W", "1.5.3", "127.0.0.1"],
        &["ping", "-t", "abc", "127.0.0.1"],
        &["ping", "-q", "-q", "127.0.0.1"],
        &["ping", ""],
        &["ping", "a b"],
        &["ping", "::1%"],
        &["ping", &long_name],
        &["ping", "--file", "/dev/null"],
        &["ping", "--file", "/"],
        // ping's iputils flags: patterns, TOS, DF hints, interfaces, sizes, broadcast.
        &["ping", "-p", "zz", "127.0.0.1"],
        &[
            "ping",
            "-p",
            "000102030405060708090a0b0c0d0e0f10",
            "127.0.0.1",
        ],
        &["ping", "-Q", "256", "127.0.0.1"],
        &["ping", "-Q", "AF51", "127.0.0.1"],
        &["ping", "-M", "sometimes", "127.0.0.1"],
        &["ping", "-I", "nosuchif0", "127.0.0.1"],
        &["ping", "-I", "127.0.0.1", "::1"],
        &["ping", "-s", "65528", "::1"],
        &["ping", "-l", "0", "127.0.0.1"],
        &["ping", "-m", "-1", "127.0.0.1"],
        &["ping", "255.255.255.255"],
        // trace: hops, TTLs, queries, waits, methods, ports, targets.
        &["trace", "a", "b"],
        &["trace", "-m", "x", "localhost"],
        &["trace", "-f", "0", "localhost"],
        &["trace", "-q", "-1", "localhost"],
        &["trace", "-w", "nan", "localhost"],
        &["trace", "-U", "-T", "localhost"],
        &["trace", "-p", "http", "localhost"],
        &["trace", "[::1"],
        &["trace", "-4", "::1"],
        &["trace", "fe80::1%nosuchif0"],
        // trace's traceroute flags: sources, interfaces, TOS, lengths, probes in flight.
        &["trace", "-s", "0.0.0.0", "127.0.0.1"],
        &["trace", "-s", "127.0.0.1", "::1"],
        &["trace", "--interface", "nosuchif0", "127.0.0.1"],
        &["trace", "-t", "AF51", "127.0.0.1"],
        &["trace", "127.0.0.1", "43"],
        &["trace", "127.0.0.1", "65001"],
        &["trace", "-T", "127.0.0.1", "100"],
        &["trace", "-N", "0", "127.0.0.1"],
        &["trace", "--mtu", "-F", "127.0.0.1"],
        &["trace", "--mtu", "-T", "127.0.0.1"],
        &["trace", "--back", "--back", "127.0.0.1"],
        &["trace", "--asn-zone", "asn.example", "127.0.0.1"],
        &["trace", "-A", "--asn-zone", "bad zone", "127.0.0.1"],
        // serve: listen addresses, limits, modes that conflict, templates, escapes.
        &["serve"],
        &["serve", "65536"],
        &["serve", ":"],
        &["serve", "[::1]:x"],
        &["serve", "7000", "7001"],
        &["serve", "7000", "--max-connections", "0"],
        &["serve", "7000", "--max-line", "1"],
        &["serve", "7000", "--banner", "a", "--reply", "b"],
        &["serve", "7000", "--reply", "{"],
        &["serve", "7000", "--banner", "\\xZZ"],
        &["serve", "-6", "127.0.0.1:7000"],
        &["serve", "[fe80::1%nosuchif0]:7000"],
        &["serve", "bad!name:7000"],
        // check: ports, targets, families.
        &["check", "a", "b"],
        &["check", "-p", "0", "localhost"],
        &["check", "-p", "65536", "localhost"],
        &["check", "localhost:0"],
        &["check", "localhost:"],
        &["check", ":80"],
        &["check", ""],
        &["check", "-4", "-6", "localhost"],
        &["check", "fe80::1%nosuchif0"],
        // "Any address" is no destination (and sends nothing).
        &["ping", "-c", "1", "0.0.0.0"],
        &["trace", "::"],
        // Rounds (-c, --watch) and CSV.
        &["trace", "-c", "0", "localhost"],
        &["trace", "-c", "x", "localhost"],
        &["trace", "-i", "1", "localhost"],
        &["trace", "-o", "loss", "localhost"],
        &["trace", "--flows", "2", "localhost"],
        &["trace", "-c", "1", "--flows", "0", "localhost"],
        &["trace", "-c", "1", "--flows", "17", "localhost"],
        &["trace", "--watch", "-i", "0", "localhost"],
        &["trace", "-c", "1", "-i", "-1", "localhost"],
        &["trace", "-c", "1", "-o", "bogus", "localhost"],
        &["trace", "-c", "1", "-o", ",", "localhost"],
        &["trace", "--format", "csv", "localhost"],
        &["ping", "--format", "csv", "localhost"],
        &["resolve", "--format", "csv", "localhost"],
        &["connect", "--format", "csv", "localhost:80"],
        &["check", "--format", "csv", "localhost"],
        &["serve", "--format", "csv", "0"],
        &["connect", "0.0.0.0:80"],
        &["connect", "--interactive", "[::]:80"],
        &["check", "::ffff:0.0.0.0"],
        // --plot and --report: the file kind and folder are checked before anything runs.
        &["ping", "--plot", "rtt.jpg", "-c", "1", "::1"],
        &["ping", "--plot", "rtt", "-c", "1", "::1"],
        &[
            "ping",
            "--plot",
            "/nonexistent-netlab-dir/rtt.svg",
            "-c",
            "1",
            "::1",
        ],
        &["trace", "--plot", "path.pdf", "::1"],
        &["trace", "--plot", "/nonexistent-netlab-dir/path.png", "::1"],
        &[
            "trace",
            "-c",
            "2",
            "--plot",
            "/nonexistent-netlab-dir/rounds.svg",
            "::1",
        ],
        &["trace", "--watch", "--plot", "rounds.jpg", "::1"],
        &["check", "--plot", ".svg", "::1"],
        &["check", "--plot", "/nonexistent-netlab-dir/page.svg", "::1"],
        &["check", "--report", "/proc/netlab-report", "::1"],
        &["resolve", "--format", "markdown", "--json", "localhost"],
        &["resolve", "--format", "md", "localhost"],
        // Issue 9: --eol, -N, --send-file bounds, name-file bounds, inet_aton and IDN forms.
        &["connect", "--eol", "cr", "--send", "x", "localhost:80"],
        &["connect", "--eol", "lf", "localhost:80"],
        &[
            "connect",
            "--eol",
            "lf",
            "--send-file",
            "/dev/null",
            "localhost:80",
        ],
        &["connect", "-N", "localhost:80"],
        &["connect", "-N", "-u", "--send", "x", "localhost:80"],
        &["connect", "--interactive", "-N", "localhost:80"],
        &[
            "connect",
            "--send-file",
            "/nonexistent/netlab",
            "localhost:80",
        ],
        &["connect", "-u", "--send-file", "/dev/zero", "localhost:80"],
        &["serve", "7000", "--eol", "none"],
        &["serve", "7000", "--chat", "--eol", "cr"],
        &["resolve", "-f", "/dev/zero"],
        &["ping", "--file", "/dev/zero"],
        &["connect", "08.1.1.1:80"],
        &["connect", "0x.1.1.1:80"],
        &["ping", "1.2.65536"],
        &["connect", "bü cher.example:80"],
        // --format atlas: only ping, trace and resolve have an Atlas result type.
        &["connect", "--format", "atlas", "localhost:7"],
        &["serve", "--format", "atlas", "7000"],
        &["check", "--format", "atlas", "localhost"],
        &["ping", "--json", "--format", "atlas", "::1"],
        &["trace", "--format", "ATLAS", "::1"],
        // exporter: listen addresses, targets, config files (before anything listens).
        &["exporter", "--listen", "9470"],
        &["exporter", "--listen", "localhost:9470"],
        &["exporter", "--listen", "127.0.0.1:99999"],
        &["exporter", "--listen", "127.0.0.1:1", "bad!name"],
        &["exporter", "--listen", "127.0.0.1:1", "127.0.0.1:80"],
        &[
            "exporter",
            "--listen",
            "127.0.0.1:1",
            "127.0.0.1",
            "127.0.0.1",
        ],
        &[
            "exporter",
            "--listen",
            "127.0.0.1:1",
            "--config",
            "/nonexistent.toml",
        ],
        &["exporter", "--config"],
        &["exporter", "--bogus"],
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for args in cases {
        let out = netlab(args);
        assert_one_line_error(&out, &format!("netlab {args:?}"));
    }
}

/// The ```text blocks after a module doc's `# JSON...` heading: the schema the code
/// documents next to the code that writes it.
fn json_schema_blocks(source: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let (mut seen, mut inside, mut current) = (false, false, Vec::new());
    for line in source.lines().filter_map(|l| l.strip_prefix("//!")) {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.starts_with('#') && line.contains("JSON") {
            seen = true;
        } else if !seen {
        } else if !inside && line.trim() == "```text" {
            inside = true;
            current.clear();
        } else if inside && line.trim() == "```" {
            inside = false;
            blocks.push(current.join("\n"));
        } else if inside {
            current.push(line);
        } else if line.starts_with("# ") && !blocks.is_empty() {
            break;
        }
    }
    blocks
}

/// The README's JSON section is the schemas documented beside the code, word for word:
/// change one and this fails until the other follows (copy the block across).
#[test]
fn readme_documents_every_json_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(netlab::resolve::JSON_SCHEMA),
        "README lacks resolve's schema"
    );
    for command in ["connect", "ping", "trace", "serve", "check"] {
        let source = std::fs::read_to_string(root.join(format!("src/{command}/mod.rs"))).unwrap();
        let blocks = json_schema_blocks(&source);
        assert!(
            !blocks.is_empty(),
            "src/{command}/mod.rs documents no JSON schema"
        );
        for block in blocks {
            assert!(
                readme.contains(&block),
                "README's JSON section is missing (or has an old copy of) {command}'s schema:\n{block}"
            );
        }
    }
}
