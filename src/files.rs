//! Serving a stored file over HTTP: the `Content-Disposition` a name needs
//! (RFC 6266), and what to answer a GET given its `ETag` and size — all of
//! it, a `304`, one byte range (`206`, RFC 9110 §14, what video players
//! seek with) or a `416`. Knows nothing of where files are kept.

use std::ops::Range;

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::Stream;

/// A `Content-Disposition` for `filename` (already safe: see
/// `content::safe_filename`); a name beyond ASCII also goes as RFC 6266
/// `filename*`, with an ASCII stand-in for old clients.
pub fn disposition(filename: &str, inline: bool) -> ContentDisposition {
    let mut parameters = vec![DispositionParam::Filename(
        filename
            .chars()
            .map(|c| if c.is_ascii() { c } else { '_' })
            .collect(),
    )];
    if !filename.is_ascii() {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: filename.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: if inline {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters,
    }
}

/// What a GET of a file is to be answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The client's copy (`If-None-Match`) is current.
    NotModified,
    /// The whole file: no `Range`, one this ignores (several ranges, or an
    /// `If-Range` for another version), or a malformed one.
    Whole,
    /// One range of bytes, end exclusive.
    Part(Range<u64>),
    /// A range that starts past the end.
    Unsatisfiable,
}

/// `"<sha256>"`: a strong validator, the same wherever the file is kept.
pub fn etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// How to answer `req` for a file of `len` bytes tagged `etag` (quoted).
pub fn answer(req: &HttpRequest, etag: &str, len: u64) -> Answer {
    let headers = req.headers();
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let asked = Conditions {
        if_none_match: text(header::IF_NONE_MATCH),
        range: text(header::RANGE),
        if_range: text(header::IF_RANGE),
    };
    answer_to(&asked, etag, len)
}

/// The request headers [`answer`] reads, as text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub range: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

/// [`answer`] from the headers' text.
pub fn answer_to(asked: &Conditions, etag: &str, len: u64) -> Answer {
    if let Some(tags) = asked.if_none_match {
        let matches = tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
        if matches {
            return Answer::NotModified;
        }
    }
    let Some(range) = asked.range else {
        return Answer::Whole;
    };
    // A range of another version is no range of this one.
    if asked.if_range.is_some_and(|v| v.trim() != etag) {
        return Answer::Whole;
    }
    let Ok(parsed) = http_range_header::parse_range_header(range) else {
        return Answer::Whole;
    };
    match parsed.validate(len) {
        Ok(ranges) if ranges.len() == 1 => {
            let r = &ranges[0];
            Answer::Part(*r.start()..*r.end() + 1)
        }
        Ok(_) => Answer::Whole,
        Err(http_range_header::RangeUnsatisfiableError::Unsatisfiable) => Answer::Unsatisfiable,
        Err(_) => Answer::Whole,
    }
}

/// How a file may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Published to anyone: shared caches may keep it for an hour.
    Public,
    /// For the signed-in or a private link: never kept.
    Private,
}

impl Cache {
    fn header(self) -> &'static str {
        match self {
            Cache::Public => "public, max-age=3600",
            Cache::Private => "private, no-store",
        }
    }
}

/// A stored file's description, for its response headers.
pub struct Described<'a> {
    pub etag: &'a str,
    pub len: u64,
    pub media_type: &'a str,
    pub filename: &'a str,
    pub inline: bool,
    pub cache: Cache,
}

/// The response for `answer`, with `body` the bytes it names (the whole
/// file, or the range); `body` is unused for a 304 or 416.
pub fn respond<S, E>(file: &Described, answer: &Answer, body: Option<S>) -> HttpResponse
where
    S: Stream<Item = Result<Bytes, E>> + 'static,
    E: Into<Box<dyn std::error::Error>> + 'static,
{
    let mut response = match answer {
        Answer::NotModified => HttpResponse::NotModified(),
        Answer::Unsatisfiable => {
            return HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{}", file.len)))
                .insert_header((header::ACCEPT_RANGES, "bytes"))
                .finish();
        }
        Answer::Whole => HttpResponse::Ok(),
        Answer::Part(range) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", range.start, range.end - 1, file.len),
            ));
            r
        }
    };
    response
        .insert_header((header::ETAG, file.etag.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, file.cache.header()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if *answer == Answer::NotModified {
        return response.finish();
    }
    let length = match answer {
        Answer::Part(range) => range.end - range.start,
        _ => file.len,
    };
    response
        .content_type(file.media_type.to_string())
        .insert_header(disposition(file.filename, file.inline))
        .no_chunking(length);
    match body {
        Some(body) => response.streaming(body),
        None => response.finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const TAG: &str = "\"abc\"";

    fn asked(headers: &[(&str, &str)]) -> Answer {
        let mut req = TestRequest::get();
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        answer(&req.to_http_request(), TAG, 1000)
    }

    #[test]
    fn a_range_is_one_part_end_exclusive() {
        assert_eq!(asked(&[("range", "bytes=0-99")]), Answer::Part(0..100));
        assert_eq!(asked(&[("range", "bytes=900-")]), Answer::Part(900..1000));
        assert_eq!(asked(&[("range", "bytes=-10")]), Answer::Part(990..1000));
        assert_eq!(
            asked(&[("range", "bytes=990-5000")]),
            Answer::Part(990..1000),
            "an end past the file is the end"
        );
    }

    #[test]
    fn past_the_end_is_unsatisfiable_and_the_rest_is_the_whole() {
        assert_eq!(asked(&[("range", "bytes=1000-")]), Answer::Unsatisfiable);
        assert_eq!(asked(&[]), Answer::Whole);
        assert_eq!(asked(&[("range", "lines=1-2")]), Answer::Whole);
        assert_eq!(
            asked(&[("range", "bytes=0-1,5-6")]),
            Answer::Whole,
            "several ranges: the whole"
        );
        assert_eq!(
            asked(&[("range", "bytes=0-1"), ("if-range", "\"old\"")]),
            Answer::Whole,
            "a range of another version"
        );
        assert_eq!(
            asked(&[("range", "bytes=0-1"), ("if-range", TAG)]),
            Answer::Part(0..2)
        );
    }

    #[test]
    fn a_current_copy_is_not_modified() {
        assert_eq!(asked(&[("if-none-match", TAG)]), Answer::NotModified);
        assert_eq!(
            asked(&[("if-none-match", "\"x\", W/\"abc\"")]),
            Answer::NotModified
        );
        assert_eq!(asked(&[("if-none-match", "\"x\"")]), Answer::Whole);
    }

    #[test]
    fn a_name_beyond_ascii_goes_as_filename_star() {
        let d = disposition("Präsentation.pdf", true).to_string();
        assert!(d.starts_with("inline;"), "{d}");
        assert!(d.contains("filename=\"Pr_sentation.pdf\""), "{d}");
        assert!(d.contains("filename*=UTF-8''Pr%C3%A4sentation.pdf"), "{d}");
    }
}
