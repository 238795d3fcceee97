//! A reader for the Prometheus text exposition format, enough to take counters, gauges and
//! histograms from the server's `/metrics` before and after a measured window.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Every sample of one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    pub samples: Vec<Sample>,
}

/// A histogram summed over all its label sets: cumulative counts by upper bound.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// `(le, cumulative count)`, ascending by `le`; the last bound is usually `+Inf`.
    pub buckets: Vec<(f64, f64)>,
    pub count: f64,
    pub sum: f64,
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Parses `{a="x",b="y"}` (without the braces); `None` if malformed.
fn parse_labels(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        chars.next()?; // '='
        if chars.next()? != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                c => value.push(c),
            }
        }
        out.push((key.trim().to_owned(), value));
    }
}

impl Scrape {
    /// Parses exposition text; lines that do not parse are skipped.
    pub fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, labels, rest) = match line.find('{') {
                Some(open) => {
                    let Some(close) = line.rfind('}') else {
                        continue;
                    };
                    let Some(labels) = parse_labels(&line[open + 1..close]) else {
                        continue;
                    };
                    (&line[..open], labels, &line[close + 1..])
                }
                None => {
                    let Some(space) = line.find(char::is_whitespace) else {
                        continue;
                    };
                    (&line[..space], Vec::new(), &line[space..])
                }
            };
            let Some(value) = rest.split_whitespace().next().and_then(parse_value) else {
                continue;
            };
            samples.push(Sample {
                name: name.trim().to_owned(),
                labels,
                value,
            });
        }
        Self { samples }
    }

    /// Whether any sample of this metric (or of its histogram series) is present.
    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|s| {
            s.name == name
                || s.name
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
        for n in [name, alt.as_str()] {
            let mut found = false;
            let mut total = 0.0;
            for s in self.samples.iter().filter(|s| s.name == n) {
                found = true;
                total += s.value;
            }
            if found {
                return Some(total);
            }
        }
        None
    }

    pub fn histogram(&self, name: &str) -> Option<Histogram> {
        let bucket = format!("{name}_bucket");
        let mut by_le: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for s in self.samples.iter().filter(|s| s.name == bucket) {
            let Some(le) = s
                .labels
                .iter()
                .find(|(k, _)| k == "le")
                .and_then(|(_, v)| parse_value(v))
            else {
                continue;
            };
            // Order bounds by their bit pattern: fine for non-negative floats and +Inf.
            let e = by_le.entry(le.to_bits()).or_insert((le, 0.0));
            e.1 += s.value;
        }
        if by_le.is_empty() {
            return None;
        }
        let mut buckets: Vec<(f64, f64)> = by_le.into_values().collect();
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
    }
}
