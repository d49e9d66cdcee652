//! Peak resident set of a process, as Linux keeps it: `VmHWM` in
//! `/proc/<pid>/status`, the high-water mark of its current process image.

/// `pid`'s peak resident set in MB (`"self"` for this process); NaN where
/// /proc says nothing.
pub fn peak_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
