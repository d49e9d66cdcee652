//! Fuzz target `duration`: a session's length as organizers type it
//! (`90`, `90m`, `1h30m`).
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Reads `data` as a length: one taken is whole minutes, at least one and
/// at most a day.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(length) = text.parse::<convene::organizer::manage::Length>() {
        let minutes = length.duration().num_minutes();
        assert!((1..=24 * 60).contains(&minutes), "{minutes} minutes");
        assert_eq!(i64::from(length.whole_minutes()), minutes);
    }
}
