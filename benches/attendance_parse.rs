//! Attendance parsing throughput: a 100 000-row Zoom attendee report (new
//! column set, two custom questions, one row in five a rejoin), generated in
//! memory and read two ways: row by row, one pass of the two an import
//! streams (`attendance::parse::read`: the first settles the date order,
//! the second reads the rows in it), and whole with rejoins merged
//! (`attendance::parse::parse`, both passes).
//!
//!     cargo bench --bench attendance_parse
//!
//! BENCH_ATTENDANCE_ROWS (default 100000) sets the rows; BENCH_RUNS (default
//! 5) how many times it is parsed. Figures go to stdout.
//!
//! First, a hostile file: a header with a 1 MB column name over 5 000 rows
//! (1.1 MB), parsed whole; the process's peak resident set before and
//! after says what it cost (a copy of the name per row was 5 GB).

use std::time::{Duration, Instant};

use convene::attendance::parse::{parse, read, Dates};

#[path = "support/zoom_report.rs"]
mod zoom_report;

#[path = "support/rss.rs"]
mod rss;

/// Parses a 1 MB column name over 5 000 rows; prints the peak RSS it took.
fn hostile() {
    let mut text = format!("Email,{}\n", "Q".repeat(1 << 20));
    for i in 0..5_000 {
        text.push_str(&format!("p{i}@example.org,yes\n"));
    }
    let before = rss::peak_mb("self");
    let people = parse(text.as_bytes())
        .expect("the hostile report parses")
        .attendees
        .len();
    println!(
        "  hostile header: {:.1} MB file, {people} people, peak RSS {before:.1} MB -> {:.1} MB",
        text.len() as f64 / 1e6,
        rss::peak_mb("self")
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median and best of `runs` timings of `f`, and what it last returned.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(f());
        times.push(started.elapsed());
    }
    times.sort();
    (
        times[times.len() / 2],
        times[0],
        last.expect("at least one run"),
    )
}

fn main() {
    hostile();
    let rows = env_usize("BENCH_ATTENDANCE_ROWS", 100_000);
    let runs = env_usize("BENCH_RUNS", 5).max(1);
    let bytes = zoom_report::report(rows, "Mar 23, 2025 09:00:01");
    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "attendance_parse: {rows} rows ({:.1} MB)",
        bytes.len() as f64 / 1e6
    );
    let streamed = time(runs, || {
        let reader = read(&bytes[..], Dates::scan(None)).expect("the generated report starts");
        reader.fold(0, |n, row| {
            row.expect("each row parses");
            n + 1
        })
    });
    let whole = time(runs, || {
        parse(&bytes)
            .expect("the generated report parses")
            .attendees
            .len()
    });
    for (what, (median, best, n)) in [("streamed rows", streamed), ("whole, merged", whole)] {
        println!(
            "  {what}: {n} -> median {:.1} ms ({:.0} rows/s), best {:.1} ms ({:.0} rows/s) over {runs} runs",
            median.as_secs_f64() * 1e3,
            rate(median),
            best.as_secs_f64() * 1e3,
            rate(best),
        );
    }
}
