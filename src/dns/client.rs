//! The one door to the DNS library. netlab asks one question of one server and gets the
//! reply's response code and answer records back, in netlab's own types; which servers to
//! ask, in what order, and what a reply means is decided in `lookup/`, against the
//! [`Dns`] trait, so tests inject answers without a network. hickory (pinned, its API
//! changes between minor releases) appears in this file only.
//!
//! Why not hickory's `Resolver`? It reorders servers by latency, retries on its own and
//! does not say which server answered; netlab must ask servers in resolv.conf order, the
//! way glibc does, and report the one that answered.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::tcp::TcpClientStream;
use hickory_resolver::net::udp::UdpClientStream;
use hickory_resolver::net::xfer::{DnsHandle, FirstAnswer};
use hickory_resolver::net::NetError;
use hickory_resolver::proto::op::{
    DnsRequest, DnsRequestOptions, DnsResponse, Query, ResponseCode,
};
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use super::record::{dig_hex, dnskey_text, ds_text, quoted, Rdata, Record, RecordKind};

/// One question for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub server: SocketAddr,
    /// Absolute name in presentation form (`www.netlab.test.`).
    pub name: String,
    pub kind: RecordKind,
    /// TCP from the start; otherwise UDP, and TCP again if the reply is truncated.
    pub tcp: bool,
    /// How long to wait for this server, connection included.
    pub timeout: Duration,
}

/// The response codes netlab tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    NxDomain,
    ServFail,
    Refused,
    /// Any other code (FORMERR, NOTIMP, ...), by its number and mnemonic.
    Other(u16, &'static str),
}

/// A server's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub rcode: Rcode,
    pub answers: Vec<Record>,
    /// Whether the reply came over TCP (asked for, or after a truncated UDP reply).
    pub tcp: bool,
    /// The DNS message as it arrived (the Atlas `abuf`). These are the original bytes,
    /// not a re-encoding: hickory's UDP and TCP streams build each `DnsResponse` with
    /// `DnsResponse::from_buffer`, which keeps the buffer it parsed (`as_buffer`).
    pub wire: Vec<u8>,
    /// From sending the question to this reply (with a truncated UDP reply, both
    /// exchanges).
    pub rtt: Duration,
}

/// Why a server gave no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// Nothing within the timeout.
    Timeout,
    /// The socket failed (unreachable network, refused TCP connection, ...).
    Io(String),
    /// A reply arrived but could not be used.
    Malformed(String),
}

/// Sends one question to one server.
pub trait Dns: Send + Sync + 'static {
    fn exchange(&self, ask: Ask) -> impl Future<Output = Result<Reply, ExchangeError>> + Send;
}

/// The real thing: hickory's UDP and TCP client streams, one exchange per question, one
/// packet per try (hickory's own UDP retransmissions are turned off: the caller's
/// attempts are glibc's).
#[derive(Clone, Default)]
pub struct HickoryDns {
    provider: TokioRuntimeProvider,
}

impl HickoryDns {
    pub fn new() -> HickoryDns {
        HickoryDns::default()
    }

    async fn udp(
        &self,
        server: SocketAddr,
        request: DnsRequest,
        wait: Duration,
    ) -> Result<DnsResponse, NetError> {
        let exchange = UdpClientStream::builder(server, self.provider.clone())
            .with_timeout(Some(wait))
            .with_max_retries(1)
            .exchange();
        exchange.send(request).first_answer().await
    }

    async fn tcp(
        &self,
        server: SocketAddr,
        request: DnsRequest,
        wait: Duration,
    ) -> Result<DnsResponse, NetError> {
        let exchange =
            TcpClientStream::exchange(server, None, wait, Some(1), self.provider.clone()).await?;
        exchange.send(request).first_answer().await
    }

