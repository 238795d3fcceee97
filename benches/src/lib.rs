//! `tickwire-benches`: what the criterion benches, the bandwidth report and the load test
//! share: scenario maps and lobbies driven through the sans-IO lobby core, wandering bot
//! input, a client-side store of snapshot worlds, percentile summaries, readers for the
//! server's Prometheus text and for process and machine usage in `/proc`, and the load
//! test's report (JSON, Markdown, HTML with SVG charts) and the sweep's.

pub mod bot_input;
pub mod charts;
pub mod html;
pub mod loadreport;
pub mod prom;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod usage;
pub mod view;
pub mod wander;
