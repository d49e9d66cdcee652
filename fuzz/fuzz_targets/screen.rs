//! Fuzz target `screen`: the de-identification screen over a case's free
//! text (fields split at NUL bytes).
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Screens up to three fields of `data`: every finding falls inside its
/// field's text, on a line it has, at a column that line has.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let names = ["title", "tried", "question"];
    let fields: Vec<(&str, &str)> = names.iter().copied().zip(text.splitn(3, '\0')).collect();
    for finding in convene::echo::cases::screen::screen(&fields) {
        let (_, field) = fields
            .iter()
            .find(|(name, _)| *name == finding.field)
            .expect("a finding names a field screened");
        let line = field.split('\n').nth(finding.line - 1);
        let line = line.unwrap_or_else(|| panic!("{finding:?}: no such line"));
        assert!(
            finding.column >= 1 && finding.column <= line.chars().count(),
            "{finding:?} is past its line"
        );
        let _ = finding.message("Field");
    }
}