    async fn ask(&self, ask: &Ask) -> Result<Reply, ExchangeError> {
        let name = Name::from_ascii(&ask.name)
            .map_err(|err| ExchangeError::Malformed(format!("'{}': {err}", ask.name)))?;
        let request = || {
            let mut options = DnsRequestOptions::default();
            options.recursion_desired = true;
            options.use_edns = true;
            DnsRequest::from_query(Query::query(name.clone(), record_type(ask.kind)), options)
        };
        let mut tcp = ask.tcp;
        let started = tokio::time::Instant::now();
        let mut response = if tcp {
            self.tcp(ask.server, request(), ask.timeout).await
        } else {
            self.udp(ask.server, request(), ask.timeout).await
        }
        .map_err(exchange_error)?;
        if response.metadata.truncation && !tcp {
            tcp = true;
            response = self
                .tcp(ask.server, request(), ask.timeout)
                .await
                .map_err(exchange_error)?;
        }
        Ok(Reply {
            rcode: rcode(response.metadata.response_code),
            answers: response.answers.iter().map(convert).collect(),
            tcp,
            wire: response.as_buffer().to_vec(),
            rtt: started.elapsed(),
        })
    }
}

impl Dns for HickoryDns {
    fn exchange(&self, ask: Ask) -> impl Future<Output = Result<Reply, ExchangeError>> + Send {
        let this = self.clone();
        async move {
            // The whole exchange (connection, truncation fallback) is bounded here; hickory's
            // own timeouts are per step.
            let limit = ask.timeout.saturating_mul(if ask.tcp { 1 } else { 2 });
            match tokio::time::timeout(limit, this.ask(&ask)).await {
                Ok(result) => result,
                Err(_) => Err(ExchangeError::Timeout),
            }
        }
    }
}

fn record_type(kind: RecordKind) -> RecordType {
    match kind {
        RecordKind::A => RecordType::A,
        RecordKind::Aaaa => RecordType::AAAA,
        RecordKind::Cname => RecordType::CNAME,
        RecordKind::Mx => RecordType::MX,
        RecordKind::Ns => RecordType::NS,
        RecordKind::Txt => RecordType::TXT,
        RecordKind::Soa => RecordType::SOA,
        RecordKind::Srv => RecordType::SRV,
        RecordKind::Ptr => RecordType::PTR,
        RecordKind::Caa => RecordType::CAA,
        RecordKind::Https => RecordType::HTTPS,
        RecordKind::Svcb => RecordType::SVCB,
        RecordKind::Ds => RecordType::DS,
        RecordKind::Dnskey => RecordType::DNSKEY,
        RecordKind::Tlsa => RecordType::TLSA,
        RecordKind::Sshfp => RecordType::SSHFP,
        RecordKind::Naptr => RecordType::NAPTR,
        RecordKind::Any => RecordType::ANY,
    }
}

fn rcode(code: ResponseCode) -> Rcode {
    match code {
        ResponseCode::NoError => Rcode::NoError,
        ResponseCode::NXDomain => Rcode::NxDomain,
        ResponseCode::ServFail => Rcode::ServFail,
        ResponseCode::Refused => Rcode::Refused,
        other => {
            let code = u16::from(other);
            Rcode::Other(code, mnemonic(code))
        }
    }
}

/// dig's names for the other response codes (RFC 1035, 2136, 6891).
fn mnemonic(code: u16) -> &'static str {
    match code {
        1 => "FORMERR",
        4 => "NOTIMP",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        _ => "RCODE",
    }
}

fn exchange_error(err: NetError) -> ExchangeError {
    match err {
        NetError::Timeout => ExchangeError::Timeout,
        NetError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => ExchangeError::Timeout,
        NetError::Io(io) => ExchangeError::Io(io.to_string()),
        NetError::Proto(proto) => ExchangeError::Malformed(proto.to_string()),
        other => ExchangeError::Io(other.to_string()),
    }
}

