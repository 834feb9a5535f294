//! The lab's authoritative DNS server (hickory-server, in-process) and the client
//! namespace's resolver files.
//!
//! The zones are written as zone-file text and parsed by hickory, so the records a test
//! asserts on read exactly like what a person would type into BIND. [`Zones::text`] keeps
//! the generated text for failure messages.
//!
//! Records of `netlab.test.` (TTL [`TTL`] unless noted; D4/D6 = the destination's link
//! addresses, see `Lab::dest_v4`/`dest_v6`):
//! - apex: SOA `ns1.netlab.test. hostmaster.netlab.test. 1 3600 600 86400 60`,
//!   NS `ns1.netlab.test.`, MX `10 mail.netlab.test.`, TXT `"v=netlab lab"`,
//!   CAA `0 issue "netlab.test"`
//! - `ns1`: A 198.18.100.53, AAAA fd4e:6c61:62:100::53
//! - `www`, `dest`, `override`: A D4, AAAA D6 (the client's hosts file says otherwise for
//!   `override`)
//! - `alias` CNAME `alias2.netlab.test.`, `alias2` CNAME `www.netlab.test.`
//! - `multi`: A 198.18.100.1, 198.18.100.2, 198.18.100.3 (all on the destination)
//! - `mail`: A D4; `v4only`: A D4 (no AAAA); `v6only`: AAAA D6 (no A)
//! - `_echo._tcp`: SRV `0 0 7 www.netlab.test.`
//! - `client`, `r1`..`rN`: A and AAAA of every address of that node (routers have two)
//! - `silent`: never answered, any type, UDP or TCP (timeout tests); `servfail`: SERVFAIL
//!   (not authoritative); both exact names only
//! - the record types of `resolve -t` beyond the basics: `www` HTTPS [`HTTPS`] and SSHFP
//!   [`SSHFP`], `svc` SVCB [`SVCB`], `_443._tcp.www` TLSA [`TLSA`], `naptr` NAPTR
//!   [`NAPTR`], `signed` DS ([`ds_rdata`]) and the apex DNSKEY ([`dnskey_rdata`]). DS and
//!   DNSKEY are added as opaque data after the zone text is parsed: hickory's zone parser
//!   reads them only with its DNSSEC features (DNSKEY not at all)
//! - the AS zone [`ASN_ZONE`] in Team Cymru's format (trace -A): every address of link k
//!   is in AS [`link_asn`]`(k)` = 64500 + k, prefix 198.18.k.0/24 or fd4e:6c61:62:k::/64:
//!   `2.0.18.198.origin.asn` / `<nibbles>.origin6.asn` TXT
//!   `"64500 | 198.18.0.0/24 | ZZ | netlab | 2026-12-01"`, and `AS64500.asn` TXT
//!   `"64500 | ZZ | netlab | 2026-12-01 | NETLAB-LINK0 - netlab lab link 0, ZZ"`
//! - anything else under `netlab.test.`: NXDOMAIN (negative TTL [`NEGATIVE_TTL`])
//!
//! Reverse zones `18.198.in-addr.arpa.` (198.18.0.0/16) and `2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa.`
//! (fd4e:6c61:62::/48): one PTR per address, naming its node: `client.netlab.test.`,
//! `rI.netlab.test.` (both router addresses), `dest.netlab.test.` (the canonical name of
//! the destination's link address — not `www`), `ns1.netlab.test.` for the DNS address and
//! `multi.netlab.test.` for the three multi addresses. Names outside these zones: REFUSED.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_proto::serialize::txt::Parser;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::Server;
use tokio::runtime::Runtime;

use super::netns::in_ns;
use super::services::{tcp_listener, udp_socket};
use super::topology::{DNS_V4, DNS_V6, MULTI_V4};

