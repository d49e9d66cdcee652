//! Fuzz target `filename`: the name a browser gives an upload, made safe
//! to store and to send back in `Content-Disposition`.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Makes `data` a file name for each extension convene stores: never a
/// path, no control or invisible characters, short, and ending in the
/// extension; then a header for it.
pub fn run(data: &[u8]) {
    use convene::content::{safe_filename, MAX_FILENAME_CHARS};
    let name = String::from_utf8_lossy(data);
    for extension in ["pdf", "docx", "pptx", "xlsx", "mp4", "m4a", "vtt", "txt"] {
        let safe = safe_filename(&name, extension, "file");
        assert!(
            safe.chars().count() <= MAX_FILENAME_CHARS,
            "{safe:?} is long"
        );
        assert!(safe.ends_with(&format!(".{extension}")), "{safe:?}");
        assert!(
            !safe.contains(['/', '\\', '"', '\0']) && !safe.chars().any(char::is_control),
            "{safe:?}"
        );
        assert!(!safe.starts_with(['.', ' ']), "{safe:?}");
        let header = convene::files::disposition(&safe, false).to_string();
        assert!(!header.contains(['\r', '\n']), "{header:?}");
    }
}
