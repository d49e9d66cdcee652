//! Fuzz target `byte_range`: what a GET of a stored file is answered with,
//! from its `Range`, `If-Range` and `If-None-Match` headers.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Lines of `data`: the `Range`, the `If-Range`, the `If-None-Match`, and
/// the file's length. A part answered lies inside the file and is not
/// empty.
pub fn run(data: &[u8]) {
    use convene::files::{answer_to, Answer, Conditions};
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut header = || lines.next().filter(|l| !l.is_empty());
    let (range, if_range, if_none_match) = (header(), header(), header());
    let len = header()
        .and_then(|l| l.trim().parse::<u64>().ok())
        .unwrap_or(1000);
    let etag = convene::files::etag("abc");
    let asked = Conditions {
        if_none_match,
        range,
        if_range,
    };
    if let Answer::Part(part) = answer_to(&asked, &etag, len) {
        assert!(
            part.start < part.end && part.end <= len,
            "{part:?} of {len} bytes for {range:?}"
        );
    }
}
