//! The budget every input runs under: no panic, at most [`MAX_CPU`] of
//! CPU time on the thread that runs it, at most [`MAX_HEAP`] of heap held
//! at once (counted by the global allocator below). An input over either
//! is stopped as it goes over — an endless loop or a 100 GB allocation
//! never finishes — by saving it to `fuzz/artifacts/<target>/` and ending
//! the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::Target;

/// CPU time one input may take.
pub const MAX_CPU: Duration = Duration::from_secs(1);
/// Heap one input may hold at once, beyond what was held before it.
pub const MAX_HEAP: usize = 64 * 1024 * 1024;
/// An input that waits rather than computes is stopped after this long
/// (wall time, generous: the machine may be busy).
const MAX_WAIT: Duration = Duration::from_secs(30);

/// What an input cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub cpu: Duration,
    /// The most heap held at once, beyond what was held before.
    pub heap: usize,
}

// ------------------------------------------------------------ the heap

static HELD: AtomicUsize = AtomicUsize::new(0);
static BASE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Whether the heap is checked: while an input runs, until a failure.
static ARMED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting what is held.
pub struct CountingAlloc;

/// Counts `bytes` more held; an input going over its budget ends here,
/// before the memory is asked for.
fn take(bytes: usize) {
    let held = HELD.fetch_add(bytes, SeqCst) + bytes;
    PEAK.fetch_max(held, SeqCst);
    if ARMED.load(SeqCst) && held.saturating_sub(BASE.load(SeqCst)) > MAX_HEAP {
        fail_now(Over::Heap(held - BASE.load(SeqCst)), None);
    }
}

fn give(bytes: usize) {
    HELD.fetch_sub(bytes, SeqCst);
}

/// `allocate` for `bytes`, counted (and given back if it fails).
fn counted(bytes: usize, allocate: impl FnOnce() -> *mut u8) -> *mut u8 {
    take(bytes);
    let ptr = allocate();
    if ptr.is_null() {
        give(bytes);
    }
    ptr
}

// SAFETY: every call goes to `System` with the caller's own arguments;
// the counting around it touches only atomics (and on failure ends the
// process without returning).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(layout.size(), || unsafe { System.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(layout.size(), || unsafe { System.alloc_zeroed(layout) })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        give(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size <= old {
            let ptr = unsafe { System.realloc(ptr, layout, new_size) };
            if !ptr.is_null() {
                give(old - new_size);
            }
            return ptr;
        }
        counted(new_size - old, || unsafe {
            System.realloc(ptr, layout, new_size)
        })
    }
}

// ------------------------------------------------------------ the input

/// The input running, for the report when it fails from another thread.
static TARGET: AtomicPtr<Target> = AtomicPtr::new(std::ptr::null_mut());
static INPUT: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static INPUT_LEN: AtomicUsize = AtomicUsize::new(0);
/// Which input runs (one more each time), and whether one does.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);
static RUNNING: AtomicBool = AtomicBool::new(false);
static STARTED_CPU: AtomicU64 = AtomicU64::new(0);
static STARTED_WALL: AtomicU64 = AtomicU64::new(0);
/// Set by the thread reporting a failure; the input's bytes stay alive
/// (and the runner waits) until the process ends or the report is off.
static FAILING: AtomicBool = AtomicBool::new(false);
/// The CPU clock of the thread that runs the inputs.
static RUNNER_CLOCK: AtomicI32 = AtomicI32::new(libc::CLOCK_THREAD_CPUTIME_ID);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// CPU time used so far by the thread whose clock is `clock`.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to.
    unsafe { libc::clock_gettime(clock, &mut now) };
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Runs `input` through `target` under the budget: its cost, or why it
/// failed (the input saved).
pub fn run(target: &'static Target, input: &[u8]) -> Result<Cost, String> {
    TARGET.store(std::ptr::from_ref(target).cast_mut(), SeqCst);
    INPUT.store(input.as_ptr().cast_mut(), SeqCst);
    INPUT_LEN.store(input.len(), SeqCst);
    let cpu = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
    STARTED_CPU.store(nanos(cpu), SeqCst);
    STARTED_WALL.store(nanos(epoch().elapsed()), SeqCst);
    let base = HELD.load(SeqCst);
    BASE.store(base, SeqCst);
    PEAK.store(base, SeqCst);
    SEQUENCE.fetch_add(1, SeqCst);
    RUNNING.store(true, SeqCst);
    ARMED.store(true, SeqCst);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    ARMED.store(false, SeqCst);
    RUNNING.store(false, SeqCst);
    while FAILING.load(SeqCst) {
        // The watchdog is reporting this input: it ends the process.
        std::thread::yield_now();
    }
    let cost = Cost {
        cpu: cpu_time(libc::CLOCK_THREAD_CPUTIME_ID).saturating_sub(cpu),
        heap: PEAK.load(SeqCst).saturating_sub(base),
    };
    match outcome {
        Err(panicked) => {
            let message = panicked
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panicked.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(save(
                target,
                "crash",
                input,
                &format!("panicked: {message}"),
            ))
        }
        Ok(()) if cost.cpu > MAX_CPU => Err(save(
            target,
            "slow",
            input,
            &format!("took {:.2} s of CPU", cost.cpu.as_secs_f64()),
        )),
        Ok(()) => Ok(cost),
    }
}

