//! Prometheus metrics, served at `/metrics` in the text format: requests by route and status,
//! the connection pools, and plugin calls. Route labels are the route table's patterns
//! (`/api/v1/groups/{id}`), never raw paths, so that the number of series stays fixed however
//! many groups there are.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tenantry_plugin_host::Failure;
use tenantry_storage::PoolUsage;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
    /// The hook (`before_create`, …), `tick`, or `http`.
    call: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: String,
}

/// Every metric the server keeps. Cheap to update from any thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    plugin_calls: Family<PluginLabels, Histogram>,
    plugin_failures: Family<PluginLabels, Counter>,
    pool_open: Family<PoolLabels, Gauge>,
    pool_idle: Family<PoolLabels, Gauge>,
    pool_max: Family<PoolLabels, Gauge>,
}

/// Latency buckets from 1 ms to about 16 s: our reads take a millisecond, a distributor-wide
/// report a second or so.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("tenantry");
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> _,
        );
        let plugin_calls =
            Family::<PluginLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let plugin_failures = Family::<PluginLabels, Counter>::default();
        let (pool_open, pool_idle, pool_max) =
            (Family::default(), Family::default(), Family::default());
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests by method, route pattern and status, and how long they took",
            requests.clone(),
        );
        registry.register(
            "plugin_call_duration_seconds",
            "Calls into plugins (hooks, ticks, plugin routes) and how long they took",
            plugin_calls.clone(),
        );
        registry.register(
            "plugin_call_failures",
            "Plugin calls that failed (a panic, an unreadable answer, a failed host service; \
             not a plugin's refusal)",
            plugin_failures.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in each pool",
            pool_open.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Open connections not in use",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most connections each pool opens",
            pool_max.clone(),
        );
        Metrics {
            registry,
            requests,
            plugin_calls,
            plugin_failures,
            pool_open,
            pool_idle,
            pool_max,
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .observe(took.as_secs_f64());
    }

    pub fn observe_plugin(&self, plugin: &str, call: &str, took: Duration, failed: bool) {
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
            call: call.to_owned(),
        };
        self.plugin_calls
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if failed {
            self.plugin_failures.get_or_create(&labels).inc();
        }
    }

    /// The text exposition, with the pools as they stand now.
    pub fn render(&self, pools: &[PoolUsage]) -> Result<String, std::fmt::Error> {
        for pool in pools {
            let labels = PoolLabels {
                pool: pool.pool.to_owned(),
            };
            self.pool_open
                .get_or_create(&labels)
                .set(i64::from(pool.open));
            self.pool_idle
                .get_or_create(&labels)
                .set(i64::from(pool.idle));
            self.pool_max
                .get_or_create(&labels)
                .set(i64::from(pool.max));
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Runs a call into a plugin, timing it and counting it as failed when the plugin failed (a
/// panic, an answer the host cannot read, a host service that failed). A plugin's own error
/// answer (a refusal, a caller's bad input) is the plugin working, not failing.
pub fn plugin_call<T>(
    metrics: &Metrics,
    plugin: &str,
    call: &str,
    work: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let started = std::time::Instant::now();
    let outcome = work();
    let failed = matches!(&outcome, Err(failure) if !matches!(failure, Failure::Error(_)));
    metrics.observe_plugin(plugin, call, started.elapsed(), failed);
    outcome
}

/// Middleware: times every request and counts it under its route pattern and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().as_str().to_owned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        // Known only once routing ran; paths no route matched share one label.
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.observe_request(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_every_family_with_its_labels() {
        let metrics = Metrics::default();
        metrics.observe_request("GET", "/api/v1/groups/{id}", 200, Duration::from_millis(3));
        metrics.observe_request("BREW", "unmatched", 404, Duration::from_millis(1));
        metrics.observe_plugin("crm", "before_create", Duration::from_millis(2), true);
        let text = metrics
            .render(&[PoolUsage {
                pool: "shared",
                open: 3,
                idle: 2,
                max: 8,
            }])
            .unwrap();
        for expected in [
            "tenantry_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/groups/{id}\",status=\"200\"} 1",
            "method=\"other\",route=\"unmatched\",status=\"404\"",
            "tenantry_plugin_call_failures_total{plugin=\"crm\",call=\"before_create\"} 1",
            "tenantry_db_pool_connections{pool=\"shared\"} 3",
            "tenantry_db_pool_max_connections{pool=\"shared\"} 8",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
    }
}
