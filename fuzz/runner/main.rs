//! The stable runner for the fuzz targets in `fuzz/fuzz_targets/`
//! (cargo-fuzz needs a nightly compiler; this needs nothing more than the
//! test build). It is the test target `fuzz` of the main crate, so it
//! reuses everything `cargo test` compiled.
//!
//! - `cargo test --test fuzz` (and so plain `cargo test`) replays each
//!   target's corpus (`fuzz/corpus/<target>/`), its regressions
//!   (`fuzz/regressions/<target>/`) and its seeds from `tests/fixtures`.
//! - `cargo test --test fuzz -- --fuzz [--seconds N] [--seed S] [target…]`
//!   generates and mutates inputs from those for N seconds a target.
//!
//! Every input runs under a budget: a panic, more than 1 s of CPU time,
//! or more than 64 MB of heap held at once fails it, and the input is
//! written to `fuzz/artifacts/<target>/`. Mutation is blind (no coverage
//! on stable), but inputs that cost more CPU or heap than any before of
//! their size are kept to mutate further, which climbs towards the inputs
//! that cost more than linear work.

// cargo-fuzz builds the targets with `--cfg fuzzing`, which this build
// does not know of.
#![allow(unexpected_cfgs)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "../fuzz_targets/attendance.rs"]
mod attendance;
#[path = "../fuzz_targets/byte_range.rs"]
mod byte_range;
#[path = "../fuzz_targets/content.rs"]
mod content;
#[path = "../fuzz_targets/duration.rs"]
mod duration;
#[path = "../fuzz_targets/email.rs"]
mod email;
#[path = "../fuzz_targets/filename.rs"]
mod filename;
#[path = "../fuzz_targets/markdown.rs"]
mod markdown;
#[path = "../fuzz_targets/multipart.rs"]
mod multipart;
#[path = "../fuzz_targets/schedule.rs"]
mod schedule;
#[path = "../fuzz_targets/screen.rs"]
mod screen;

mod budget;
mod mutate;

#[global_allocator]
static HEAP: budget::CountingAlloc = budget::CountingAlloc;

/// One fuzz target: a parser a stranger or a file reaches.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    /// Folders of the repository whose files seed it, besides its corpus.
    pub seeds: &'static [&'static str],
    /// Words of its format that mutations insert.
    pub tokens: &'static [&'static str],
    /// The longest input generated for it: its real limit where it has one.
    pub max_len: usize,
}

