//! The HTTP side: axum on the exporter's tokio runtime, three routes.
//!
//! - `GET /metrics`: the registry, OpenMetrics text.
//! - `GET /probe?target=..&module=..`: one probe (`probe.rs`); 400 for bad
//!   parameters, 403 for a target not allowed, 503 when every probe slot is taken,
//!   each with its reason as plain text.
//! - `POST /-/reload`: reload the config, as SIGHUP does (Prometheus' endpoint).
//! - `GET /`: a short page naming the others.
//!
//! Connections are bounded: past [`MAX_CONNECTIONS`] the listener stops accepting
//! (the kernel's backlog holds the rest) until one closes, so a crowd of idle clients
//! cannot grow the exporter's memory. Requests on a connection are served one at a time
//! (HTTP/1.1), so the bound holds for requests too. And a connection that moves no byte
//! either way for its idle limit is closed, so idle clients cannot hold every slot
//! (axum's server sets no header or idle timeout of its own).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use super::metrics::{Metrics, ProbeLabels};
use super::probe::{parse_request, Prober, Refusal};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 128;
/// How long a connection may be quiet (plus the probe timeout) before it is closed.
pub const IDLE: Duration = Duration::from_secs(30);

/// OpenMetrics, as `prometheus-client` writes it.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where `POST /-/reload` waits for the reload's outcome.
pub type ReloadReply = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct Shared {
    pub metrics: Arc<Metrics>,
    /// Replaced by a reload; a probe keeps the one it started with.
    pub prober: Arc<RwLock<Arc<Prober>>>,
    /// To the run loop, which reloads as on SIGHUP.
    pub reload: mpsc::Sender<ReloadReply>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/probe", get(probe))
        .route("/-/reload", post(reload).put(reload))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found: try /metrics or /probe\n") })
        .with_state(shared)
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><head><title>netlab exporter</title></head><body><h1>netlab exporter</h1>\
         <p><a href=\"/metrics\">/metrics</a>: every configured target.</p>\
         <p>/probe?target=HOST&amp;module=icmp|tcp|dns|trace: one probe.</p></body></html>\n",
    )
}

/// The classic text format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `POST /-/reload` (Prometheus' own endpoint): 200 once reloaded, 500 with the reason
/// when the file is bad and the running config was kept.
async fn reload(State(shared): State<Shared>) -> Response {
    let (tx, rx) = oneshot::channel();
    if shared.reload.send(tx).await.is_err() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into());
    }
    match rx.await {
        Ok(Ok(())) => text(StatusCode::OK, "reloaded".into()),
        Ok(Err(why)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reload failed, kept the running config: {why}"),
        ),
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into()),
    }
}

async fn metrics(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    exposition(&headers, shared.metrics.encode())
}

/// OpenMetrics when the client accepts it (Prometheus does), else the classic format.
fn exposition(headers: &HeaderMap, openmetrics: String) -> Response {
    let wants_openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if wants_openmetrics {
        ([(header::CONTENT_TYPE, OPENMETRICS)], openmetrics).into_response()
    } else {
        (
            [(header::CONTENT_TYPE, TEXT_FORMAT)],
            super::metrics::classic_text(&openmetrics),
        )
            .into_response()
    }
}

async fn probe(
    State(shared): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let count = |module: &str, result: &str| {
        shared
            .metrics
            .probes
            .get_or_create(&ProbeLabels {
                module: module.into(),
                result: result.into(),
            })
            .inc();
    };
    let params = match query {
        Ok(Query(params)) => params,
        Err(e) => {
            count("none", "bad_request");
            return text(StatusCode::BAD_REQUEST, format!("bad query string: {e}"));
        }
    };
    let request = match parse_request(&params) {
        Ok(r) => r,
        Err(refusal) => {
            count("none", "bad_request");
            return refused(refusal);
        }
    };
    let module = request.module.as_str();
    let prober = match shared.prober.read() {
        Ok(p) => p.clone(),
        Err(_) => return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into()),
    };
    if let Err(refusal) = prober.check(&request) {
        count(module, "forbidden");
        return refused(refusal);
    }
    let scrape = headers
        .get("x-prometheus-scrape-timeout-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 3600.0)
        .map(Duration::from_secs_f64);
    shared.metrics.probes_in_flight.inc();
    let answer = prober.run(request, scrape).await;
    shared.metrics.probes_in_flight.dec();
    match answer {
        Ok(body) => {
            let success = body.contains("\nprobe_success 1\n");
            count(module, if success { "success" } else { "failure" });
            exposition(&headers, body)
        }
        Err(refusal) => {
            count(module, "busy");
            refused(refusal)
        }
    }
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::BadRequest(why) => text(StatusCode::BAD_REQUEST, why),
        Refusal::Forbidden(why) => text(StatusCode::FORBIDDEN, why),
        Refusal::Busy(why) => text(StatusCode::SERVICE_UNAVAILABLE, why),
    }
}

fn text(status: StatusCode, why: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{why}\n"),
    )
        .into_response()
}

/// A listener that holds one of [`MAX_CONNECTIONS`] permits per open connection.
pub struct Limited {
    pub listener: TcpListener,
    pub slots: Arc<Semaphore>,
    /// How long a connection may move no byte before it is closed.
    pub idle: Duration,
}

impl axum::serve::Listener for Limited {
    type Io = Counted;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Counted, std::net::SocketAddr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                std::future::pending::<()>().await;
                continue;
            };
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        Counted {
                            stream,
                            _permit: permit,
                            idle: self.idle,
                            quiet: Box::pin(tokio::time::sleep(self.idle)),
                        },
                        peer,
                    );
                }
                // EMFILE and friends: wait a little rather than spin (as axum's own
                // listener does).
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection and its permit: the permit goes back when the connection is dropped.
pub struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    /// Fires when no byte has moved for `idle`.
    quiet: Pin<Box<tokio::time::Sleep>>,
}

impl Counted {
    /// A byte moved: the idle clock starts again.
    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.quiet.as_mut().reset(next);
    }

    /// Pending I/O: has the connection been quiet too long?
    fn check_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.quiet.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                self.moved();
                Poll::Ready(r)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.moved();
                Poll::Ready(r)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_quiet_connection_is_closed_and_its_slot_comes_back() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let slots = Arc::new(Semaphore::new(1));
        let mut limited = Limited {
            listener,
            slots: slots.clone(),
            idle: Duration::from_millis(100),
        };
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = limited.accept().await;
        assert_eq!(slots.available_permits(), 0);
        // Bytes moving keep it open.
        client.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).await.unwrap(), 3);
        // Then silence closes it.
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(conn);
        assert_eq!(slots.available_permits(), 1);
    }
}
