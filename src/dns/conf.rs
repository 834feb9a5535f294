//! The stub resolver's configuration: `/etc/resolv.conf`, read the way glibc's resolver
//! reads it (resolv.conf(5)), or on Windows the DNS servers and suffixes of the network
//! adapters that are up, as `net::resolver` hands them over.
//!
//! The reader is a thin shell over the pure [`parse`] and [`from_adapters`], so every rule
//! is tested with fixtures instead of touching `/etc` or an adapter (hickory does the
//! same). netlab has its own parser
//! rather than hickory's because it needs glibc's exact semantics and limits: which
//! server comes first (that is what the `source` column reports), `rotate`, `use-vc`,
//! `single-request`, `no-tld-query`, and the `LOCALDOMAIN` / `RES_OPTIONS` overrides.
//!
//! Reading the standard path is right inside a namespace: `ip netns exec NS` bind-mounts
//! `/etc/netns/NS/resolv.conf` over it.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::error::Failure;
use crate::net::resolver::{self, Adapter, Config};

/// Where the configuration comes from, as an error line or a warning names it
/// (`/etc/resolv.conf`, or Windows' adapters).
pub const ORIGIN: &str = resolver::ORIGIN;

/// glibc's MAXNS: servers after the third are ignored.
pub const MAX_SERVERS: usize = 3;

/// The resolver configuration that matters for a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemConf {
    /// At most [`MAX_SERVERS`], in file order, port 53.
    pub servers: Vec<SocketAddr>,
    /// The search list (last `search` or `domain` line wins), without trailing dots;
    /// `"."` stands for the root.
    pub search: Vec<String>,
    pub ndots: usize,
    /// Per-try timeout (`options timeout:N`, default 5s, at most 30s).
    pub timeout: Duration,
    /// Rounds over the server list (`options attempts:N`, default 2, at most 5).
    pub attempts: usize,
    pub rotate: bool,
    /// `options use-vc`: every query over TCP.
    pub use_vc: bool,
    /// `options single-request`: A then AAAA, not both at once.
    pub single_request: bool,
    /// `options no-tld-query`: never ask a single-label name as is.
    pub no_tld_query: bool,
}

impl Default for SystemConf {
    fn default() -> Self {
        SystemConf {
            servers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
            rotate: false,
            use_vc: false,
            single_request: false,
            no_tld_query: false,
        }
    }
}

/// Parses resolv.conf text. Lines glibc would ignore are ignored too, and reported in the
/// second value so the user can be told.
pub fn parse(bytes: &[u8]) -> (SystemConf, Vec<String>) {
    let mut conf = SystemConf::default();
    let mut notes = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        // Keywords and comments count only at the very start of a line, as in glibc.
        if line.is_empty() || line.starts_with([';', '#', ' ', '\t']) {
            continue;
        }
        let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            "nameserver" => match words.next() {
                None => notes.push(format!("line {number}: nameserver without an address")),
                Some(addr) => match parse_server(addr) {
                    Ok(_) if conf.servers.len() >= MAX_SERVERS => notes.push(format!(
                        "line {number}: nameserver {addr} ignored: only the first {MAX_SERVERS} are used"
                    )),
                    Ok(server) => conf.servers.push(server),
                    Err(why) => notes.push(format!("line {number}: nameserver {addr} ignored: {why}")),
                },
            },
            "domain" => {
                conf.search = words.next().map(clean_domain).into_iter().collect();
            }
            "search" => {
                conf.search = words.map(clean_domain).collect();
            }
            "options" => {
                for option in words {
                    apply_option(&mut conf, option);
                }
            }
            // sortlist and unknown keywords change nothing netlab shows.
            _ => {}
        }
    }
    (conf, notes)
}

/// The environment overrides glibc honours: `LOCALDOMAIN` replaces the search list and
/// `RES_OPTIONS` is read as more `options`.
pub fn apply_env(conf: &mut SystemConf, localdomain: Option<&str>, res_options: Option<&str>) {
    if let Some(domains) = localdomain {
        conf.search = domains.split_whitespace().map(clean_domain).collect();
    }
    if let Some(options) = res_options {
        for option in options.split_whitespace() {
            apply_option(conf, option);
        }
    }
}

