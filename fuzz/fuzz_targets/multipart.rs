//! Fuzz target `multipart`: a `multipart/form-data` body as the archive,
//! attendance and case forms read it (`upload::read_form`).
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

use std::sync::OnceLock;

use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use bytes::Bytes;

/// The largest file a form may carry here.
const LIMIT: u64 = 4096;

/// The first line of `data` is the boundary (a fixed one when it is not
/// one a header can carry), the rest the body, fed in chunks of a size
/// its first byte picks (8 to 263 bytes). A form read has at most 64
/// fields, each at most 8 KB, and a file within the limit.
pub fn run(data: &[u8]) {
    let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"XyZ"[..], data),
    };
    let mut headers = HeaderMap::new();
    let content_type = [b"multipart/form-data; boundary=", boundary].concat();
    let value = HeaderValue::from_bytes(&content_type).unwrap_or(HeaderValue::from_static(
        "multipart/form-data; boundary=XyZ",
    ));
    headers.insert(CONTENT_TYPE, value);
    // Not smaller than 8 bytes: actix-multipart looks for the end of a
    // part's headers from the start of its buffer (up to 64 KB) on every
    // chunk, so a body trickled a byte at a time costs chunks times 64 KB
    // (a second for 64 KB unoptimized, a few ms optimized): bounded, and
    // not convene's to change. Eight-byte chunks still split boundaries
    // at every position.
    let chunk = 8 + usize::from(body.first().copied().unwrap_or(0));
    let chunks: Vec<Result<Bytes, PayloadError>> = body
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let payload = actix_multipart::Multipart::new(&headers, futures_util::stream::iter(chunks));
    let (runtime, dir) = shared();
    let form = runtime.block_on(convene::upload::read_form(payload, dir.path(), |_| LIMIT));
    let Ok(form) = form else {
        return;
    };
    assert!(form.fields.len() <= 64, "{} fields", form.fields.len());
    for (name, value) in &form.fields {
        assert!(
            value.len() <= 3 * 8192,
            "{name}: {} bytes kept",
            value.len()
        );
    }
    if let Some((file, _)) = &form.file {
        assert!(file.len() <= LIMIT, "{} bytes spooled", file.len());
    }
}

/// One runtime and one folder for the whole run.
fn shared() -> &'static (tokio::runtime::Runtime, tempfile::TempDir) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, tempfile::TempDir)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        (runtime, tempfile::tempdir().expect("a temporary folder"))
    })
}
