//! One attempt: TCP to an address netlab chose, TLS when the scheme asks, one HTTP
//! request with hyper, the response read and counted. Every edge is stamped on the
//! attempt's [`Timeline`] as it is crossed, and every phase runs under the timeout, so a
//! silent or endless server costs at most the timeout of the phase it stalls.
//!
//! hyper's client connection API (`hyper::client::conn`) is used rather than a pooled
//! client precisely so netlab opens the TCP connection itself: the name lookup belongs to
//! the caller (so `--resolve` and the system resolver are timed the same way), the
//! connect and the handshake are timed here at their edges.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::cert::{self, CertInfo};
use super::timing::Timeline;
use super::url::{Scheme, WebHost, WebTarget};
use super::verify::{Recorder, TlsSetup, Verdict};

/// Response headers larger than this end the attempt (hyper stops reading them).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Which HTTP version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 when the server offers it by ALPN, HTTP/1.1 otherwise (plain http: 1.1).
    Auto,
    /// `--http1.1`.
    Http1,
    /// `--http2`: by ALPN over TLS, with prior knowledge over plain http (h2c).
    Http2,
}

/// What to send, the same for every attempt of a run.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: String,
    /// `-H` headers, in order; they replace netlab's own of the same name.
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub body: Option<Bytes>,
    pub version: HttpVersion,
    /// Each phase's limit (`-w`).
    pub timeout: Duration,
    /// `-k`: go on when the chain does not verify.
    pub insecure: bool,
    /// `--sni NAME`: the name sent in the handshake and checked against the certificate.
    pub sni: Option<String>,
}

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: String,
    /// IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The ALPN protocol agreed (None: none).
    pub alpn: Option<String>,
    /// The server's chain as it was sent, end certificate first.
    pub chain: Vec<CertInfo>,
    /// The earliest not-after along the chain that verified, anchor included when its
    /// certificate is known (None: it did not verify). Seconds since the epoch.
    #[serde(skip)]
    pub last_chain_expiry: Option<i64>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What the response said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseInfo {
    /// `HTTP/1.1`, `HTTP/2`.
    pub http_version: String,
    pub status: u16,
    pub reason: String,
    pub server: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<String>,
    pub location: Option<String>,
    /// Bytes of body read (counted, never kept).
    pub body_bytes: u64,
}

#[cfg(test)]
impl ResponseInfo {
    /// A response with a status and nothing else, for the tests of what reads one.
    pub fn with_status(status: u16) -> ResponseInfo {
        ResponseInfo {
            http_version: "HTTP/2".into(),
            status,
            reason: "OK".into(),
            server: None,
            content_type: None,
            content_length: None,
            location: None,
            body_bytes: 0,
        }
    }
}

/// One attempt's result.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub timeline: Timeline,
    pub tls: Option<TlsInfo>,
    pub response: Option<ResponseInfo>,
    /// What stopped the attempt early (None: it went to the end).
    pub error: Option<String>,
}

/// Runs one attempt to `addr`. `timeline` already carries the start and the end of the
/// name lookup.
pub async fn attempt(
    target: &WebTarget,
    addr: SocketAddr,
    mut timeline: Timeline,
    spec: &RequestSpec,
    tls: Option<&TlsSetup>,
) -> Attempt {
    let mut attempt = Attempt {
        timeline,
        tls: None,
        response: None,
        error: None,
    };
    let mut shown = None;
    let result = run(
        target,
        addr,
        &mut timeline,
        spec,
        tls,
        &mut attempt,
        &mut shown,
    )
    .await;
    timeline.end = Some(Instant::now().into_std());
    attempt.timeline = timeline;
    if let Err(why) = result {
        attempt.error = Some(why);
    }
    // Reading the chain's fields and dating its verified path are the report's work,
    // not the request's: done once the attempt's clock has stopped (they took 0.1-0.3 ms
    // of the first-byte and TLS phases, which curl's -w does not count).
    if let (Some(shown), Some(info)) = (shown, attempt.tls.as_mut()) {
        let now = SystemTime::now();
        info.chain = shown
            .chain
            .iter()
            .filter_map(|der| cert::describe(der, now).ok())
            .collect();
        info.last_chain_expiry = shown.recorder.last_chain_expiry();
    }
    attempt
}

/// The certificates the server showed and the verifier's record, read after the attempt.
struct Shown {
    chain: Vec<CertificateDer<'static>>,
    recorder: Arc<Recorder>,
}