/// Writes a failing input to `fuzz/artifacts/<target>/<kind>-<hash>`; the
/// message says where, and how to keep it.
fn save(target: &Target, kind: &str, input: &[u8], what: &str) -> String {
    let dir = crate::root().join("fuzz/artifacts").join(target.name);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let path: PathBuf = dir.join(format!("{kind}-{hash:016x}"));
    let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input));
    let shown: String = String::from_utf8_lossy(&input[..input.len().min(120)])
        .escape_debug()
        .collect();
    match saved {
        Ok(()) => format!(
            "{what} on {} bytes (`{shown}`…), saved to {}; keep it as a regression \
             in fuzz/regressions/{}/ and replay it with `cargo test --test fuzz {}`",
            input.len(),
            path.display(),
            target.name,
            target.name,
        ),
        Err(e) => format!(
            "{what} on {} bytes (`{shown}`…), not saved to {}: {e}",
            input.len(),
            path.display()
        ),
    }
}

// ------------------------------------------------------------ stopping

enum Over {
    Heap(usize),
    Cpu(Duration),
    Wait(Duration),
}

/// Reports the running input as over its budget and ends the process.
/// From the watchdog, `sequence` is the input it measured: if that one has
/// finished meanwhile, nothing is reported and this returns.
fn fail_now(over: Over, sequence: Option<u64>) {
    while FAILING.swap(true, SeqCst) {
        // Another thread is reporting; it ends the process or stands down.
        std::thread::yield_now();
    }
    if let Some(sequence) = sequence {
        if !RUNNING.load(SeqCst) || SEQUENCE.load(SeqCst) != sequence {
            FAILING.store(false, SeqCst);
            return;
        }
    }
    // From here the heap is not checked: reporting allocates.
    ARMED.store(false, SeqCst);
    let target = TARGET.load(SeqCst);
    let input = INPUT.load(SeqCst);
    if target.is_null() || input.is_null() {
        eprintln!("fuzz: over budget outside an input");
        std::process::exit(101);
    }
    // SAFETY: the runner keeps the target (a `'static`) and the input alive
    // while an input runs, and waits while `FAILING` is set.
    let (target, input) = unsafe {
        (
            &*target,
            std::slice::from_raw_parts(input, INPUT_LEN.load(SeqCst)),
        )
    };
    let (kind, what) = match over {
        Over::Heap(held) => (
            "oom",
            format!(
                "held more than {} MB of heap ({} bytes)",
                MAX_HEAP >> 20,
                held
            ),
        ),
        Over::Cpu(cpu) => (
            "slow",
            format!("took more than {:.1} s of CPU", cpu.as_secs_f64()),
        ),
        Over::Wait(wall) => (
            "hang",
            format!("ran {:.0} s without finishing", wall.as_secs_f64()),
        ),
    };
    let message = save(target, kind, input, &what);
    println!("test fuzz::{} ... FAILED\n    {message}", target.name);
    println!("\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n");
    std::process::exit(101);
}

/// Starts the thread that stops an input over its CPU time or waiting
/// too long. Call it from the thread that runs the inputs.
pub fn start_watchdog() {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid place to write the calling thread's clock.
    if unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } == 0 {
        RUNNER_CLOCK.store(clock, SeqCst);
    }
    epoch();
    std::thread::spawn(|| loop {
        std::thread::sleep(Duration::from_millis(20));
        let sequence = SEQUENCE.load(SeqCst);
        if !RUNNING.load(SeqCst) {
            continue;
        }
        let cpu = cpu_time(RUNNER_CLOCK.load(SeqCst))
            .saturating_sub(Duration::from_nanos(STARTED_CPU.load(SeqCst)));
        let wall = epoch()
            .elapsed()
            .saturating_sub(Duration::from_nanos(STARTED_WALL.load(SeqCst)));
        if cpu > MAX_CPU {
            fail_now(Over::Cpu(cpu), Some(sequence));
        } else if wall > MAX_WAIT {
            fail_now(Over::Wait(wall), Some(sequence));
        }
    });
}