/// The forward zone.
pub const ZONE: &str = "netlab.test.";
/// TTL of every record in every lab zone.
pub const TTL: u32 = 300;
/// SOA MINIMUM of every lab zone. NXDOMAIN/NODATA answers carry the SOA in their
/// authority section with its own TTL ([`TTL`]), so by RFC 2308 a cache keeps them for
/// min(300, 60) = 60 s.
pub const NEGATIVE_TTL: u32 = 60;
/// SOA serial of every lab zone.
pub const SERIAL: u32 = 1;
pub const TXT: &str = "v=netlab lab";
pub const MX_PREFERENCE: u16 = 10;
pub const MX_HOST: &str = "mail.netlab.test.";
pub const NS_HOST: &str = "ns1.netlab.test.";
/// The extra record types, as zone-file text (and so as dig writes them, bar case).
pub const HTTPS: &str = "1 . alpn=h2,h3 port=443";
pub const SVCB: &str = "1 www.netlab.test. port=8443";
pub const TLSA: &str = "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
pub const SSHFP: &str = "4 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
pub const NAPTR: &str = "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.netlab.test.";
/// DS of `signed.netlab.test.`: key tag 12345, algorithm 13, digest type 2, a 32-byte
/// digest 0x00..0x1f.
pub fn ds_rdata() -> Vec<u8> {
    let mut rdata = vec![0x30, 0x39, 13, 2];
    rdata.extend(0u8..32);
    rdata
}
/// The apex DNSKEY: flags 257 (a KSK), protocol 3, algorithm 13, a 64-byte key 0x40..0x7f.
pub fn dnskey_rdata() -> Vec<u8> {
    let mut rdata = vec![0x01, 0x01, 3, 13];
    rdata.extend(0x40u8..0x80);
    rdata
}

/// The AS zone the lab serves, inside `netlab.test.` (`trace -A --asn-zone asn.netlab.test`).
pub const ASN_ZONE: &str = "asn.netlab.test";
/// The AS of every address on link k.
pub fn link_asn(link: usize) -> u32 {
    64500 + link as u32
}
/// The AS name record's name field of link k's AS.
pub fn link_as_name(link: usize) -> String {
    format!("NETLAB-LINK{link} - netlab lab link {link}, ZZ")
}

/// The link an address of the lab's plan is on (None for the service addresses).
fn link_of(addr: &IpAddr) -> Option<usize> {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            (o[0] == 198 && o[1] == 18 && o[2] < 100).then_some(usize::from(o[2]))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            (s[0..3] == [0xfd4e, 0x6c61, 0x62] && s[3] < 0x100).then_some(usize::from(s[3]))
        }
    }
}

/// The Cymru origin name of `addr`, relative to `netlab.test.`.
fn origin_label(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.origin.asn", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let nibbles: Vec<String> = a
                .octets()
                .iter()
                .rev()
                .flat_map(|b| [b & 0xf, b >> 4])
                .map(|n| format!("{n:x}"))
                .collect();
            format!("{}.origin6.asn", nibbles.join("."))
        }
    }
}

/// Never answered, over UDP or TCP.
pub const SILENT_NAME: &str = "silent.netlab.test.";
/// Always answered with SERVFAIL.
pub const SERVFAIL_NAME: &str = "servfail.netlab.test.";
pub const REVERSE_V4_ZONE: &str = "18.198.in-addr.arpa.";
pub const REVERSE_V6_ZONE: &str = "2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa.";

/// A node's addresses and the one name all of them map back to.
pub struct Host {
    /// Label under `netlab.test.` (`client`, `r1`, `dest`).
    pub label: String,
    pub addrs: Vec<IpAddr>,
}

/// The generated zone texts, keyed by origin.
pub struct Zones {
    pub text: Vec<(String, String)>,
}