const TARGETS: &[Target] = &[
    Target {
        name: "attendance",
        run: attendance::run,
        seeds: &["tests/fixtures/attendance"],
        tokens: &[
            "Attendee Report",
            "Registration Report",
            "Email,",
            "User Email",
            "Join Time,Leave Time",
            "Duration (Minutes)",
            "Meeting ID",
            "Topic",
            "Attendee Details",
            "Panelist Details",
            "Host Details",
            "Yes",
            "No",
            "--",
            "\"",
            ",",
            "\r\n",
            "\u{feff}",
            "\u{ff}\u{fe}",
            "Mar 22, 2025 19:13:27",
            "04/26/2026 10:45:17 AM",
            "3/22/25, 7:13:27 PM",
            "1. Summary",
            "2. Participants",
            "Full Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tRole",
            "1h 2m 3s",
            "Organizer",
            "@example.org",
        ],
        max_len: 64 * 1024,
    },
    Target {
        name: "content",
        run: content::run,
        seeds: &["tests/fixtures/archive"],
        tokens: &[
            "%PDF-1.7\n",
            "%%EOF",
            "PK\u{3}\u{4}",
            "PK\u{1}\u{2}",
            "PK\u{5}\u{6}",
            "[Content_Types].xml",
            "word/document.xml",
            "ppt/presentation.xml",
            "xl/workbook.xml",
            "word/vbaProject.bin",
            "ftypisom",
            "ftypM4A ",
            "ftypheic",
            "WEBVTT\n",
            "\u{feff}",
            "MZ",
            "\u{7f}ELF",
            "#!",
        ],
        max_len: 64 * 1024,
    },
    Target {
        name: "screen",
        run: screen::run,
        seeds: &[],
        tokens: &[
            "555-123-4567",
            "(555) 123-4567",
            "+1 ",
            "5551234567",
            "123-45-6789",
            "SSN ",
            "social security",
            "DOB ",
            "D.O.B.",
            "born ",
            "date of birth",
            "03/14/1985",
            "1985-03-14",
            "March 14, 1985",
            "14th of March 1985",
            "jane.doe@example.org",
            "123 Main St",
            "Apt 4B",
            "P.O. Box 12",
            " Street",
            "\n",
            ". ",
            "\0",
        ],
        // Case fields are at most 7 200 characters together.
        max_len: 16 * 1024,
    },
    Target {
        name: "markdown",
        run: markdown::run,
        seeds: &[],
        tokens: &[
            "> ",
            "- ",
            "* ",
            "1. ",
            "   ",
            "\t",
            "\n",
            "\n\n",
            "**",
            "_",
            "`",
            "```\n",
            "[a]",
            "[a]: ",
            "(",
            ")",
            "](https://example.org/",
            "<https://x.org>",
            "![i](",
            "<script>",
            "</script>",
            "<a href=\"javascript:x\">",
            "&amp;",
            "&#",
            "\\",
            "# ",
            "---\n",
            "|",
        ],
        // Recommendations are at most 20 000 characters.
        max_len: 20_000,
    },
    Target {
        name: "byte_range",
        run: byte_range::run,
        seeds: &[],
        tokens: &[
            "bytes=",
            "0-",
            "-500",
            "0-0",
            ",",
            "18446744073709551615",
            "18446744073709551616",
            "\"abc\"",
            "W/",
            "*",
            "\n",
            " ",
        ],
        max_len: 1024,
    },
    Target {
        name: "schedule",
        run: schedule::run,
        seeds: &[],
        tokens: &[
            "FREQ=",
            "MONTHLY",
            "WEEKLY",
            "DAILY",
            ";",
            "BYDAY=",
            "INTERVAL=1",
            "RRULE:",
            "=",
            "MO",
            "TU",
            "WE",
            "TH",
            "FR",
            "SA",
            "SU",
            ",",
            "-",
            "+",
            "3",
            "-5",
            "é",
            "\n",
            "2027-01-12 14:00",
            "T",
            ":00",
            "Z",
            "-05:00",
            "+262142-12-01",
        ],
        max_len: 1024,
    },
    Target {
        name: "duration",
        run: duration::run,
        seeds: &[],
        tokens: &[
            "90",
            "m",
            "h",
            "1h30m",
            "min",
            "s",
            "ms",
            "days",
            "weeks",
            " ",
            "-",
            "+",
            "18446744073709551615",
            "9223372036854775808",
        ],
        max_len: 1024,
    },
    Target {
        name: "email",
        run: email::run,
        seeds: &[],
        tokens: &[
            "@",
            ".",
            "example.org",
            "\"",
            "\\",
            "[127.0.0.1]",
            "(comment)",
            "İ",
            "ß",
            "xn--",
            " ",
            "+tag",
        ],
        max_len: 1024,
    },
    Target {
        name: "filename",
        run: filename::run,
        seeds: &[],
        tokens: &[
            "C:\\fakepath\\",
            "../",
            ".pdf",
            ".exe",
            "\u{202e}",
            "\u{200b}",
            "CON",
            "LPT1",
            " ",
            ".",
            "\"",
            "\r\n",
        ],
        max_len: 4096,
    },
    Target {
        name: "multipart",
        run: multipart::run,
        seeds: &[],
        tokens: &[
            "--XyZ\r\n",
            "--XyZ--\r\n",
            "Content-Disposition: form-data; name=\"",
            "\"; filename=\"",
            "file",
            "kind",
            "Content-Type: text/plain\r\n",
            "\r\n\r\n",
            "\r\n",
        ],
        max_len: 64 * 1024,
    },
];

/// Where the repository is: the folders above are relative to it.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The inputs a target starts from: its corpus, its regressions and its
/// seeds, each file once, in a stable order.
fn seeds(target: &Target) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = root().join("fuzz");
    let folders = [
        fuzz.join("corpus").join(target.name),
        fuzz.join("regressions").join(target.name),
    ];
    let mut found = Vec::new();
    for folder in folders
        .into_iter()
        .chain(target.seeds.iter().map(|s| root().join(s)))
    {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            match std::fs::read(&path) {
                Ok(bytes) => found.push((path, bytes)),
                Err(e) => eprintln!("fuzz: cannot read {}: {e}", path.display()),
            }
        }
    }
    found
}

/// What the command line asked for.
struct Args {
    fuzz: bool,
    list: bool,
    seconds: u64,
    seed: u64,
    filters: Vec<String>,
    skips: Vec<String>,
    exact: bool,
    /// Files to run and report the cost of, rather than test.
    measure: Option<Vec<PathBuf>>,
}

fn args() -> Result<Args, String> {
    let seconds = std::env::var("CONVENE_FUZZ_SECONDS")
        .ok()
        .map(|s| s.parse::<u64>())
        .transpose()
        .map_err(|e| format!("CONVENE_FUZZ_SECONDS: {e}"))?
        .unwrap_or(30);
    let mut args = Args {
        fuzz: false,
        list: false,
        seconds,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        filters: Vec::new(),
        skips: Vec::new(),
        exact: false,
        measure: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| given.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--fuzz" => args.fuzz = true,
            "--list" => args.list = true,
            "--exact" => args.exact = true,
            "--seconds" => {
                args.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--skip" => args.skips.push(value("--skip")?),
            "--measure" => args
                .measure
                .get_or_insert_with(Vec::new)
                .push(PathBuf::from(value("--measure")?)),
            // libtest's options that take a value, as `cargo test` passes them.
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" => {
                value(&flag)?;
            }
            _ if flag.starts_with('-') => {}
            _ => args.filters.push(arg),
        }
    }
    Ok(args)
}