/// Reads and checks the system configuration (exit 2 when it cannot be used).
pub fn load() -> Result<(SystemConf, Vec<String>), Failure> {
    let config = resolver::read().map_err(|err| {
        Failure::new(format!("reading {ORIGIN}"), err)
            .with_hint("without it there is no nameserver to ask; use --server ADDR")
    })?;
    let from_file = matches!(config, Config::File(_));
    let (mut conf, notes) = match config {
        Config::File(bytes) => parse(&bytes),
        Config::Adapters(adapters) => (from_adapters(&adapters), Vec::new()),
    };
    if from_file {
        // glibc's variables; Windows' resolver knows nothing of them.
        apply_env(
            &mut conf,
            std::env::var("LOCALDOMAIN").ok().as_deref(),
            std::env::var("RES_OPTIONS").ok().as_deref(),
        );
    }
    if conf.servers.is_empty() {
        return Err(if from_file {
            Failure::new(ORIGIN, "no usable nameserver line").with_hint(
                "add 'nameserver ADDR' to it, or ask a server directly with --server ADDR",
            )
        } else {
            Failure::new(ORIGIN, "no DNS server on an adapter that is up").with_hint(
                "set one in the adapter's settings (ipconfig /all lists them), \
                 or ask a server directly with --server ADDR",
            )
        });
    }
    Ok((conf, notes))
}

/// Windows' settings as a configuration: the servers of the adapters that are up, in the
/// system's adapter order, without repeats and without the three site-local placeholders
/// Windows lists on an IPv6 adapter that has no server (`fec0:0:0:ffff::1` to `::3`, as
/// Go's resolver skips them); at most [`MAX_SERVERS`], as from resolv.conf. The search
/// list is their suffixes (connection-specific first), without repeats. The rest is the
/// defaults: Windows keeps no `ndots`, timeout or attempts per adapter.
pub fn from_adapters(adapters: &[Adapter]) -> SystemConf {
    let mut conf = SystemConf::default();
    for adapter in adapters.iter().filter(|a| a.up) {
        for server in &adapter.servers {
            let mut server = *server;
            server.set_port(53);
            if conf.servers.len() < MAX_SERVERS
                && !is_windows_placeholder(server.ip())
                && !conf.servers.contains(&server)
            {
                conf.servers.push(server);
            }
        }
        for suffix in &adapter.suffixes {
            let suffix = clean_domain(suffix.trim());
            if !suffix.is_empty() && !conf.search.contains(&suffix) {
                conf.search.push(suffix);
            }
        }
    }
    conf
}

/// `fec0:0:0:ffff::1`, `::2`, `::3`: what Windows lists as an adapter's DNS servers when
/// it has none for IPv6 (deprecated site-local addresses that nothing answers).
fn is_windows_placeholder(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            s[..4] == [0xfec0, 0, 0, 0xffff] && s[4..7] == [0, 0, 0] && (1..=3).contains(&s[7])
        }
        IpAddr::V4(_) => false,
    }
}

fn clean_domain(domain: &str) -> String {
    if domain == "." {
        return ".".to_string();
    }
    domain.strip_suffix('.').unwrap_or(domain).to_string()
}

fn parse_server(text: &str) -> Result<SocketAddr, String> {
    if let Some((addr, zone)) = text.split_once('%') {
        let addr: IpAddr = addr.parse().map_err(|_| "not an IP address".to_string())?;
        // A numeric zone is an interface index; a name would need the OS to translate it.
        return match zone.parse::<u32>() {
            Ok(index) if addr.is_ipv6() => Ok(SocketAddr::V6(std::net::SocketAddrV6::new(
                match addr {
                    IpAddr::V6(v6) => v6,
                    IpAddr::V4(_) => unreachable!("checked is_ipv6"),
                },
                53,
                0,
                index,
            ))),
            _ => Err(format!(
                "zone '%{zone}' is not supported (use the interface index, e.g. %2)"
            )),
        };
    }
    let addr: IpAddr = text.parse().map_err(|_| "not an IP address".to_string())?;
    Ok(SocketAddr::new(addr, 53))
}

