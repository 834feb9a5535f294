//! Which absolute names a lookup asks for: glibc's `res_nsearch` rules for the search list
//! and `ndots`, and the reverse names of addresses.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::conf::SystemConf;

/// The names to ask, in order, for `name` as typed (already validated), following
/// glibc's `res_nsearch`:
/// - a trailing dot: the name as is, nothing else;
/// - at least `ndots` dots: as is first, then each search domain;
/// - fewer dots: each search domain, then as is (unless `no-tld-query` and no dot at all).
///
/// A search domain of `.` (the root) is the name as is, tried in its place.
pub fn candidates(name: &str, conf: &SystemConf) -> Vec<String> {
    if name.ends_with('.') {
        return vec![name.to_string()];
    }
    let dots = name.matches('.').count();
    let as_is = format!("{name}.");
    let mut list = Vec::new();
    if dots >= conf.ndots {
        list.push(as_is.clone());
    }
    for domain in &conf.search {
        let candidate = if domain == "." {
            as_is.clone()
        } else {
            format!("{name}.{domain}.")
        };
        if !list.contains(&candidate) {
            list.push(candidate);
        }
    }
    if !list.contains(&as_is) && (dots > 0 || conf.search.is_empty() || !conf.no_tld_query) {
        list.push(as_is);
    }
    list
}

/// `in-addr.arpa.` / `ip6.arpa.` name of an address (RFC 1035 3.5, RFC 3596 2.5).
pub fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(73);
            for byte in v6.octets().iter().rev() {
                let _ = write!(name, "{:x}.{:x}.", byte & 0x0f, byte >> 4);
            }
            name.push_str("ip6.arpa.");
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(search: &[&str], ndots: usize) -> SystemConf {
        SystemConf {
            search: search.iter().map(|s| s.to_string()).collect(),
            ndots,
            ..SystemConf::default()
        }
    }

    #[test]
    fn single_label_tries_the_search_list_first() {
        let c = conf(&["netlab.test", "example.test"], 1);
        assert_eq!(
            candidates("www", &c),
            ["www.netlab.test.", "www.example.test.", "www."]
        );
    }

    #[test]
    fn enough_dots_tries_as_is_first() {
        let c = conf(&["netlab.test"], 1);
        assert_eq!(
            candidates("www.netlab.test", &c),
            ["www.netlab.test.", "www.netlab.test.netlab.test."]
        );
        let c = conf(&["netlab.test"], 3);
        assert_eq!(
            candidates("a.b", &c),
            ["a.b.netlab.test.", "a.b."],
            "fewer dots than ndots: search first"
        );
        let c = conf(&["netlab.test"], 0);
        assert_eq!(candidates("www", &c), ["www.", "www.netlab.test."]);
    }

    #[test]
    fn trailing_dot_is_absolute() {
        let c = conf(&["netlab.test"], 1);
        assert_eq!(candidates("www.", &c), ["www."]);
        assert_eq!(candidates("www.netlab.test.", &c), ["www.netlab.test."]);
    }

    #[test]
    fn no_search_list_means_as_is_only() {
        let c = conf(&[], 1);
        assert_eq!(candidates("www", &c), ["www."]);
        let mut c = conf(&[], 1);
        c.no_tld_query = true;
        assert_eq!(candidates("www", &c), ["www."], "nothing else to try");
    }

    #[test]
    fn no_tld_query_and_root_in_the_list() {
        let mut c = conf(&["netlab.test"], 1);
        c.no_tld_query = true;
        assert_eq!(candidates("www", &c), ["www.netlab.test."]);
        assert_eq!(
            candidates("www.sub", &c),
            ["www.sub.", "www.sub.netlab.test."]
        );
        let c = conf(&["netlab.test", ".", "example.test"], 1);
        assert_eq!(
            candidates("www", &c),
            ["www.netlab.test.", "www.", "www.example.test."]
        );
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("198.18.2.2".parse().unwrap()),
            "2.2.18.198.in-addr.arpa."
        );
        assert_eq!(
            reverse_name("fd4e:6c61:62:2::2".parse().unwrap()),
            "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa."
        );
    }
}