async fn run(
    target: &WebTarget,
    addr: SocketAddr,
    timeline: &mut Timeline,
    spec: &RequestSpec,
    tls: Option<&TlsSetup>,
    attempt: &mut Attempt,
    shown: &mut Option<Shown>,
) -> Result<(), String> {
    let limit = spec.timeout;
    // The TLS client is made before the connect, so its making is in no phase.
    let client = match target.scheme.uses_tls() {
        false => None,
        true => {
            let setup = tls.ok_or("TLS: no set-up (a bug)")?;
            let alpn: &[&[u8]] = match (target.scheme, spec.version) {
                (Scheme::Tls, _) => &[],
                (_, HttpVersion::Auto) => &[b"h2", b"http/1.1"],
                (_, HttpVersion::Http1) => &[b"http/1.1"],
                (_, HttpVersion::Http2) => &[b"h2"],
            };
            let (config, recorder) = setup.client(alpn)?;
            let name = server_name(target, spec.sni.as_deref())?;
            Some((tokio_rustls::TlsConnector::from(config), recorder, name))
        }
    };
    let tcp = match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
        Err(_) => return Err(format!("TCP connect: no answer within {}", secs(limit))),
        Ok(Err(err)) => return Err(format!("TCP connect: {}", io_text(&err))),
        Ok(Ok(tcp)) => tcp,
    };
    let _ = tcp.set_nodelay(true);
    let now = Instant::now().into_std();
    timeline.connected = Some(now);

    let Some((connector, recorder, name)) = client else {
        timeline.handshaken = Some(now);
        let h2 = spec.version == HttpVersion::Http2;
        return exchange(tcp, h2, target, timeline, spec, attempt).await;
    };
    let stream = match tokio::time::timeout(limit, connector.connect(name, tcp)).await {
        Err(_) => return Err(format!("TLS handshake: not done within {}", secs(limit))),
        Ok(Err(err)) => return Err(format!("TLS handshake: {}", io_text(&err))),
        Ok(Ok(stream)) => stream,
    };
    timeline.handshaken = Some(Instant::now().into_std());

    let conn = stream.get_ref().1;
    let chain: Vec<CertificateDer<'static>> = conn
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|der| der.clone().into_owned())
        .collect();
    let verdict = match recorder.result() {
        Some(Ok(())) => Verdict::ok(),
        Some(Err(error)) => {
            // webpki calls a self-signed end certificate an unknown issuer; its own name
            // as issuer says which it is, whatever else the server sent along.
            let self_signed = chain
                .first()
                .and_then(|der| cert::describe(der, SystemTime::now()).ok())
                .is_some_and(|c| c.self_signed);
            Verdict::from_error(&error, self_signed)
        }
        None => Verdict::from_error(
            &rustls::Error::General("the server sent no certificate".into()),
            false,
        ),
    };
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let info = TlsInfo {
        version: conn
            .protocol_version()
            .map(version_name)
            .unwrap_or_else(|| "unknown".into()),
        cipher: conn
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .unwrap_or("unknown")
            .to_string(),
        alpn: alpn.clone(),
        // Filled by `attempt` once the clock has stopped (`Shown`).
        chain: Vec::new(),
        last_chain_expiry: None,
        verdict: verdict.clone(),
    };
    attempt.tls = Some(info);
    *shown = Some(Shown { chain, recorder });
    if target.scheme == Scheme::Tls {
        return Ok(());
    }
    if !verdict.verified && !spec.insecure {
        // Not a byte of the request to a server that could not prove who it is.
        return Err(format!(
            "certificate {}; no request sent (-k sends it anyway)",
            verdict.text()
        ));
    }
    let h2 = alpn.as_deref() == Some("h2");
    exchange(stream, h2, target, timeline, spec, attempt).await
}