fn apply_option(conf: &mut SystemConf, option: &str) {
    let (name, value) = match option.split_once(':') {
        Some((name, value)) => (name, Some(value)),
        None => (option, None),
    };
    let number = || value.and_then(|v| v.parse::<u64>().ok());
    match name {
        "ndots" => {
            if let Some(n) = number() {
                conf.ndots = n.min(15) as usize;
            }
        }
        "timeout" => {
            if let Some(n) = number() {
                conf.timeout = Duration::from_secs(n.clamp(1, 30));
            }
        }
        "attempts" => {
            if let Some(n) = number() {
                conf.attempts = n.clamp(1, 5) as usize;
            }
        }
        "rotate" => conf.rotate = true,
        "use-vc" => conf.use_vc = true,
        "single-request" | "single-request-reopen" => conf.single_request = true,
        "no-tld-query" => conf.no_tld_query = true,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn defaults_are_glibcs() {
        let (conf, notes) = parse(b"nameserver 198.18.100.53\n");
        assert!(notes.is_empty());
        assert_eq!(conf.servers, vec![addr("198.18.100.53:53")]);
        assert_eq!(conf.ndots, 1);
        assert_eq!(conf.timeout, Duration::from_secs(5));
        assert_eq!(conf.attempts, 2);
        assert!(conf.search.is_empty());
        assert!(!conf.rotate && !conf.use_vc && !conf.single_request && !conf.no_tld_query);
    }

    #[test]
    fn a_typical_file() {
        let text = b"# generated by netlab's lab\n\
            ; old-style comment\n\
            search netlab.test example.test.\n\
            nameserver 198.18.100.53\n\
            nameserver\tfd4e:6c61:62:100::53   # trailing words are ignored\n\
            options ndots:2 timeout:1 attempts:3 rotate edns0 trust-ad\n";
        let (conf, notes) = parse(text);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            conf.servers,
            vec![addr("198.18.100.53:53"), addr("[fd4e:6c61:62:100::53]:53")]
        );
        assert_eq!(conf.search, vec!["netlab.test", "example.test"]);
        assert_eq!(conf.ndots, 2);
        assert_eq!(conf.timeout, Duration::from_secs(1));
        assert_eq!(conf.attempts, 3);
        assert!(conf.rotate);
    }

    #[test]
    fn last_search_or_domain_line_wins() {
        let (conf, _) = parse(b"search a.test b.test\ndomain c.test\n");
        assert_eq!(conf.search, vec!["c.test"]);
        let (conf, _) = parse(b"domain c.test\nsearch a.test b.test\n");
        assert_eq!(conf.search, vec!["a.test", "b.test"]);
        let (conf, _) = parse(b"search .\n");
        assert_eq!(conf.search, vec!["."]);
    }

    #[test]
    fn only_three_servers_and_bad_lines_are_reported() {
        let text = b"nameserver 192.0.2.1\nnameserver bogus\nnameserver 192.0.2.2\n\
            nameserver 192.0.2.3\nnameserver 192.0.2.4\nnameserver fe80::1%eth0\nnameserver\n";
        let (conf, notes) = parse(text);
        assert_eq!(conf.servers.len(), 3);
        assert_eq!(conf.servers[2], addr("192.0.2.3:53"));
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(notes[0].starts_with("line 2: nameserver bogus ignored"));
        assert!(notes[1].contains("only the first 3"));
        assert!(notes[3].contains("without an address"));
    }

    #[test]
    fn numeric_zone_is_kept() {
        let (conf, notes) = parse(b"nameserver fe80::53%3\n");
        assert!(notes.is_empty());
        let SocketAddr::V6(v6) = conf.servers[0] else {
            panic!("v6")
        };
        assert_eq!(v6.scope_id(), 3);
    }

    #[test]
    fn options_are_clamped_like_glibc() {
        let (conf, _) = parse(
            b"options ndots:99 timeout:0 attempts:100 use-vc single-request no-tld-query ndots:x\n",
        );
        assert_eq!(conf.ndots, 15);
        assert_eq!(conf.timeout, Duration::from_secs(1));
        assert_eq!(conf.attempts, 5);
        assert!(conf.use_vc && conf.single_request && conf.no_tld_query);
        let (conf, _) = parse(b"options timeout:60\n");
        assert_eq!(conf.timeout, Duration::from_secs(30));
    }

    #[test]
    fn keywords_must_start_the_line_and_garbage_is_harmless() {
        let (conf, _) = parse(b"  nameserver 192.0.2.1\nnameservers 192.0.2.2\n\xff\xfe\x00\n");
        assert!(conf.servers.is_empty());
        let (conf, _) = parse(b"");
        assert_eq!(conf, SystemConf::default());
    }

    fn adapter(up: bool, servers: &[&str], suffixes: &[&str]) -> Adapter {
        Adapter {
            up,
            servers: servers.iter().map(|s| s.parse().unwrap()).collect(),
            suffixes: suffixes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn adapters_that_are_up_give_their_servers_in_order() {
        let conf = from_adapters(&[
            adapter(false, &["192.0.2.9:0"], &["down.test"]),
            adapter(
                true,
                &["198.18.100.53:0", "[fd4e:6c61:62:100::53]:0"],
                &["netlab.test", ""],
            ),
            adapter(
                true,
                &["198.18.100.53:0", "[fe80::53%7]:0"],
                &["", "netlab.test", "b.test."],
            ),
        ]);
        assert_eq!(
            conf.servers,
            vec![
                addr("198.18.100.53:53"),
                addr("[fd4e:6c61:62:100::53]:53"),
                addr("[fe80::53%7]:53")
            ]
        );
        let SocketAddr::V6(v6) = conf.servers[2] else {
            panic!("v6")
        };
        assert_eq!(v6.scope_id(), 7, "the zone of a link-local server is kept");
        assert_eq!(conf.search, vec!["netlab.test", "b.test"]);
        let rest = SystemConf {
            servers: Vec::new(),
            search: Vec::new(),
            ..conf
        };
        assert_eq!(rest, SystemConf::default(), "the rest is the defaults");
    }

    #[test]
    fn windows_placeholders_and_servers_past_the_third_are_left_out() {
        let conf = from_adapters(&[adapter(
            true,
            &[
                "[fec0:0:0:ffff::1%1]:53",
                "[fec0:0:0:ffff::2%1]:53",
                "[fec0:0:0:ffff::3%1]:53",
                "[fec0:0:0:ffff::4]:53",
                "192.0.2.1:53",
                "192.0.2.2:53",
                "192.0.2.3:53",
            ],
            &[],
        )]);
        assert_eq!(
            conf.servers,
            vec![
                addr("[fec0:0:0:ffff::4]:53"),
                addr("192.0.2.1:53"),
                addr("192.0.2.2:53")
            ]
        );
        assert!(from_adapters(&[]).servers.is_empty());
        assert!(from_adapters(&[adapter(false, &["192.0.2.1:53"], &[])])
            .servers
            .is_empty());
    }

    #[test]
    fn environment_overrides() {
        let (mut conf, _) = parse(b"search netlab.test\noptions ndots:1\nnameserver 192.0.2.1\n");
        apply_env(
            &mut conf,
            Some("a.test  b.test."),
            Some("ndots:3 attempts:1"),
        );
        assert_eq!(conf.search, vec!["a.test", "b.test"]);
        assert_eq!(conf.ndots, 3);
        assert_eq!(conf.attempts, 1);
        apply_env(&mut conf, None, None);
        assert_eq!(conf.ndots, 3);
    }
}
