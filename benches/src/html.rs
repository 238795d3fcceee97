//! The load test's HTML report: one self-contained page (inline SVG charts and CSS, no
//! scripts, nothing fetched) that opens from disk. Also the page shell the sweep uses.

use crate::charts::{self, ChartError, Labels, Line, number};
use crate::loadreport::{Distribution, Percentiles, Report};

/// Text made safe for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A whole HTML document around `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em auto; max-width: 1000px; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.5em; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.wide {{ overflow-x: auto; }}
figure {{ margin: 1.5em 0; }}
figure svg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.9em; margin-top: 0.3em; }}
.failed {{ color: #b00; font-weight: bold; }}
.passed {{ color: #070; font-weight: bold; }}
</style>
</head>
<body>
{body}
</body>
</html>
"#,
        title = escape(title),
    )
}

/// A chart and what it shows, as a `<figure>` with an id.
pub fn figure(id: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure id=\"{id}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(caption)
    )
}

fn absent(id: &str, what: &str) -> String {
    format!("<figure id=\"{id}\">\n<p>{}</p>\n</figure>\n", escape(what))
}

fn ms(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "n/a".into(), |v| format!("{v:.2}"))
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn row(name: &str, value: String) -> String {
    format!(
        "<tr><th>{}</th><td class=\"n\">{}</td></tr>\n",
        escape(name),
        escape(&value)
    )
}

fn p50_p90_p99(p: &Option<Percentiles>) -> String {
    match p {
        Some(p) => format!(
            "{} / {} / {} / {} ms",
            ms(Some(p.p50)),
            ms(Some(p.p90)),
            ms(Some(p.p99)),
            ms(Some(p.max))
        ),
        None => "n/a".into(),
    }
}

fn summary(r: &Report) -> String {
    let (c, l, t, s) = (&r.clients, &r.latency, &r.traffic, &r.server);
    let mut rows = String::new();
    rows += &row(
        "clients connected / failed / dropped",
        format!(
            "{} of {} / {} / {}",
            c.connected, c.target, c.failed, c.dropped
        ),
    );
    rows += &row(
        "input to snapshot p50 / p90 / p99 / max",
        p50_p90_p99(&l.input_to_snapshot),
    );
    rows += &row(
        "server-added p50 / p90 / p99 / max",
        p50_p90_p99(&l.server_added),
    );
    rows += &row(
        "inputs held a tick or more",
        l.held_inputs
            .map_or_else(|| "n/a".into(), |h| format!("{:.1}%", h * 100.0)),
    );
    rows += &row("RTT p50 / p90 / p99 / max", p50_p90_p99(&l.rtt));
    rows += &row(
        "snapshot arrival jitter p50 / p90 / p99 / max",
        p50_p90_p99(&l.snapshot_jitter),
    );
    rows += &row(
        "server tick p50 / p90 / p99 / max (from /metrics)",
        p50_p90_p99(&s.tick_ms),
    );
    rows += &row(
        "server missed ticks",
        s.missed_ticks
            .map_or_else(|| "n/a".into(), |m| m.to_string()),
    );
    rows += &row(
        "CPU: server / load test / other processes (cores)",
        format!(
            "{} / {} / {}",
            opt(s.cpu_cores, 3),
            opt(r.loadgen_cpu_cores, 3),
            opt(r.other_cpu_cores, 3)
        ),
    );
    rows += &row(
        "server RSS / peak (MiB)",
        format!("{} / {}", opt(s.rss_mib, 1), opt(s.peak_rss_mib, 1)),
    );
    rows += &row(
        "bytes per client per second: snapshots + other down / inputs up",
        format!(
            "{:.0} + {:.0} / {:.0}",
            t.snapshot_bytes_down_per_client_s,
            t.other_bytes_down_per_client_s,
            t.input_bytes_up_per_client_s
        ),
    );
    let result = if r.failures.is_empty() {
        "<p class=\"passed\">Result: passed (every client connected, missed ticks within the limit).</p>".to_owned()
    } else {
        format!(
            "<p class=\"failed\">Result: FAILED: {}.</p>",
            escape(&r.failures.join("; "))
        )
    };
    format!("<table>\n{rows}</table>\n{result}\n")
}

fn histogram(id: &str, d: &Distribution, p: &Option<Percentiles>) -> Result<String, ChartError> {
    let total: u64 = d.counts.iter().sum::<u64>() + d.above;
    let share: Vec<f64> = d
        .counts
        .iter()
        .map(|c| *c as f64 * 100.0 / total.max(1) as f64)
        .collect();
    let markers: Vec<(String, f64)> = p
        .iter()
        .flat_map(|p| [("p50".to_owned(), p.p50), ("p99".to_owned(), p.p99)])
        .collect();
    let title = format!("Input to snapshot latency, {total} inputs");
    let svg = charts::histogram(
        Labels {
            title: &title,
            x: "latency (ms)",
            y: "share of inputs (%)",
        },
        d.bin_ms,
        &share,
        &markers,
    )?;
    let above = if d.above > 0 {
        format!(
            " {} inputs took longer than {} ms and are not drawn.",
            d.above,
            number(d.counts.len() as f64 * d.bin_ms)
        )
    } else {
        String::new()
    };
    Ok(figure(
        id,
        &svg,
        &format!(
            "From sending an input to the first snapshot that covers it, all bots; bins of {} ms.{above}",
            number(d.bin_ms)
        ),
    ))
}

fn curve(name: &str, d: &Option<Distribution>) -> Option<Line> {
    let d = d.as_ref()?;
    Some(Line::new(
        name,
        d.percentiles.iter().map(|p| (p.percentile, p.ms)),
    ))
}

/// The middle of each of a timeline's intervals, with a value.
fn over_time<T>(
    name: &str,
    items: &[T],
    span: impl Fn(&T) -> (f64, f64),
    value: impl Fn(&T) -> Option<f64>,
) -> Line {
    Line::new(
        name,
        items.iter().filter_map(|i| {
            let (from, to) = span(i);
            Some(((from + to) / 2.0, value(i)?))
        }),
    )
}

/// The load test's report as one HTML page.
pub fn loadtest_page(r: &Report) -> Result<String, ChartError> {
    let s = &r.setup;
    let title = format!(
        "Tickwire load test: {} lobbies x {} players",
        s.lobbies, s.players
    );
    let mut body = format!("<h1>{}</h1>\n", escape(&title));
    body += &format!(
        "<p>Map <code>{}</code> at {} Hz. Server: {}. Warm-up {} s, measured {} s. Bots on {} thread(s), {}. Machine: {} CPUs, {}.</p>\n",
        escape(&s.map),
        s.tick_rate,
        escape(&s.server_bin.as_deref().map_or_else(
            || format!("already running at {}", s.url),
            |b| format!("{b} started as a child process")
        )),
        number(s.warmup_s),
        number(s.duration_s),
        s.bot_threads,
        s.input_lead_ms.map_or_else(
            || "inputs at random phases".to_owned(),
            |ms| format!("inputs sent {} ms before each tick boundary", number(ms))
        ),
        s.machine.cpus,
        escape(&s.machine.cpu_model),
    );
    if r.other_cpu_cores.is_some_and(|o| o > 0.2) {
        body += &format!(
            "<p class=\"failed\">Other processes used {:.2} cores during the window: latency and tick figures are disturbed.</p>\n",
            r.other_cpu_cores.unwrap_or(0.0)
        );
    }
    body += &summary(r);

    let l = &r.latency;
    body += &match &l.input_to_snapshot_distribution {
        Some(d) => histogram("latency-histogram", d, &l.input_to_snapshot)?,
        None => absent("latency-histogram", "No input was answered in the window."),
    };
    let curves: Vec<Line> = [
        curve("input to snapshot", &l.input_to_snapshot_distribution),
        curve(
            "server-added (less the wait for the tick)",
            &l.server_added_distribution,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    body += &if curves.is_empty() {
        absent("latency-percentiles", "No latency samples in the window.")
    } else {
        figure(
            "latency-percentiles",
            &charts::percentile_curves(
                Labels {
                    title: "Latency by percentile",
                    x: "percentile (each step one more nine)",
                    y: "latency (ms)",
                },
                &curves,
            )?,
            "The share of inputs answered within a latency: at 99% one input in a hundred took longer. The last point is the slowest input.",
        )
    };

    let tl = &r.timeline;
    let x = 0.0..s.duration_s.max(1.0);
    let time = "time in the measured window (s)";
    let client_span = |c: &crate::loadreport::ClientSecond| (c.from_s, c.to_s);
    let server_span = |c: &crate::loadreport::ServerInterval| (c.from_s, c.to_s);
    if tl.clients.is_empty() && tl.server.is_empty() {
        body += &absent(
            "latency-over-time",
            "This report has no timeline (written by an older load test).",
        );
    } else {
        let c = &tl.clients;
        body += &figure(
            "latency-over-time",
            &charts::lines(
                Labels {
                    title: "Latency over the window, per second",
                    x: time,
                    y: "latency (ms)",
                },
                x.clone(),
                &[
                    over_time("input to snapshot p50", c, client_span, |c| {
                        c.input_to_snapshot_p50_ms
                    }),
                    over_time("input to snapshot p99", c, client_span, |c| {
                        c.input_to_snapshot_p99_ms
                    }),
                    over_time("server-added p99", c, client_span, |c| {
                        c.server_added_p99_ms
                    }),
                ],
            )?,
            "Percentiles of the inputs sent in each second of the window.",
        );
        let sv = &tl.server;
        body += &figure(
            "cpu-over-time",
            &charts::lines(
                Labels {
                    title: "CPU over the window",
                    x: time,
                    y: "CPU (cores)",
                },
                x.clone(),
                &[
                    over_time("server", sv, server_span, |i| i.cpu_cores),
                    over_time("load test (bots)", sv, server_span, |i| i.loadgen_cpu_cores),
                    over_time("other processes", sv, server_span, |i| i.other_cpu_cores),
                ],
            )?,
            "CPU seconds per second between readings of /proc about a second apart (1 = one core busy). The server's only when the load test started it.",
        );
        body += &if sv.iter().any(|i| i.ticks.is_some_and(|t| t > 0)) {
            let missed: u64 = sv.iter().filter_map(|i| i.missed_ticks).sum();
            figure(
                "tick-over-time",
                &charts::lines(
                    Labels {
                        title: "Server tick time over the window",
                        x: time,
                        y: "tick time (ms)",
                    },
                    x.clone(),
                    &[
                        over_time("p50", sv, server_span, |i| i.tick_p50_ms),
                        over_time("p99", sv, server_span, |i| i.tick_p99_ms),
                        over_time("mean", sv, server_span, |i| i.tick_mean_ms),
                    ],
                )?,
                &format!(
                    "Lobby ticks (systems and snapshot encoding) between scrapes of /metrics about a second apart; percentiles interpolated inside the histogram's buckets, the mean exact. Missed ticks in the window: {missed}."
                ),
            )
        } else {
            absent(
                "tick-over-time",
                "No tick times: the server has no /metrics, or it ran no tick.",
            )
        };
        body += &figure(
            "bytes-over-time",
            &charts::lines(
                Labels {
                    title: "Bytes per client over the window",
                    x: time,
                    y: "bytes per client per second (B/s)",
                },
                x,
                &[
                    over_time("down (snapshots and other frames)", c, client_span, |c| {
                        Some(c.bytes_down_per_client_s)
                    }),
                    over_time("up (inputs)", c, client_span, |c| {
                        Some(c.bytes_up_per_client_s)
                    }),
                ],
            )?,
            "WebSocket payload bytes the bots received and sent in each second, per connected client.",
        );
    }
    Ok(page(&title, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real run's report: 2 lobbies x 10 players, 8 s measured.
    pub(crate) fn fixture() -> Report {
        serde_json::from_str(include_str!("../fixtures/loadtest-report.json")).expect("fixture")
    }

    /// The HTML of the figure with this id.
    fn figure_of<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!("<figure id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no figure {id}"));
        let len = html[start..].find("</figure>").expect("closed");
        &html[start..start + len]
    }

    use crate::charts::tests::texts;

    /// Point counts of the polylines with this stroke color (one series).
    fn series(svg: &str, color: charts::RGBColor) -> Vec<usize> {
        let stroke = format!("stroke=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
        svg.split("<polyline")
            .skip(1)
            .filter(|p| {
                p.split_once("/>")
                    .is_some_and(|(tag, _)| tag.contains(&stroke))
            })
            .filter_map(|p| {
                Some(
                    p.split_once("points=\"")?
                        .1
                        .split_once('"')?
                        .0
                        .split_whitespace()
                        .count(),
                )
            })
            .collect()
    }

    #[test]
    fn the_page_stands_alone() {
        let html = loadtest_page(&fixture()).expect("page");
        assert!(html.starts_with("<!DOCTYPE html>"));
        // Nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere.
        for needle in ["<script", "<link", "<img", "src=", "@import", "url("] {
            assert!(!html.contains(needle), "{needle}");
        }
        // The only URL is the SVG namespace (a name, never fetched).
        assert_eq!(
            html.matches("http").count(),
            html.matches("http://www.w3.org/2000/svg").count()
        );
        assert_eq!(html.matches("<svg").count(), 6);
        assert!(html.contains("2 lobbies x 10 players") && html.contains("20 of 20"));
        assert!(html.contains("Result: passed"));
    }

    #[test]
    fn every_chart_draws_its_series() {
        let r = fixture();
        let html = loadtest_page(&r).expect("page");
        let seconds = r.timeline.clients.len();
        let intervals = r.timeline.server.len();
        assert_eq!((seconds, intervals), (8, 8));
        let d = r
            .latency
            .input_to_snapshot_distribution
            .as_ref()
            .expect("distribution");

        let hist = figure_of(&html, "latency-histogram");
        let t = texts(hist);
        assert!(
            t.contains(&"Input to snapshot latency, 4800 inputs".to_owned()),
            "{t:?}"
        );
        assert!(
            t.contains(&"latency (ms)".to_owned()) && t.contains(&"share of inputs (%)".to_owned())
        );
        assert!(
            t.iter().any(|t| t.starts_with("p50: ")) && t.iter().any(|t| t.starts_with("p99: "))
        );
        // One bar per bin, plus the background and the legend's box.
        assert!(
            hist.matches("<rect").count() >= d.counts.len(),
            "{}",
            hist.matches("<rect").count()
        );

        let curves = figure_of(&html, "latency-percentiles");
        let t = texts(curves);
        for label in [
            "Latency by percentile",
            "input to snapshot",
            "90%",
            "99%",
            "99.9%",
            "latency (ms)",
        ] {
            assert!(t.contains(&label.to_owned()), "{label}: {t:?}");
        }
        // The curve: every point of the distribution (and the legend's mark of 2 points).
        assert!(series(curves, charts::color(0)).contains(&d.percentiles.len()));

        for (id, title, names, unit, points) in [
            (
                "latency-over-time",
                "Latency over the window, per second",
                &[
                    "input to snapshot p50",
                    "input to snapshot p99",
                    "server-added p99",
                ][..],
                "latency (ms)",
                seconds,
            ),
            (
                "cpu-over-time",
                "CPU over the window",
                &["server", "load test (bots)", "other processes"][..],
                "CPU (cores)",
                intervals,
            ),
            (
                "tick-over-time",
                "Server tick time over the window",
                &["p50", "p99", "mean"][..],
                "tick time (ms)",
                intervals,
            ),
            (
                "bytes-over-time",
                "Bytes per client over the window",
                &["down (snapshots and other frames)", "up (inputs)"][..],
                "bytes per client per second (B/s)",
                seconds,
            ),
        ] {
            let fig = figure_of(&html, id);
            let t = texts(fig);
            assert!(t.contains(&title.to_owned()), "{id}: {t:?}");
            assert!(t.contains(&unit.to_owned()), "{id}: {t:?}");
            assert!(
                t.contains(&"time in the measured window (s)".to_owned()),
                "{id}"
            );
            for (i, name) in names.iter().enumerate() {
                assert!(t.contains(&name.to_string()), "{id}: {name}");
                // Each series is one line through a point per second or interval.
                assert!(
                    series(fig, charts::color(i)).contains(&points),
                    "{id}: {name}: {:?}",
                    series(fig, charts::color(i))
                );
            }
        }
    }

    #[test]
    fn a_report_without_timeline_or_samples_still_renders() {
        let mut r = fixture();
        r.timeline = Default::default();
        r.latency.input_to_snapshot_distribution = None;
        r.latency.server_added_distribution = None;
        r.failures = vec!["3 of 20 clients failed to connect".into()];
        let html = loadtest_page(&r).expect("page");
        assert_eq!(html.matches("<svg").count(), 0);
        assert!(figure_of(&html, "latency-histogram").contains("No input was answered"));
        assert!(figure_of(&html, "latency-over-time").contains("no timeline"));
        assert!(html.contains("FAILED: 3 of 20 clients failed to connect"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
        let mut r = fixture();
        r.setup.map = "<script>".into();
        let html = loadtest_page(&r).expect("page");
        assert!(!html.contains("<script") && html.contains("&lt;script&gt;"));
    }
}
