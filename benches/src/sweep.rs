//! A load test sweep's summary: one row per run (lobbies x players) from the runs'
//! `report.json`, as a Markdown table and as an HTML page with a chart of clients against
//! server CPU and input-to-snapshot p99.

use crate::charts::{self, ChartError, Line};
use crate::html::{escape, figure, page};
use crate::loadreport::{Percentiles, Report};

/// One run of the sweep: its name (`LxP`, also its folder) and its report, if it wrote one.
pub struct Run {
    pub name: String,
    pub report: Option<Report>,
}

const HEADER: [&str; 15] = [
    "lobbies x players",
    "clients ok",
    "input→snapshot p50 / p99 (ms)",
    "server-added p50 / p99 (ms)",
    "inputs a tick late",
    "snapshot jitter p50 / p99 (ms)",
    "RTT p99 (ms)",
    "tick p50 / p99 (ms)",
    "missed ticks",
    "server CPU (cores)",
    "RSS (MiB)",
    "snapshot B/client/s",
    "bots CPU",
    "other CPU",
    "targets met",
];

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn pair(p: &Option<Percentiles>, digits: usize) -> String {
    format!(
        "{} / {}",
        f(p.map(|p| p.p50), digits),
        f(p.map(|p| p.p99), digits)
    )
}

/// The row's cells; `None` for a run without a report.
fn cells(run: &Run) -> Option<Vec<String>> {
    let r = run.report.as_ref()?;
    let (lat, srv) = (&r.latency, &r.server);
    Some(vec![
        run.name.clone(),
        format!("{}/{}", r.clients.connected, r.clients.target),
        pair(&lat.input_to_snapshot, 1),
        pair(&lat.server_added, 1),
        format!("{}%", f(lat.held_inputs.map(|h| h * 100.0), 1)),
        pair(&lat.snapshot_jitter, 2),
        f(lat.rtt.map(|p| p.p99), 1),
        pair(&srv.tick_ms, 3),
        srv.missed_ticks
            .map_or_else(|| "n/a".into(), |m| m.to_string()),
        f(srv.cpu_cores, 2),
        f(srv.rss_mib, 0),
        f(Some(r.traffic.snapshot_bytes_down_per_client_s), 0),
        f(r.loadgen_cpu_cores, 2),
        f(r.other_cpu_cores, 2),
        format!(
            "{}/{}",
            r.targets.iter().filter(|t| t.met == Some(true)).count(),
            r.targets.len()
        ),
    ])
}

/// The sweep as a Markdown table.
pub fn table(runs: &[Run]) -> String {
    let mut md = format!("| {} |\n", HEADER.join(" | "));
    md += &format!("|{}\n", " --- |".repeat(HEADER.len()));
    for run in runs {
        md += &match cells(run) {
            Some(c) => format!("| {} |\n", c.join(" | ")),
            None => format!(
                "| {} | run failed |{}\n",
                run.name,
                " |".repeat(HEADER.len() - 2)
            ),
        };
    }
    md
}

