//! The HTTP side: axum on the exporter's tokio runtime, three routes.
//!
//! - `GET /metrics`: the registry, OpenMetrics text.
//! - `GET /probe?target=..&module=..`: one probe (`probe.rs`); 400 for bad
//!   parameters, 403 for a target not allowed, 503 when every probe slot is taken,
//!   each with its reason as plain text.
//! - `POST /-/reload`: reload the config, as SIGHUP does (Prometheus' endpoint).
//! - `GET /`: a short page naming the others.
//!
//! With `basic_auth_users` (`web.rs`) every route needs the credentials: 401 with
//! `WWW-Authenticate: Basic` otherwise. Answers are gzip-compressed when the client
//! asks (`Accept-Encoding: gzip`, as Prometheus does), with tower-http's compression.
//! The connections themselves (bound, idle limit, TLS) are `conn.rs`'s.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, oneshot};
use tower_http::compression::CompressionLayer;

use super::metrics::{Metrics, ProbeLabels};
use super::probe::{parse_request, Prober, Refusal};
use super::web::Web;

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
    /// TLS and basic auth; replaced by a reload.
    pub web: Arc<RwLock<Arc<Web>>>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/probe", get(probe))
        .route("/-/reload", post(reload).put(reload))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found: try /metrics or /probe\n") })
        .layer(CompressionLayer::new().gzip(true))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            authorize,
        ))
        .with_state(shared)
}

/// Basic auth, when the web config has users: 401 without the right credentials.
async fn authorize(
    State(shared): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let web = shared.web.read().ok().map(|w| w.clone());
    let Some(web) = web else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into());
    };
    if let Some(auth) = &web.auth {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !auth.allows(header).await {
            let mut answer = text(StatusCode::UNAUTHORIZED, "unauthorized".into());
            answer.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"netlab exporter\""),
            );
            return answer;
        }
    }
    next.run(request).await
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
    let debug = request.debug;
    let answer = prober.run(request, scrape).await;
    shared.metrics.probes_in_flight.dec();
    match answer {
        Ok(body) => {
            let success = body.contains("\nprobe_success 1\n");
            count(module, if success { "success" } else { "failure" });
            if debug {
                return text(StatusCode::OK, body);
            }
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