impl Zones {
    /// `dest` is the destination's link addresses (v4, v6); `hosts` every node including it.
    pub fn new(dest: (IpAddr, IpAddr), hosts: &[Host]) -> Self {
        let (d4, d6) = dest;
        let mut forward = format!(
            "$ORIGIN {ZONE}
$TTL {TTL}
@ IN SOA {NS_HOST} hostmaster.netlab.test. {SERIAL} 3600 600 86400 {NEGATIVE_TTL}
@ IN NS {NS_HOST}
@ IN MX {MX_PREFERENCE} {MX_HOST}
@ IN TXT \"{TXT}\"
@ IN CAA 0 issue \"netlab.test\"
ns1 IN A {DNS_V4}
ns1 IN AAAA {DNS_V6}
www IN A {d4}
www IN AAAA {d6}
override IN A {d4}
override IN AAAA {d6}
alias IN CNAME alias2.netlab.test.
alias2 IN CNAME www.netlab.test.
mail IN A {d4}
v4only IN A {d4}
v6only IN AAAA {d6}
_echo._tcp IN SRV 0 0 7 www.netlab.test.
www IN HTTPS {HTTPS}
www IN SSHFP {SSHFP}
svc IN SVCB {SVCB}
_443._tcp.www IN TLSA {TLSA}
naptr IN NAPTR {NAPTR}
"
        );
        for addr in MULTI_V4 {
            forward.push_str(&format!("multi IN A {addr}\n"));
        }
        for host in hosts {
            for addr in &host.addrs {
                let ty = if addr.is_ipv4() { "A" } else { "AAAA" };
                forward.push_str(&format!("{} IN {ty} {addr}\n", host.label));
            }
        }
        let mut as_names = std::collections::BTreeSet::new();
        for addr in hosts.iter().flat_map(|h| h.addrs.iter()) {
            let Some(link) = link_of(addr) else { continue };
            let asn = link_asn(link);
            let prefix = match addr {
                IpAddr::V4(_) => format!("198.18.{link}.0/24"),
                IpAddr::V6(_) => format!("fd4e:6c61:62:{link:x}::/64"),
            };
            forward.push_str(&format!(
                "{} IN TXT \"{asn} | {prefix} | ZZ | netlab | 2026-12-01\"\n",
                origin_label(addr)
            ));
            if as_names.insert(link) {
                forward.push_str(&format!(
                    "AS{asn}.asn IN TXT \"{asn} | ZZ | netlab | 2026-12-01 | {}\"\n",
                    link_as_name(link)
                ));
            }
        }

        let mut reverse_v4 = reverse_head(REVERSE_V4_ZONE);
        let mut reverse_v6 = reverse_head(REVERSE_V6_ZONE);
        let mut ptrs: Vec<(IpAddr, String)> = hosts
            .iter()
            .flat_map(|h| h.addrs.iter().map(move |a| (*a, h.label.clone())))
            .collect();
        ptrs.push((DNS_V4.into(), "ns1".into()));
        ptrs.push((DNS_V6.into(), "ns1".into()));
        ptrs.extend(
            MULTI_V4
                .iter()
                .map(|a| (IpAddr::from(*a), "multi".to_string())),
        );
        for (addr, label) in ptrs {
            let zone = if addr.is_ipv4() {
                &mut reverse_v4
            } else {
                &mut reverse_v6
            };
            zone.push_str(&format!("{} IN PTR {label}.{ZONE}\n", Name::from(addr)));
        }

        Zones {
            text: vec![
                (ZONE.into(), forward),
                (REVERSE_V4_ZONE.into(), reverse_v4),
                (REVERSE_V6_ZONE.into(), reverse_v6),
            ],
        }
    }

