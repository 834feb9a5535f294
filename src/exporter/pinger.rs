//! The continuous ping: a consumer of the ping engine, through `ping::measure` (the one
//! driver of every ping netlab sends) with no count and no deadline, so it runs until
//! the exporter stops. Its observer turns each engine event into a counter or a
//! histogram observation; nothing is kept per probe, so memory stays what the engine
//! holds (bounded: `ping::engine::RETAINED_FINISHED`).

use std::future::Future;
use std::sync::Arc;

use super::metrics::{ErrorLabels, Metrics, PingHandles};
use crate::error::Failure;
use crate::ping::engine::{Event, Probe, ReplyStatus};
use crate::ping::{self, Observer};
use crate::target::Resolved;

/// Counts what the engine reports into the registry.
pub struct Counting {
    pub handles: Vec<PingHandles>,
    pub metrics: Arc<Metrics>,
}

impl Observer for Counting {
    fn sent(&mut self, probe: &Probe) {
        self.handles[probe.target.0].requests.inc();
    }

    fn event(&mut self, event: &Event) -> impl Future<Output = ()> {
        match event {
            Event::Reply {
                target,
                ttl,
                rtt,
                status,
                ..
            } => {
                let h = &self.handles[target.0];
                match status {
                    ReplyStatus::Ok => {
                        h.rtt.observe(rtt.as_secs_f64());
                        if let Some(ttl) = ttl {
                            h.ttl.set(*ttl as i64);
                        }
                    }
                    ReplyStatus::Duplicate => {
                        h.duplicates.inc();
                    }
                    ReplyStatus::Late => {
                        h.late.inc();
                    }
                }
            }
            Event::Timeout { target, .. } => {
                self.handles[target.0].timeouts.inc();
            }
            Event::Error { target, kind, .. } => {
                let l = &self.handles[target.0].labels;
                self.metrics.icmp_error(ErrorLabels {
                    host: l.host.clone(),
                    ip: l.ip.clone(),
                    kind: kind.as_str().to_string(),
                    extra: l.extra.clone(),
                });
            }
            Event::SendFailed { target, .. } => {
                self.handles[target.0].send_errors.inc();
            }
            // Only `ping -O` asks for these; the exporter's timeouts count the losses.
            Event::Outstanding { .. } => {}
        }
        async {}
    }
}

/// Pings `targets` until the caller drops this future; never ends without targets.
pub async fn run(
    settings: ping::Settings,
    sockets: Option<ping::Sockets>,
    targets: Vec<Resolved>,
    handles: Vec<PingHandles>,
    metrics: Arc<Metrics>,
) -> Result<(), Failure> {
    let Some(sockets) = sockets else {
        return std::future::pending().await;
    };
    let mut observer = Counting { handles, metrics };
    ping::measure(
        &settings,
        sockets,
        &targets,
        &mut observer,
        ping::Signals::Leave,
    )
    .await?;
    Ok(())
}
