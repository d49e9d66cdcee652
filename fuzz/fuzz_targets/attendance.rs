//! Fuzz target `attendance`: an attendance report as an organizer uploads
//! it (Zoom, Teams or a plain CSV), read whole and merged by e-mail.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Reads `data` as a report: a report or an error, and every attendee
/// listed once.
pub fn run(data: &[u8]) {
    let Ok(report) = convene::attendance::parse::parse(data) else {
        return;
    };
    let mut emails: Vec<&str> = report.attendees.iter().map(|a| a.email.as_str()).collect();
    emails.sort_unstable();
    let listed = emails.len();
    emails.dedup();
    assert_eq!(emails.len(), listed, "an attendee is listed twice");
}
