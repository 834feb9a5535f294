//! `netlab resolve --short` and the record types beyond the basics (HTTPS, SVCB, DS,
//! DNSKEY, TLSA, SSHFP, NAPTR, ANY), each compared with `dig +short` asking the lab's DNS
//! server the same question.

use std::collections::BTreeSet;
use std::process::Output;

use crate::lab::{dns, lab, Lab, LabConfig, Role};
use crate::util::{assert_one_line_error, json, netlab, stderr, stdout};

fn ours(lab: &Lab, args: &[&str]) -> Output {
    let out = lab.netlab(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    out
}

fn dig_short(lab: &Lab, kind: &str, name: &str) -> String {
    let server = format!("@{}", lab.dns_v4());
    let out = lab.exec(Role::Client, &["dig", "+short", &server, kind, name]);
    assert!(out.status.success(), "dig {kind} {name}: {out:?}");
    stdout(&out)
}

/// dig quotes SVCB values (`alpn="h2,h3"`); the record is the same without them.
fn unquoted(text: &str) -> String {
    text.replace('"', "").to_ascii_lowercase()
}

#[test]
fn each_new_type_reads_as_dig_writes_it() {
    let lab = lab!(LabConfig::default());
    let server = lab.dns_v4().to_string();
    let cases: [(&str, &str, String); 7] = [
        ("HTTPS", "www.netlab.test", dns::HTTPS.to_string()),
        ("SVCB", "svc.netlab.test", dns::SVCB.to_string()),
        ("TLSA", "_443._tcp.www.netlab.test", dns::TLSA.to_string()),
        ("SSHFP", "www.netlab.test", dns::SSHFP.to_string()),
        ("NAPTR", "naptr.netlab.test", dns::NAPTR.to_string()),
        (
            "DS",
            "signed.netlab.test",
            "12345 13 2 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F"
                .to_string(),
        ),
        ("DNSKEY", "netlab.test", String::new()),
    ];
    for (kind, name, expected) in cases {
        let out = ours(
            &lab,
            &["resolve", "--server", &server, "-t", kind, "--short", name],
        );
        let mine = stdout(&out);
        let theirs = dig_short(&lab, kind, name);
        if kind == "HTTPS" || kind == "SVCB" {
            assert_eq!(unquoted(&mine), unquoted(&theirs), "{kind}");
        } else {
            assert_eq!(mine, theirs, "{kind} {name}");
        }
        // The zone's text, bar dig's line breaks in long hex and its quotes.
        if !expected.is_empty() {
            let bare = |t: &str| unquoted(t).replace(' ', "");
            assert_eq!(bare(mine.trim()), bare(&expected), "{kind}");
        }
        // The table and the JSON name the type and hold the same value.
        let out = ours(
            &lab,
            &["resolve", "--server", &server, "-t", kind, "--json", name],
        );
        let doc = json(&out);
        let answer = &doc["queries"][0]["answers"][0];
        assert_eq!(answer["type"], kind, "{doc:#}");
        assert_eq!(answer["value"], mine.trim(), "{doc:#}");
    }
    // The DNSKEY, as dig shows it: flags, protocol, algorithm, the key in base64.
    let out = ours(
        &lab,
        &[
            "resolve",
            "--server",
            &server,
            "-t",
            "dnskey",
            "--short",
            "netlab.test",
        ],
    );
    assert!(
        stdout(&out).starts_with("257 3 13 QEFCQ0RF"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn any_lists_what_the_name_holds() {
    let lab = lab!(LabConfig::default());
    let server = lab.dns_v4().to_string();
    let out = ours(
        &lab,
        &[
            "resolve",
            "--server",
            &server,
            "-t",
            "ANY",
            "--json",
            "www.netlab.test",
        ],
    );
    let doc = json(&out);
    let kinds: BTreeSet<&str> = doc["queries"][0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    // A server may give every record set or, as RFC 8482 allows, just one (hickory
    // gives one): whatever it gives is shown.
    let held: BTreeSet<&str> = ["A", "AAAA", "HTTPS", "SSHFP"].into_iter().collect();
    assert!(!kinds.is_empty() && kinds.is_subset(&held), "{doc:#}");
    // dig agrees on every value.
    let out = ours(
        &lab,
        &[
            "resolve",
            "--server",
            &server,
            "-t",
            "any",
            "--short",
            "www.netlab.test",
        ],
    );
    let mine: BTreeSet<String> = stdout(&out).lines().map(unquoted).collect();
    let theirs: BTreeSet<String> = dig_short(&lab, "ANY", "www.netlab.test")
        .lines()
        .map(unquoted)
        .collect();
    assert_eq!(mine, theirs);
}

#[test]
fn short_prints_values_only_as_dig_does() {
    let lab = lab!(LabConfig::default());
    // A CNAME chain: the links' targets, then the address, one per line.
    let out = ours(&lab, &["resolve", "-t", "A", "--short", "alias"]);
    assert_eq!(stdout(&out), dig_short(&lab, "A", "alias.netlab.test"));
    assert_eq!(
        stdout(&out),
        format!("alias2.netlab.test.\nwww.netlab.test.\n{}\n", lab.dest_v4())
    );
    // The default question (A and AAAA), many names, the hosts file: values only.
    let out = ours(&lab, &["resolve", "--short", "www", "hostsonly"]);
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    let expected: BTreeSet<String> = [lab.dest_v4().to_string(), lab.dest_v6().to_string()]
        .into_iter()
        .collect();
    // www: A and AAAA from DNS; hostsonly: the hosts file's one IPv4 address.
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines.iter().cloned().collect::<BTreeSet<_>>(), expected);
    // A name that does not resolve: nothing on stdout, the error on stderr, exit 1.
    let out = lab.netlab(&["resolve", "--short", "nosuch.netlab.test"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("nosuch.netlab.test"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn short_is_for_people_not_with_json() {
    for args in [
        &["resolve", "--short", "--json", "localhost"][..],
        &["resolve", "--short", "--format", "json", "localhost"][..],
        &["resolve", "-t", "HTTPSX", "localhost"][..],
    ] {
        let out = netlab(args);
        assert_one_line_error(&out, &format!("{args:?}"));
    }
}