fn convert(record: &hickory_resolver::proto::rr::Record) -> Record {
    let name = |n: &Name| n.to_ascii();
    let data = match &record.data {
        RData::A(a) => Rdata::A(a.0),
        RData::AAAA(aaaa) => Rdata::Aaaa(aaaa.0),
        RData::CNAME(target) => Rdata::Cname(name(&target.0)),
        RData::NS(target) => Rdata::Ns(name(&target.0)),
        RData::PTR(target) => Rdata::Ptr(name(&target.0)),
        RData::MX(mx) => Rdata::Mx {
            preference: mx.preference,
            exchange: name(&mx.exchange),
        },
        RData::TXT(txt) => Rdata::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::SOA(soa) => Rdata::Soa {
            mname: name(&soa.mname),
            rname: name(&soa.rname),
            serial: soa.serial,
            // RFC 1035 says 32-bit unsigned; hickory stores them signed.
            refresh: soa.refresh as u32,
            retry: soa.retry as u32,
            expire: soa.expire as u32,
            minimum: soa.minimum,
        },
        RData::SRV(srv) => Rdata::Srv {
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: name(&srv.target),
        },
        RData::CAA(caa) => Rdata::Caa {
            flags: caa.flags(),
            tag: caa.tag.clone(),
            value: caa.value.clone(),
        },
        RData::HTTPS(https) => Rdata::Other {
            kind: "HTTPS".into(),
            text: svcb_text(&https.0),
        },
        RData::SVCB(svcb) => Rdata::Other {
            kind: "SVCB".into(),
            text: svcb_text(svcb),
        },
        RData::TLSA(tlsa) => Rdata::Other {
            kind: "TLSA".into(),
            text: format!(
                "{} {} {} {}",
                u8::from(tlsa.cert_usage),
                u8::from(tlsa.selector),
                u8::from(tlsa.matching),
                dig_hex(&tlsa.cert_data)
            ),
        },
        RData::SSHFP(sshfp) => Rdata::Other {
            kind: "SSHFP".into(),
            text: format!(
                "{} {} {}",
                u8::from(sshfp.algorithm),
                u8::from(sshfp.fingerprint_type),
                dig_hex(&sshfp.fingerprint)
            ),
        },
        RData::NAPTR(naptr) => Rdata::Other {
            kind: "NAPTR".into(),
            text: format!(
                "{} {} {} {} {} {}",
                naptr.order,
                naptr.preference,
                quoted(&naptr.flags),
                quoted(&naptr.services),
                quoted(&naptr.regexp),
                name(&naptr.replacement)
            ),
        },
        // The library reads DNSSEC types as opaque data without its DNSSEC features.
        RData::Unknown { code, rdata } if *code == RecordType::DS => Rdata::Other {
            kind: "DS".into(),
            text: ds_text(&rdata.anything).unwrap_or_else(|| generic(&rdata.anything)),
        },
        RData::Unknown { code, rdata } if *code == RecordType::DNSKEY => Rdata::Other {
            kind: "DNSKEY".into(),
            text: dnskey_text(&rdata.anything).unwrap_or_else(|| generic(&rdata.anything)),
        },
        RData::Unknown { code, rdata } => Rdata::Other {
            kind: code.to_string(),
            text: generic(&rdata.anything),
        },
        other => Rdata::Other {
            kind: other.record_type().to_string(),
            text: crate::output::escape_bytes(other.to_string().as_bytes()),
        },
    };
    Record {
        name: name(&record.name),
        ttl: record.ttl,
        data,
    }
}

/// RFC 3597's generic form, `\# LENGTH HEX`, for data netlab cannot decode.
fn generic(rdata: &[u8]) -> String {
    format!("\\# {} {}", rdata.len(), dig_hex(rdata))
}

/// SVCB / HTTPS as dig writes them: priority, target, then `key=value` parameters, an
/// ALPN list quoted (`alpn="h2,h3"`). Written here because the library's own text puts a
/// comma after the last ALPN id; other parameters use the library's text.
fn svcb_text(svcb: &hickory_resolver::proto::rr::rdata::SVCB) -> String {
    use hickory_resolver::proto::rr::rdata::svcb::SvcParamValue;
    let mut text = format!("{} {}", svcb.svc_priority, svcb.target_name.to_ascii());
    for (key, value) in &svcb.svc_params {
        let value = match value {
            SvcParamValue::Alpn(alpn) => format!("\"{}\"", alpn.0.join(",")),
            other => other.to_string(),
        };
        text.push_str(&format!(" {key}={value}"));
    }
    crate::output::escape_bytes(text.as_bytes())
}
