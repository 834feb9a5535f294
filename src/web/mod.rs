//! HTTP and TLS above the socket: what `connect http(s)://...`, `connect --tls` and
//! `check https://...` share (issue 19).
//!
//! Why a piece of its own: the layer above the socket is the next question after "the
//! port is open" (does the web server answer, how long does each phase take, is its
//! certificate valid), and both a command (`connect`) and a combinator (`check`, later the
//! exporter's `module=http`/`tls`) ask it. Well-kept libraries speak the protocols: rustls
//! (the system's trust store through rustls-native-certs, plus `--cacert`), tokio-rustls,
//! hyper 1's connection API over a TCP stream netlab opened itself (so each phase is timed
//! at its edge, as `curl -w` times it), x509-parser for the chain's fields.
//!
//! - [`url`]: which targets are web targets, and why a bad one is refused;
//! - [`timing`]: the phases from the instants an attempt stamped (no clock read: tested
//!   with made-up instants);
//! - [`redirect`]: `-L`'s decision after each response (pure);
//! - [`verify`]: the TLS set-up and a verifier that records webpki's verdict with its
//!   precise reason instead of aborting, so `-k` and a failing chain both show the chain;
//!   `--cacert`'s anchors are asked first and the system's store read only when they do
//!   not verify the chain;
//! - [`cert`]: a certificate's fields and days left;
//! - [`fetch`]: one attempt over the network, bounded everywhere: headers at most
//!   [`fetch::MAX_HEADER_BYTES`], the body counted and never kept, each phase under the
//!   timeout, redirects at most [`redirect::MAX_REDIRECTS`]. Only the request's own work
//!   is inside a phase: the TLS client is made before the connect, and the chain's fields
//!   are read (and its verified path dated) after the attempt's clock stops.
//!
//! The name lookup is the caller's (it sits beside this module in the layer picture, and
//! `--resolve` replaces it): an attempt starts with a [`timing::Timeline`] whose lookup
//! edge is already stamped.

pub mod cert;
pub mod fetch;
pub mod redirect;
pub mod timing;
pub mod url;
pub mod verify;

pub use fetch::{attempt, Attempt, HttpVersion, RequestSpec, ResponseInfo, TlsInfo};
pub use timing::{Phases, Timeline, PHASE_NAMES};
pub use url::{looks_like_url, Scheme, WebHost, WebTarget};
pub use verify::{Reason, TlsSetup, Verdict};
