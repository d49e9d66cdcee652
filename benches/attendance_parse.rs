//! Attendance parsing throughput: a 100 000-row Zoom attendee report (new
//! column set, two custom questions, one row in five a rejoin), generated in
//! memory and read by `attendance::parse::parse`.
//!
//!     cargo bench --bench attendance_parse
//!
//! BENCH_ATTENDANCE_ROWS (default 100000) sets the rows; BENCH_RUNS (default
//! 5) how many times it is parsed. Figures go to stdout.

use std::fmt::Write;
use std::time::{Duration, Instant};

use convene::attendance::parse::parse;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const COUNTRIES: &[&str] = &["United States", "Canada", "India", "Mexico", "Ghana"];
const MONTHS: &[&str] = &["Mar", "Apr"];

/// A report as Zoom writes it: BOM, preamble, host section, attendees.
fn report(rows: usize) -> Vec<u8> {
    let mut s = String::with_capacity(rows * 330);
    s.push('\u{feff}');
    s.push_str("Attendee Report\nReport Generated:,\"Mar 23, 2025 09:00:01\"\n");
    s.push_str("Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,# Cancelled,Unique Viewers,Total Users,Max Concurrent Views,\n");
    writeln!(
        s,
        "Workforce Solutions Jam,847 5984 1045,\"Mar 22, 2025 18:55:02\",95,{rows},0,{rows},{rows},{rows},\n"
    )
    .unwrap();
    s.push_str("Host Details\nUser Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name\n");
    s.push_str("Jam Host,host@convene.example.org,\"Mar 22, 2025 18:55:02\",\"Mar 22, 2025 20:30:11\",96,No,United States\n\n");
    s.push_str("Attendee Details\nAttended,User Name (Original Name),First Name,Last Name,Email,Phone,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Is Guest,Organization,What do you hope to learn?,Country/Region Name,Source Name\n");
    for i in 0..rows {
        // One row in five is someone from three rows back joining again.
        let person = if i % 5 == 4 { i - 3 } else { i };
        let (join_min, stay) = (i % 50, 5 + i % 40);
        let month = MONTHS[person % 2];
        writeln!(
            s,
            "Yes,Person {person} (P{person}),Person,Number{person},Person.{person}@Example.org,+1 555 {:04},\"{month} {:02}, 2025 08:12:45\",approved,\"Mar 22, 2025 19:{join_min:02}:12\",\"Mar 22, 2025 {}:{:02}:40\",{stay},Yes,Workforce Board {},\"Funding, mostly\",{},Newsletter",
            person % 10_000,
            1 + person % 28,
            19 + (join_min + stay) / 60,
            (join_min + stay) % 60,
            person % 300,
            COUNTRIES[person % COUNTRIES.len()],
        )
        .unwrap();
    }
    s.into_bytes()
}

fn main() {
    let rows = env_usize("BENCH_ATTENDANCE_ROWS", 100_000);
    let runs = env_usize("BENCH_RUNS", 5).max(1);
    let bytes = report(rows);
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
