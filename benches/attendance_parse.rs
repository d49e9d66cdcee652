//! Attendance parsing throughput: a 100 000-row Zoom attendee report (new
//! column set, two custom questions, one row in five a rejoin), generated in
//! memory and read by `attendance::parse::parse`.
//!
//!     cargo bench --bench attendance_parse
//!
//! BENCH_ATTENDANCE_ROWS (default 100000) sets the rows; BENCH_RUNS (default
//! 5) how many times it is parsed. Figures go to stdout.

use std::time::{Duration, Instant};

use convene::attendance::parse::parse;

#[path = "support/zoom_report.rs"]
mod zoom_report;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rows = env_usize("BENCH_ATTENDANCE_ROWS", 100_000);
    let runs = env_usize("BENCH_RUNS", 5).max(1);
    let bytes = zoom_report::report(rows, "Mar 23, 2025 09:00:01");
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut attendees = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let report = parse(&bytes).expect("the generated report parses");
        times.push(started.elapsed());
        attendees = report.attendees.len();
    }
    times.sort();
    let median = times[times.len() / 2];
    let best = times[0];
    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "attendance_parse: {rows} rows ({:.1} MB) -> {attendees} attendees",
        bytes.len() as f64 / 1e6
    );
    println!(
        "  median {:.1} ms ({:.0} rows/s), best {:.1} ms ({:.0} rows/s) over {runs} runs",
        median.as_secs_f64() * 1e3,
        rate(median),
        best.as_secs_f64() * 1e3,
        rate(best),
    );
}
