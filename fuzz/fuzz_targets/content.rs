//! Fuzz target `content`: what an uploaded file is, from its bytes (PDF,
//! Office, MP4, WebVTT, text…), as case attachments and the archive ask.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Identifies `data`, then checks it as a case attachment: the same
/// answer both ways, and a name to store it under for what is taken.
pub fn run(data: &[u8]) {
    use convene::content::{self, Content};
    let found = content::identify_bytes(data);
    let _ = (found.describe(), found.media_type(), found.extension());
    match convene::echo::cases::attachment::check("case.pdf", data, 1 << 20) {
        Ok(kind) => {
            assert!(
                !matches!(found, Content::Empty | Content::Unknown),
                "{found:?} taken as an attachment"
            );
            let name = convene::echo::cases::attachment::safe_filename("case.pdf", kind);
            assert!(name.ends_with(kind.extension()), "{name}");
        }
        Err(refusal) => {
            let _ = refusal.to_string();
        }
    }
}