    fn catalog(&self) -> Result<Catalog, String> {
        let mut catalog = Catalog::new();
        for (origin, text) in &self.text {
            let origin_name = Name::from_ascii(origin).map_err(|e| e.to_string())?;
            let (name, mut records) = Parser::new(text.as_str(), None, Some(origin_name))
                .parse()
                .map_err(|e| format!("zone {origin}: {e}\n{text}"))?;
            if origin == ZONE {
                let signed = Name::from_ascii("signed.netlab.test.").map_err(|e| e.to_string())?;
                for (owner, kind, rdata) in [
                    (signed, RecordType::DS, ds_rdata()),
                    (name.clone(), RecordType::DNSKEY, dnskey_rdata()),
                ] {
                    let record = Record::from_rdata(
                        owner.clone(),
                        TTL,
                        RData::Unknown {
                            code: kind,
                            rdata: NULL::with(rdata),
                        },
                    );
                    records
                        .entry(RrKey::new(LowerName::new(&owner), kind))
                        .or_insert_with(|| RecordSet::new(owner.clone(), kind, SERIAL))
                        .insert(record, SERIAL);
                }
            }
            let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
                name.clone(),
                records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
            )
            .map_err(|e| format!("zone {origin}: {e}"))?;
            catalog.upsert(LowerName::new(&name), vec![Arc::new(handler)]);
        }
        Ok(catalog)
    }
}

fn reverse_head(origin: &str) -> String {
    format!(
        "$ORIGIN {origin}
$TTL {TTL}
@ IN SOA {NS_HOST} hostmaster.netlab.test. {SERIAL} 3600 600 86400 {NEGATIVE_TTL}
@ IN NS {NS_HOST}
"
    )
}

/// The catalog plus the two special names tests need and no real zone can express.
struct LabHandler {
    catalog: Catalog,
    silent: LowerName,
    servfail: LowerName,
}

impl LabHandler {
    async fn handle<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let name = request.queries.queries().first().map(|q| q.name());
        if name == Some(&self.silent) {
            // Report a response to the server's bookkeeping but send nothing.
            return ResponseInfo::from(Header {
                metadata: Metadata::response_from_request(&request.metadata),
                counts: HeaderCounts::default(),
            });
        }
        if name == Some(&self.servfail) {
            let response = MessageResponseBuilder::from_message_request(request)
                .error_msg(&request.metadata, ResponseCode::ServFail);
            return match response_handle.send_response(response).await {
                Ok(info) => info,
                Err(_) => ResponseInfo::from(Header {
                    metadata: Metadata::response_from_request(&request.metadata),
                    counts: HeaderCounts::default(),
                }),
            };
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

// Written out instead of using #[async_trait] (what the trait is declared with), to avoid
// a dev-dependency for one impl. This is exactly the signature that macro generates.
impl RequestHandler for LabHandler {
    fn handle_request<'life0, 'life1, 'async_trait, R, T>(
        &'life0 self,
        request: &'life1 Request,
        response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: 'async_trait + ResponseHandler,
        T: 'async_trait + Time,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.handle::<R, T>(request, response_handle))
    }
}

/// How long the server keeps an idle TCP connection open.
const TCP_IDLE: Duration = Duration::from_secs(5);

/// Binds UDP and TCP port 53 on [`DNS_V4`] and [`DNS_V6`] inside `ns` and serves `zones`
/// on `rt` until the runtime shuts down.
pub fn start(rt: &Runtime, ns: &str, zones: &Zones) -> io::Result<()> {
    let handler = LabHandler {
        catalog: zones.catalog().map_err(io::Error::other)?,
        silent: LowerName::new(&Name::from_ascii(SILENT_NAME).expect("valid name")),
        servfail: LowerName::new(&Name::from_ascii(SERVFAIL_NAME).expect("valid name")),
    };
    let mut sockets = Vec::new();
    for ip in [IpAddr::from(DNS_V4), IpAddr::from(DNS_V6)] {
        let addr = SocketAddr::new(ip, 53);
        sockets.push(in_ns(ns, || {
            Ok::<_, io::Error>((udp_socket(addr)?, tcp_listener(addr)?))
        })?);
    }
    let _guard = rt.enter();
    let mut server = Server::new(handler);
    for (udp, tcp) in sockets {
        server.register_socket(tokio::net::UdpSocket::from_std(udp.into())?);
        server.register_listener(tokio::net::TcpListener::from_std(tcp.into())?, TCP_IDLE, 64);
    }
    // The server's tasks live in its JoinSet: keep it alive on the runtime until shutdown.
    rt.spawn(async move {
        let _ = server.block_until_done().await;
    });
    Ok(())
}
