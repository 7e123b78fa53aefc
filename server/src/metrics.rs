//! Prometheus metrics: HTTP requests by route pattern, reports received, routing outcomes, the
//! reads of the live event streams and whether the node hears the other nodes' events.
//!
//! Each server process has its own [`Metrics`] (no global registry), exposed at `/metrics` in
//! the text exposition format. Route labels are route patterns (`/api/v1/cases/{id}`), never
//! raw paths, and method labels are the standard methods, anything else counted as `other`: a
//! client cannot invent a label, so the number of series stays bounded.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Latency buckets in seconds, dense around the 50 ms intake goal.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    reports_received: IntCounterVec,
    routing_outcomes: IntCounterVec,
    live_reads: IntCounterVec,
    listening: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("gridline".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by method, route pattern and status"),
            &["method", "route", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let reports_received = IntCounterVec::new(
            Opts::new(
                "reports_received_total",
                "Reports accepted at intake: created, or replayed by idempotency key",
            ),
            &["result"],
        )?;
        let routing_outcomes = IntCounterVec::new(
            Opts::new(
                "routing_outcomes_total",
                "Where intake routed reports: inside a cell, nearest cell, or triage",
            ),
            &["outcome"],
        )?;
        let live_reads = IntCounterVec::new(
            Opts::new(
                "live_reads_total",
                "Database reads made by the live event streams: of the case feed, or of the signals",
            ),
            &["of"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_latency.clone()))?;
        registry.register(Box::new(reports_received.clone()))?;
        registry.register(Box::new(routing_outcomes.clone()))?;
        let listening = IntGauge::new(
            "live_listening",
            "1 while the node's PostgreSQL listener hears the events and signals of every node, else 0",
        )?;
        registry.register(Box::new(live_reads.clone()))?;
        registry.register(Box::new(listening.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_latency,
            reports_received,
            routing_outcomes,
            live_reads,
            listening,
        })
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.http_latency.with_label_values(&[method, route]).observe(seconds);
    }

    /// `result` is `created` or `replayed`.
    pub fn report_received(&self, result: &str) {
        self.reports_received.with_label_values(&[result]).inc();
    }

    /// `outcome` is `inside`, `nearest` or `triage`.
    pub fn routing_outcome(&self, outcome: &str) {
        self.routing_outcomes.with_label_values(&[outcome]).inc();
    }

    /// A live event stream read the case feed (`of` is `cases`) or the signals (`signals`).
    pub fn live_read(&self, of: &str) {
        self.live_reads.with_label_values(&[of]).inc();
    }

    /// Whether the PostgreSQL listener holds its connection (`true` from the first `LISTEN`
    /// until the connection is lost): while it does not, other nodes' events wait for the poll.
    pub fn listening(&self, connected: bool) {
        self.listening.set(i64::from(connected));
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}

/// The label of a request method: one of the standard methods, or `other` for any name a
/// client made up (HTTP lets a method be any token, so the raw name would be an unbounded label).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN.iter().find(|known| **known == method).copied().unwrap_or("other")
}
