//! Logs (tracing) and the Prometheus metrics the service exposes.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};
use tracing_subscriber::EnvFilter;

/// Logs to stderr; `RUST_LOG` picks what (default: info).
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        // Reporting a failed log write goes to stderr too, and panics when
        // stderr is a closed pipe: a lost log line must not stop the service.
        .log_internal_errors(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Counters of one process; the outbox depth is read from the database at
/// each scrape, since it is shared by every process.
pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    /// Seconds to answer, by method and matched route pattern
    /// (`/sessions/{id}`, never a raw path: bounded, and paths carry
    /// private tokens); [`UNMATCHED`] for what no route matched.
    pub http_duration: HistogramVec,
    pub registrations: IntCounterVec,
    pub mails_sent: IntCounter,
    pub mails_failed: IntCounter,
    /// Failed sends that will be tried again later.
    pub mails_retried: IntCounter,
    /// From handing a message to the transport to the server accepting it.
    pub mail_send_seconds: Histogram,
    pub outbox_depth: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("convene_http_requests_total", "HTTP requests answered"),
            &["method", "status"],
        )
        .expect("valid metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "convene_http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern",
            ),
            &["method", "route"],
        )
        .expect("valid metric");
        let registrations = IntCounterVec::new(
            Opts::new(
                "convene_registrations_total",
                "Registrations accepted, by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let mails_sent = IntCounter::new(
            "convene_mails_sent_total",
            "E-mails handed to the transport",
        )
        .expect("valid metric");
        let mails_failed = IntCounter::new(
            "convene_mails_failed_total",
            "E-mails given up on after their last attempt",
        )
        .expect("valid metric");
        let mails_retried = IntCounter::new(
            "convene_mails_retried_total",
            "E-mail sends that failed and will be tried again",
        )
        .expect("valid metric");
        let mail_send_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "convene_mail_send_seconds",
                "Time from handing an e-mail to the transport to its acceptance",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )
        .expect("valid metric");
        let outbox_depth = IntGauge::new("convene_outbox_depth", "E-mails waiting to be sent")
            .expect("valid metric");
        for m in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(registrations.clone()),
            Box::new(mails_sent.clone()),
            Box::new(mails_failed.clone()),
            Box::new(mails_retried.clone()),
            Box::new(mail_send_seconds.clone()),
            Box::new(outbox_depth.clone()),
        ] {
            registry.register(m).expect("metric registered once");
        }
        Self {
            registry,
            http_requests,
            http_duration,
            registrations,
            mails_sent,
            mails_failed,
            mails_retried,
            mail_send_seconds,
            outbox_depth,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus::TextEncoder::new()
            .encode_utf8(&self.registry.gather(), &mut out)
            .expect("metrics encode");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The route label of a request no route matched.
pub const UNMATCHED: &str = "(unmatched)";

/// Request spans that name the route pattern (`/r/{token}`), never the
/// path: paths carry private manage tokens.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| UNMATCHED.into());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        tracing::info!(parent: &span, "answered");
    }
}
