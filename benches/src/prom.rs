//! The server's `/metrics`, parsed by the prometheus-parse crate, and what a measured window
//! takes from two scrapes: counters and gauges summed over their label sets, histograms
//! summed the same way, their difference, and quantiles interpolated inside buckets.

use prometheus_parse::Value;

/// Every sample of one scrape.
#[derive(Debug, Clone)]
pub struct Scrape {
    samples: Vec<prometheus_parse::Sample>,
}

/// A histogram summed over all its label sets: cumulative counts by upper bound.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// `(le, cumulative count)`, ascending by `le`; the last bound is usually `+Inf`.
    pub buckets: Vec<(f64, f64)>,
    pub count: f64,
    pub sum: f64,
}

impl Scrape {
    /// Parses exposition text; lines that do not parse are skipped.
    pub fn parse(text: &str) -> Self {
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        // Reading from a `str` has no I/O error to report.
        let samples =
            prometheus_parse::Scrape::parse(lines).map_or_else(|_| Vec::new(), |s| s.samples);
        Self { samples }
    }

    /// Several servers' scrapes as one (the nodes of a cluster): every counter, gauge and
    /// histogram then sums over the servers as it does over label sets.
    pub fn merge(parts: impl IntoIterator<Item = Scrape>) -> Self {
        Self {
            samples: parts.into_iter().flat_map(|p| p.samples).collect(),
        }
    }

    /// Whether any sample of this metric (or of its histogram series) is present.
    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|s| {
            s.metric == name
                || s.metric
                    .strip_prefix(name)
                    .is_some_and(|r| ["_bucket", "_count", "_sum", "_total"].contains(&r))
        })
    }

    /// The sum of a counter or gauge over all its label sets (a counter exposed with or
    /// without its `_total` suffix is found either way).
    pub fn sum(&self, name: &str) -> Option<f64> {
        let alt = name
            .strip_suffix("_total")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{name}_total"));
        [name, alt.as_str()].into_iter().find_map(|n| {
            let values: Vec<f64> = self
                .samples
                .iter()
                .filter(|s| s.metric == n)
                .filter_map(|s| match s.value {
                    Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
                    Value::Histogram(_) | Value::Summary(_) => None,
                })
                .collect();
            (!values.is_empty()).then(|| values.iter().sum())
        })
    }

    /// A histogram (declared `# TYPE name histogram`), its buckets summed over label sets.
    pub fn histogram(&self, name: &str) -> Option<Histogram> {
        let mut buckets: Vec<(f64, f64)> = Vec::new();
        for s in self.samples.iter().filter(|s| s.metric == name) {
            let Value::Histogram(counts) = &s.value else {
                continue;
            };
            for c in counts {
                match buckets
                    .iter_mut()
                    .find(|(le, _)| le.total_cmp(&c.less_than).is_eq())
                {
                    Some(b) => b.1 += c.count,
                    None => buckets.push((c.less_than, c.count)),
                }
            }
        }
        if buckets.is_empty() {
            return None;
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let count = self
            .sum(&format!("{name}_count"))
            .unwrap_or_else(|| buckets.last().map_or(0.0, |b| b.1));
        let sum = self.sum(&format!("{name}_sum")).unwrap_or(f64::NAN);
        Some(Histogram {
            buckets,
            count,
            sum,
        })
    }
}

impl Histogram {
    /// What was observed between `before` and `self` (a later scrape of the same histogram).
    pub fn since(&self, before: &Histogram) -> Histogram {
        let buckets = self
            .buckets
            .iter()
            .map(|(le, c)| {
                let old = before
                    .buckets
                    .iter()
                    .find(|(l, _)| l.total_cmp(le).is_eq())
                    .map_or(0.0, |b| b.1);
                (*le, (c - old).max(0.0))
            })
            .collect();
        Histogram {
            buckets,
            count: (self.count - before.count).max(0.0),
            sum: self.sum - before.sum,
        }
    }

