//! Fuzz target `email`: an e-mail address as anyone types it into a form.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

/// Reads `data` as an address: one taken is at most 254 bytes, reads back
/// as itself, and its mask hides its local part.
pub fn run(data: &[u8]) {
    use convene::mail::EmailAddress;
    let text = String::from_utf8_lossy(data);
    let _ = convene::mail::address::mask(&text);
    let Ok(address) = EmailAddress::parse(&text) else {
        return;
    };
    assert!(address.as_str().len() <= 254, "{address}");
    assert_eq!(
        EmailAddress::parse(address.as_str()).as_ref(),
        Ok(&address),
        "does not read back"
    );
    assert!(address.masked().contains("***@"), "{}", address.masked());
}
