//! Statistics gathered during the measured window, and the JSON report made from them.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::config::Config;
use crate::scenario::Kind;

/// Latencies (µs) and counters; users record into a few shards of these, merged at the end.
pub struct Stats {
    /// Latency of every response in the window, whatever its status.
    pub latency: Histogram<u64>,
    /// Latency and 2xx count per [`Kind`], indexed by [`Kind::index`].
    pub kinds: Vec<(Histogram<u64>, u64)>,
    pub status: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    /// Connections opened during the run, replacing failed or closed ones.
    pub reconnects: u64,
    pub checkouts: u64,
    pub returns: u64,
    pub pairs: u64,
    /// Checkouts (201) and returns (200) over the whole run, warm-up and the last answers after the
    /// deadline included: what the database must hold afterwards.
    pub checkouts_total: u64,
    pub returns_total: u64,
}

const MAX_LATENCY_US: u64 = 3_600_000_000;

fn histogram() -> Histogram<u64> {
    // Auto-resizing, so a shard only takes the memory its largest latency needs.
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            latency: histogram(),
            kinds: Kind::ALL.iter().map(|_| (histogram(), 0)).collect(),
            status: BTreeMap::new(),
            transport_errors: 0,
            reconnects: 0,
            checkouts: 0,
            returns: 0,
            pairs: 0,
            checkouts_total: 0,
            returns_total: 0,
        }
    }

    /// Records one fully read response.
    pub fn record(&mut self, kind: Kind, status: u16, latency: Duration) {
        // `record` grows an auto-resizing histogram as needed (`saturating_record` would not: it clamps to
        // the current range). An hour bounds it well within what a histogram can hold.
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).min(MAX_LATENCY_US);
        self.latency.record(us).expect("an auto-resizing histogram takes values up to an hour");
        let (hist, ok) = &mut self.kinds[kind.index()];
        hist.record(us).expect("an auto-resizing histogram takes values up to an hour");
        if (200..300).contains(&status) {
            *ok += 1;
        }
        *self.status.entry(status).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        self.latency.add(&other.latency).expect("auto-resizing histograms merge");
        for ((hist, ok), (other_hist, other_ok)) in self.kinds.iter_mut().zip(&other.kinds) {
            hist.add(other_hist).expect("auto-resizing histograms merge");
            *ok += other_ok;
        }
        for (status, n) in &other.status {
            *self.status.entry(*status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        self.reconnects += other.reconnects;
        self.checkouts += other.checkouts;
        self.returns += other.returns;
        self.pairs += other.pairs;
        self.checkouts_total += other.checkouts_total;
        self.returns_total += other.returns_total;
    }
}

/// The one JSON line printed at the end. Latencies are in milliseconds (µs precision), `null` without requests.
#[derive(Debug, Serialize)]
pub struct Report {
    pub label: Option<String>,
    pub scenario: &'static str,
    pub connections: usize,
    /// Connections opened before the warmup.
    pub connected: usize,
    pub threads: usize,
    pub rate: Option<f64>,
    pub duration_s: f64,
    pub warmup_s: f64,
    /// Responses fully read within the measured window, any status.
    pub requests: u64,
    /// 2xx responses.
    pub ok: u64,
    /// Non-2xx responses plus transport errors.
    pub errors: u64,
    pub status: BTreeMap<String, u64>,
    pub transport_errors: u64,
    pub reconnects: u64,
    pub rps: f64,
    /// Open loop: tickets that fell due (warmup included) but found no free user before the deadline;
    /// more than a handful means the server, or too few connections, could not keep up with `rate`.
    pub unsent: Option<u64>,
    pub latency_ms: Latency,
    pub checkouts: u64,
    pub returns: u64,
    pub pairs: u64,
    pub pairs_per_s: f64,
    pub checkouts_total: u64,
    pub returns_total: u64,
    /// Per kind of request, only kinds that were sent.
    pub by_kind: BTreeMap<&'static str, KindReport>,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct KindReport {
    pub requests: u64,
    pub ok: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Microseconds to milliseconds, rounded to the microsecond.
fn ms(us: f64) -> f64 {
    us.round() / 1000.0
}

fn quantile(h: &Histogram<u64>, q: f64) -> Option<f64> {
    (!h.is_empty()).then(|| ms(h.value_at_quantile(q) as f64))
}

fn max(h: &Histogram<u64>) -> Option<f64> {
    (!h.is_empty()).then(|| ms(h.max() as f64))
}

impl Report {
    pub fn new(config: &Config, connected: usize, stats: &Stats, unsent: Option<u64>) -> Report {
        let duration_s = config.duration.as_secs_f64();
        let per_s = |n: u64| (n as f64 / duration_s * 100.0).round() / 100.0;
        let h = &stats.latency;
        let requests = h.len();
        let ok: u64 = stats.status.iter().filter(|(s, _)| (200..300).contains(*s)).map(|(_, n)| n).sum();
        let by_kind = Kind::ALL
            .iter()
            .zip(&stats.kinds)
            .filter(|(_, (hist, _))| !hist.is_empty())
            .map(|(kind, (hist, ok))| {
                let report = KindReport {
                    requests: hist.len(),
                    ok: *ok,
                    p50: quantile(hist, 0.5),
                    p90: quantile(hist, 0.9),
                    p95: quantile(hist, 0.95),
                    p99: quantile(hist, 0.99),
                    max: max(hist),
                };
                (kind.name(), report)
            })
            .collect();
        Report {
            label: config.label.clone(),
            scenario: config.scenario.name(),
            connections: config.connections,
            connected,
            threads: config.threads,
            rate: config.rate,
            duration_s,
            warmup_s: config.warmup.as_secs_f64(),
            requests,
            ok,
            errors: requests - ok + stats.transport_errors,
            status: stats.status.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            transport_errors: stats.transport_errors,
            reconnects: stats.reconnects,
            rps: per_s(requests),
            unsent,
            latency_ms: Latency {
                p50: quantile(h, 0.5),
                p90: quantile(h, 0.9),
                p95: quantile(h, 0.95),
                p99: quantile(h, 0.99),
                p999: quantile(h, 0.999),
                max: max(h),
                mean: (!h.is_empty()).then(|| ms(h.mean())),
            },
            checkouts: stats.checkouts,
            returns: stats.returns,
            pairs: stats.pairs,
            pairs_per_s: per_s(stats.pairs),
            checkouts_total: stats.checkouts_total,
            returns_total: stats.returns_total,
            by_kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_of_any_size_are_kept_and_merged() {
        let mut a = Stats::new();
        for ms in 1..=100 {
            a.record(Kind::Get, 200, Duration::from_millis(ms));
        }
        let mut b = Stats::new();
        b.record(Kind::Search, 503, Duration::from_secs(5));
        b.transport_errors = 2;
        let mut total = Stats::new();
        total.merge(&a);
        total.merge(&b);
        assert_eq!(total.latency.len(), 101);
        // 101 values: the 51st is 51 ms, the 100th 100 ms.
        let p = |q| total.latency.value_at_quantile(q);
        assert!(p(0.5).abs_diff(51_000) <= 51 && p(0.99).abs_diff(100_000) <= 100, "p50 {} p99 {}", p(0.5), p(0.99));
        assert!(total.latency.max().abs_diff(5_000_000) <= 5_000);
        assert_eq!((total.kinds[Kind::Get.index()].1, total.kinds[Kind::Search.index()].1), (100, 0));
        assert_eq!((total.status[&200], total.status[&503], total.transport_errors), (100, 1, 2));
    }
}