/// The sweep as an HTML page: the chart, then the table, each run linked to its report.
pub fn html(runs: &[Run]) -> Result<String, ChartError> {
    let reported: Vec<(&str, &Report)> = runs
        .iter()
        .filter_map(|r| Some((r.name.as_str(), r.report.as_ref()?)))
        .collect();
    let clients = |r: &Report| r.clients.connected as f64;
    let cpu = Line::new(
        "server CPU",
        reported
            .iter()
            .filter_map(|(_, r)| Some((clients(r), r.server.cpu_cores?))),
    );
    let p99 = Line::new(
        "input to snapshot p99",
        reported
            .iter()
            .filter_map(|(_, r)| Some((clients(r), r.latency.input_to_snapshot?.p99))),
    );
    let sort = |mut l: Line| {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        l
    };
    let names: Vec<(f64, String)> = reported
        .iter()
        .map(|(name, r)| (clients(r), (*name).to_owned()))
        .collect();
    let svg = charts::two_axes(
        "Server CPU and input to snapshot p99 by clients",
        "clients (connected bots)",
        ("server CPU (cores)", &sort(cpu)),
        ("input to snapshot p99 (ms)", &sort(p99)),
        &names,
    )?;
    let mut body = String::from("<h1>Tickwire load test sweep</h1>\n");
    if let Some((_, r)) = reported.first() {
        body += &format!(
            "<p>Map <code>{}</code> at {} Hz, warm-up {} s, measured {} s, machine: {} CPUs, {}.</p>\n",
            escape(&r.setup.map),
            r.setup.tick_rate,
            charts::number(r.setup.warmup_s),
            charts::number(r.setup.duration_s),
            r.setup.machine.cpus,
            escape(&r.setup.machine.cpu_model)
        );
    }
    body += &figure(
        "sweep-chart",
        &svg,
        "Each point is one run, named lobbies x players. Server CPU is CPU seconds per second of the server process (1 = one core).",
    );
    body += "<div class=\"wide\">\n<table>\n<tr>";
    for h in HEADER {
        body += &format!("<th>{}</th>", escape(h));
    }
    body += "</tr>\n";
    for run in runs {
        body += "<tr>";
        match cells(run) {
            Some(c) => {
                let link = format!("<a href=\"{0}/report.html\">{0}</a>", escape(&run.name));
                body += &format!("<td>{link}</td>");
                for cell in &c[1..] {
                    body += &format!("<td class=\"n\">{}</td>", escape(cell));
                }
            }
            None => {
                body += &format!(
                    "<td>{}</td><td colspan=\"{}\">run failed</td>",
                    escape(&run.name),
                    HEADER.len() - 1
                );
            }
        }
        body += "</tr>\n";
    }
    body += "</table>\n</div>\n";
    Ok(page("Tickwire load test sweep", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> Vec<Run> {
        let small: Report = serde_json::from_str(include_str!("../fixtures/loadtest-report.json"))
            .expect("fixture");
        let mut large = small.clone();
        large.setup.lobbies = 4;
        large.clients.connected = 40;
        large.clients.target = 40;
        large.server.cpu_cores = Some(0.05);
        if let Some(p) = large.latency.input_to_snapshot.as_mut() {
            p.p99 = 36.5;
        }
        vec![
            Run {
                name: "4x10".into(),
                report: Some(large),
            },
            Run {
                name: "2x10".into(),
                report: Some(small),
            },
            Run {
                name: "9x9".into(),
                report: None,
            },
        ]
    }

    #[test]
    fn the_table_has_a_row_per_run() {
        let md = table(&runs());
        let rows: Vec<&str> = md.lines().collect();
        assert_eq!(rows.len(), 5);
        assert!(
            rows[0]
                .starts_with("| lobbies x players | clients ok | input→snapshot p50 / p99 (ms) |")
        );
        assert_eq!(rows[1].matches("---").count(), 15);
        // Every row has the header's 15 columns.
        assert!(rows.iter().all(|r| r.matches('|').count() == 16), "{md}");
        assert!(
            rows[2].starts_with("| 4x10 | 40/40 | 13.5 / 36.5 | "),
            "{}",
            rows[2]
        );
        // The same as the table sweep.sh printed before, from the same report.json.
        assert_eq!(
            rows[3],
            "| 2x10 | 20/20 | 13.5 / 34.0 | 0.9 / 3.4 | 0.3% | 0.48 / 2.87 | 1.5 | 0.029 / 0.400 | 0 | 0.02 | 11 | 425 | 0.03 | 0.40 | 4/5 |"
        );
        assert_eq!(rows[4], "| 9x9 | run failed | | | | | | | | | | | | | |");
    }

    #[test]
    fn the_page_charts_clients_against_cpu_and_p99() {
        let html = html(&runs()).expect("page");
        assert_eq!(html.matches("<svg").count(), 1);
        for text in [
            "Server CPU and input to snapshot p99 by clients",
            "clients (connected bots)",
            "server CPU (cores)",
            "input to snapshot p99 (ms)",
            "server CPU (left)",
            "input to snapshot p99 (right)",
            "2x10",
            "4x10",
        ] {
            assert!(html.contains(&format!("\n{text}\n")), "{text}");
        }
        // Each line goes through both runs, by clients.
        let lines: Vec<&str> = html
            .split("<polyline")
            .skip(1)
            .filter_map(|p| p.split_once("points=\"")?.1.split_once('"').map(|x| x.0))
            .filter(|points| points.split_whitespace().count() == 2)
            .collect();
        assert!(lines.len() >= 2);
        assert!(html.contains("<a href=\"2x10/report.html\">2x10</a>"));
        assert!(html.contains("<td>9x9</td><td colspan=\"14\">run failed</td>"));
    }
}