    /// The `q` quantile, interpolated linearly inside its bucket as Prometheus's
    /// `histogram_quantile` does. A quantile in the `+Inf` bucket reports the highest
    /// finite bound. `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total;
        let mut prev = (0.0, 0.0);
        for &(le, c) in &self.buckets {
            if c >= rank && c > prev.1 {
                if le.is_infinite() {
                    return Some(prev.0);
                }
                let within = (rank - prev.1) / (c - prev.1);
                return Some(prev.0 + (le - prev.0) * within.clamp(0.0, 1.0));
            }
            prev = (le, c);
        }
        Some(prev.0)
    }

    /// The upper bound of the highest bucket that holds an observation: the maximum is at
    /// most this (`+Inf` if the top bucket holds one).
    pub fn max_bound(&self) -> Option<f64> {
        let mut prev = 0.0;
        let mut bound = None;
        for &(le, c) in &self.buckets {
            if c > prev {
                bound = Some(le);
            }
            prev = c;
        }
        bound
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0.0 && self.sum.is_finite()).then(|| self.sum / self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram as ClientHistogram;
    use prometheus_client::registry::Registry;

    const TEXT: &str = r#"# HELP tickwire_tick_duration_seconds Lobby tick time.
# TYPE tickwire_tick_duration_seconds histogram
tickwire_tick_duration_seconds_bucket{le="0.0001"} 10
tickwire_tick_duration_seconds_bucket{le="0.001"} 90
tickwire_tick_duration_seconds_bucket{le="0.01"} 100
tickwire_tick_duration_seconds_bucket{le="+Inf"} 100
tickwire_tick_duration_seconds_sum 0.05
tickwire_tick_duration_seconds_count 100
# TYPE tickwire_missed_ticks_total counter
tickwire_missed_ticks_total 3
tickwire_bytes_out_total{kind="snapshot"} 1000
tickwire_bytes_out_total{kind="control"} 24
"#;

    #[test]
    fn counters_and_histograms() {
        let s = Scrape::parse(TEXT);
        assert_eq!(s.sum("tickwire_missed_ticks_total"), Some(3.0));
        assert_eq!(s.sum("tickwire_missed_ticks"), Some(3.0));
        assert_eq!(s.sum("tickwire_bytes_out_total"), Some(1024.0));
        assert_eq!(s.sum("tickwire_lobbies"), None);
        let h = s
            .histogram("tickwire_tick_duration_seconds")
            .expect("histogram");
        assert_eq!(h.count, 100.0);
        let p50 = h.quantile(0.5).expect("p50");
        assert!((p50 - 0.00055).abs() < 1e-9, "{p50}");
        assert_eq!(h.max_bound(), Some(0.01));
        let empty = h.since(&h);
        assert_eq!(empty.quantile(0.5), None);
        assert!(s.has("tickwire_tick_duration_seconds"));
        assert!(!s.has("tickwire_tick"));
        assert!(Scrape::parse("not metrics at all {\n").sum("not").is_none());
    }

    #[test]
    fn two_nodes_merged_sum_like_one() {
        let both = Scrape::merge([Scrape::parse(TEXT), Scrape::parse(TEXT)]);
        assert_eq!(both.sum("tickwire_missed_ticks_total"), Some(6.0));
        let h = both
            .histogram("tickwire_tick_duration_seconds")
            .expect("histogram");
        assert_eq!((h.count, h.sum), (200.0, 0.1));
        assert_eq!(h.buckets[1], (0.001, 180.0));
        assert_eq!(Scrape::merge([]).sum("tickwire_missed_ticks"), None);
    }

    /// What the server's metrics library writes (OpenMetrics text: `# EOF`, `_total`
    /// counters, label sets) reads back as it was recorded.
    #[test]
    fn reads_what_the_server_writes() {
        let mut registry = Registry::default();
        let ticks = Family::<Vec<(String, String)>, ClientHistogram>::new_with_constructor(|| {
            ClientHistogram::new([0.001, 0.002, 0.005])
        });
        let missed = Counter::<u64>::default();
        let bytes = Family::<Vec<(String, String)>, Counter>::default();
        let clients = Gauge::<i64>::default();
        registry.register("tickwire_tick_duration_seconds", "Tick time", ticks.clone());
        registry.register("tickwire_missed_ticks", "Missed ticks", missed.clone());
        registry.register("tickwire_bytes_out", "Bytes out", bytes.clone());
        registry.register("tickwire_clients", "Clients", clients.clone());
        let lobby = |n: &str| vec![("lobby".to_owned(), n.to_owned())];
        for v in [0.0005, 0.0015, 0.0015, 0.003] {
            ticks.get_or_create(&lobby("a")).observe(v);
        }
        for v in [0.0005, 0.01] {
            ticks.get_or_create(&lobby("b")).observe(v);
        }
        missed.inc_by(7);
        bytes
            .get_or_create(&vec![("kind".into(), "snapshot".into())])
            .inc_by(1000);
        bytes
            .get_or_create(&vec![("kind".into(), "control".into())])
            .inc_by(24);
        clients.set(200);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");

        let s = Scrape::parse(&text);
        assert_eq!(s.sum("tickwire_missed_ticks"), Some(7.0), "{text}");
        assert_eq!(s.sum("tickwire_bytes_out_total"), Some(1024.0));
        assert_eq!(s.sum("tickwire_clients"), Some(200.0));
        let h = s
            .histogram("tickwire_tick_duration_seconds")
            .expect("histogram");
        assert_eq!(
            h.buckets,
            vec![
                (0.001, 2.0),
                (0.002, 4.0),
                (0.005, 5.0),
                (f64::INFINITY, 6.0)
            ]
        );
        assert_eq!(h.count, 6.0);
        assert!((h.sum - 0.017).abs() < 1e-12, "{}", h.sum);
        // Rank 3 of 6 lies halfway through the (1 ms, 2 ms] bucket; the top one is +Inf.
        assert_eq!(h.quantile(0.5), Some(0.0015));
        assert_eq!(h.quantile(1.0), Some(0.005));
        assert_eq!(h.max_bound(), Some(f64::INFINITY));
    }
}