impl Args {
    /// Whether the test named `name` runs, as libtest filters.
    fn selects(&self, name: &str) -> bool {
        let matches = |f: &String| {
            if self.exact {
                name == f
            } else {
                name.contains(f.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skips.iter().any(matches)
    }
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let name = |t: &Target| format!("{}::{}", if args.fuzz { "fuzz" } else { "replay" }, t.name);
    let chosen: Vec<&'static Target> = TARGETS.iter().filter(|t| args.selects(&name(t))).collect();
    if args.list {
        for t in &chosen {
            println!("{}: test", name(t));
        }
        return ExitCode::SUCCESS;
    }
    budget::start_watchdog();
    if let Some(files) = &args.measure {
        return measure(&chosen, files);
    }
    let started = Instant::now();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for target in &chosen {
        let outcome = if args.fuzz {
            fuzz(target, Duration::from_secs(args.seconds), args.seed)
        } else {
            replay(target)
        };
        match outcome {
            Ok(note) => println!("test {} ({note}) ... ok", name(target)),
            Err(failure) => {
                println!("test {} ... FAILED\n    {failure}", name(target));
                failed.push(name(target));
            }
        }
    }
    let verdict = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        chosen.len() - failed.len(),
        failed.len(),
        TARGETS.len() - chosen.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

/// `--measure FILE` (repeated): what each file costs each target chosen,
/// to see how work grows with an input's size.
fn measure(chosen: &[&'static Target], files: &[PathBuf]) -> ExitCode {
    for target in chosen {
        for file in files {
            let Ok(input) = std::fs::read(file) else {
                eprintln!("fuzz: cannot read {}", file.display());
                return ExitCode::from(2);
            };
            match budget::run(target, &input) {
                Ok(cost) => println!(
                    "{} {}: {} bytes, {:.1} ms of CPU, {:.2} MB of heap",
                    target.name,
                    file.display(),
                    input.len(),
                    cost.cpu.as_secs_f64() * 1000.0,
                    cost.heap as f64 / (1024.0 * 1024.0)
                ),
                Err(failure) => println!("{} {}: {failure}", target.name, file.display()),
            }
        }
    }
    ExitCode::SUCCESS
}

/// Runs every seed of `target` once.
fn replay(target: &'static Target) -> Result<String, String> {
    let inputs = seeds(target);
    for (path, bytes) in &inputs {
        budget::run(target, bytes).map_err(|f| format!("{}: {f}", path.display()))?;
    }
    Ok(format!("{} inputs", inputs.len()))
}

/// Mutates `target`'s seeds for `time`.
fn fuzz(target: &'static Target, time: Duration, seed: u64) -> Result<String, String> {
    let mut pool: Vec<Vec<u8>> = seeds(target).into_iter().map(|(_, b)| b).collect();
    for input in &pool {
        budget::run(target, input).map_err(|f| format!("a seed: {f}"))?;
    }
    if pool.is_empty() {
        pool.push(Vec::new());
    }
    let seeded = pool.len();
    let mut rng = mutate::Rng::new(seed ^ fnv(target.name));
    // The most CPU time and heap seen per size (a power of two).
    let mut most = [budget::Cost::default(); 24];
    let mut worst = budget::Cost::default();
    let deadline = Instant::now() + time;
    let mut runs = 0u64;
    let mut last: Option<Vec<u8>> = None;
    let mut costliest = Vec::new();
    while Instant::now() < deadline {
        let base = match &last {
            Some(previous) if rng.one_in(3) => previous.clone(),
            _ => pool[rng.below(pool.len())].clone(),
        };
        let input = mutate::mutate(&mut rng, base, &pool, target);
        let cost = budget::run(target, &input)?;
        runs += 1;
        let size = (usize::BITS - input.len().leading_zeros()) as usize;
        let best = &mut most[size.min(most.len() - 1)];
        if cost.cpu > best.cpu || cost.heap > best.heap {
            best.cpu = best.cpu.max(cost.cpu);
            best.heap = best.heap.max(cost.heap);
            if pool.len() < seeded + 256 {
                pool.push(input.clone());
            } else {
                let at = seeded + rng.below(256);
                pool[at] = input.clone();
            }
        }
        if cost.cpu > worst.cpu {
            costliest.clone_from(&input);
        }
        worst.cpu = worst.cpu.max(cost.cpu);
        worst.heap = worst.heap.max(cost.heap);
        last = Some(input);
    }
    // Not a failure, but where to look for work that grows too fast.
    let kept = root().join("fuzz/artifacts").join(target.name);
    let _ = std::fs::create_dir_all(&kept)
        .and_then(|()| std::fs::write(kept.join("costliest"), &costliest));
    Ok(format!(
        "{runs} inputs in {}s, seed {seed}; most CPU {:.0} ms (input kept as \
         fuzz/artifacts/{}/costliest), most heap {:.1} MB",
        time.as_secs(),
        worst.cpu.as_secs_f64() * 1000.0,
        target.name,
        worst.heap as f64 / (1024.0 * 1024.0)
    ))
}

/// A stable hash, so each target mutates differently from one seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