/// The request and the response over an open (and maybe encrypted) stream.
async fn exchange<S>(
    io: S,
    h2: bool,
    target: &WebTarget,
    timeline: &mut Timeline,
    spec: &RequestSpec,
    attempt: &mut Attempt,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limit = spec.timeout;
    let io = TokioIo::new(io);
    let request = build_request(target, spec, h2)?;
    let deadline = Instant::now() + limit;
    let head = async {
        if h2 {
            let (mut sender, conn) = http2::Builder::new(TokioExecutor::new())
                .max_header_list_size(MAX_HEADER_BYTES as u32)
                .handshake(io)
                .await
                .map_err(|e| hyper_text("HTTP/2", &e))?;
            let driver = tokio::spawn(conn);
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| hyper_text("HTTP/2", &e))?;
            Ok::<_, String>((response, driver))
        } else {
            let (mut sender, conn) = http1::Builder::new()
                .max_buf_size(MAX_HEADER_BYTES)
                .handshake(io)
                .await
                .map_err(|e| hyper_text("HTTP", &e))?;
            let driver = tokio::spawn(conn);
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| hyper_text("HTTP", &e))?;
            Ok((response, driver))
        }
    };
    let (response, driver) = match tokio::time::timeout_at(deadline, head).await {
        Err(_) => {
            return Err(format!(
                "HTTP: no response within {} of the request",
                secs(limit)
            ))
        }
        Ok(result) => result?,
    };
    // Whatever happens next, the connection's task ends with the attempt.
    let _driver = AbortOnDrop(driver);
    timeline.first_byte = Some(Instant::now().into_std());

    let header = |name: http::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let status = response.status();
    let mut info = ResponseInfo {
        http_version: version_text(response.version()),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        server: header(http::header::SERVER),
        content_type: header(http::header::CONTENT_TYPE),
        content_length: header(http::header::CONTENT_LENGTH),
        location: header(http::header::LOCATION),
        body_bytes: 0,
    };
    let mut body = response.into_body();
    let deadline = Instant::now() + limit;
    let outcome = loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                break Err(format!(
                    "HTTP: the body did not end within {} ({} bytes read)",
                    secs(limit),
                    info.body_bytes
                ))
            }
            Ok(None) => break Ok(()),
            Ok(Some(Err(err))) => {
                break Err(format!(
                    "{} after {} bytes of body",
                    hyper_text("HTTP", &err),
                    info.body_bytes
                ))
            }
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    info.body_bytes += data.len() as u64;
                }
            }
        }
    };
    if outcome.is_ok() {
        timeline.done = Some(Instant::now().into_std());
    }
    attempt.response = Some(info);
    outcome
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn build_request(
    target: &WebTarget,
    spec: &RequestSpec,
    h2: bool,
) -> Result<http::Request<Full<Bytes>>, String> {
    let method = http::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| format!("'{}' is not an HTTP method", spec.method))?;
    let uri = if h2 {
        target.url[..url::Position::AfterQuery].to_string()
    } else {
        target.path_and_query()
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(uri)
        .version(if h2 {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        });
    let headers = request.headers_mut().ok_or("a bad request line")?;
    if !h2 {
        headers.insert(
            http::header::HOST,
            http::HeaderValue::from_str(&target.authority()).map_err(|e| e.to_string())?,
        );
    }
    headers.insert(
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("netlab/", env!("CARGO_PKG_VERSION"))),
    );
    headers.insert(http::header::ACCEPT, http::HeaderValue::from_static("*/*"));
    for (name, value) in &spec.headers {
        if h2 && name == http::header::HOST {
            continue;
        }
        headers.insert(name.clone(), value.clone());
    }
    let body = spec.body.clone().unwrap_or_default();
    request
        .body(Full::new(body))
        .map_err(|err| format!("the request: {err}"))
}

fn server_name(target: &WebTarget, sni: Option<&str>) -> Result<ServerName<'static>, String> {
    match (sni, &target.host) {
        (Some(name), _) => ServerName::try_from(name.to_string())
            .map_err(|_| format!("--sni '{name}' is not a host name")),
        (None, WebHost::Name(name)) => ServerName::try_from(name.clone())
            .map_err(|_| format!("'{name}' is not a host name TLS can check")),
        (None, WebHost::Ip(ip)) => Ok(ServerName::IpAddress((*ip).into())),
    }
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

fn version_text(version: http::Version) -> String {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_11 => "HTTP/1.1",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
    .to_string()
}

/// hyper's error with its cause: `HTTP: invalid HTTP version parsed`.
fn hyper_text(what: &str, err: &hyper::Error) -> String {
    let mut text = format!("{what}: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}

fn io_text(err: &std::io::Error) -> String {
    let mut text = err.to_string();
    if let Some(inner) = err.get_ref().and_then(|e| e.source()) {
        text = format!("{text}: {inner}");
    }
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text,
    }
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}
