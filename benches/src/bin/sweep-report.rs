//! The load test sweep's summary from its runs' `report.json` files: prints the Markdown
//! table and writes it to `OUT_DIR/sweep.md`, with the chart of clients against server CPU
//! and input-to-snapshot p99 (and the table) in `OUT_DIR/sweep.html`. `sweep.sh` runs it.
//!
//! `cargo run --release -p tickwire-benches --bin sweep-report -- target/sweep 10x8 10x20`

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use tickwire_benches::loadreport::Report;
use tickwire_benches::sweep::{self, Run};

#[derive(Debug, Parser)]
#[command(about = "The load test sweep's table and chart from its runs' report.json files")]
struct Args {
    /// The sweep's directory: each run's report is in OUT_DIR/LxP/report.json.
    out_dir: PathBuf,
    /// The runs, as lobbies x players (e.g. 10x20), in the table's order.
    #[arg(required = true)]
    runs: Vec<String>,
}

fn read(path: &std::path::Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runs: Vec<Run> = args
        .runs
        .iter()
        .map(|name| {
            let path = args.out_dir.join(name).join("report.json");
            let report = match read(&path) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!(
                        "sweep-report: no report for {name} ({}: {e:#})",
                        path.display()
                    );
                    None
                }
            };
            Run {
                name: name.clone(),
                report,
            }
        })
        .collect();
    let table = sweep::table(&runs);
    print!("{table}");
    let md = args.out_dir.join("sweep.md");
    std::fs::write(&md, &table).with_context(|| format!("writing {}", md.display()))?;
    let html = args.out_dir.join("sweep.html");
    std::fs::write(&html, sweep::html(&runs)?)
        .with_context(|| format!("writing {}", html.display()))?;
    eprintln!("wrote {} and {}", md.display(), html.display());
    Ok(())
}
