//! Input hygiene at the boundary. Every text a request carries — its path,
//! its query, its form or JSON body, the text fields of a multipart form,
//! the rows of an imported report — is valid UTF-8 with no control
//! character but tab, line feed and carriage return; anything else is
//! refused (422) naming the field, before a handler sees it. PostgreSQL
//! cannot store a NUL in text at all, and no other control has a use here.
//! Which fields may hold several lines is the domain types' business: a
//! name or a title refuses a line break ([`one_line`]), a description
//! keeps it.

use std::fmt;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::{Stream, StreamExt};
use serde_json::Value;

use crate::error::ApiError;
use crate::web::AppState;

/// What is wrong with a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotUtf8,
    Control(char),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotUtf8 => f.write_str("is not valid UTF-8 text"),
            Problem::Control('\0') => f.write_str("contains a NUL character, which is not allowed"),
            Problem::Control(c) => write!(
                f,
                "contains the control character U+{:04X}, which is not allowed",
                u32::from(*c)
            ),
        }
    }
}

/// A field refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub problem: Problem,
}

impl Refusal {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }

    /// The API's answer: 422 with the field named in `fields`.
    pub fn api_error(&self) -> ApiError {
        ApiError::Invalid {
            message: format!("The field `{}` {}.", self.field, self.problem),
            fields: vec![(self.field.clone(), self.problem.to_string())],
        }
    }

    /// A page's answer: 422, a page naming the field.
    pub fn page(&self, pages: &crate::web::Pages) -> HttpResponse {
        pages.message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That could not be accepted",
            &format!(
                "The field “{}” {}. Please go back, remove it, and send the form again.",
                self.field, self.problem
            ),
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.problem)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        r.api_error()
    }
}

/// Whether `c` may appear in text: anything but the C0 controls, of
/// which tab, line feed and carriage return are allowed.
fn allowed(c: char) -> bool {
    c >= ' ' || matches!(c, '\t' | '\n' | '\r')
}

/// Checks text already known to be UTF-8.
pub fn check(text: &str) -> Result<(), Problem> {
    match text.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(Problem::Control(c)),
        None => Ok(()),
    }
}

/// `bytes` as text, checked.
pub fn text(bytes: &[u8]) -> Result<&str, Problem> {
    let text = std::str::from_utf8(bytes).map_err(|_| Problem::NotUtf8)?;
    check(text)?;
    Ok(text)
}

/// The value of field `name` read from `bytes`, checked. When the reader
/// `cut` the value at a limit, a character the cut split is dropped.
pub fn field(name: &str, bytes: &[u8], cut: bool) -> Result<String, Refusal> {
    let bytes = match std::str::from_utf8(bytes) {
        Err(e) if cut && e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    };
    text(bytes)
        .map(str::to_string)
        .map_err(|p| Refusal::new(shown(name.as_bytes()), p))
}

/// A value that must be one line (a name, a title): no line break, no tab.
pub fn one_line(s: &str) -> Result<(), String> {
    if s.chars().any(char::is_control) {
        Err("must be one line, without line breaks or control characters".into())
    } else {
        Ok(())
    }
}

/// A field name as it can be shown: bad bytes and controls replaced.
fn shown(name: &[u8]) -> String {
    String::from_utf8_lossy(name)
        .chars()
        .map(|c| if allowed(c) { c } else { '\u{fffd}' })
        .collect()
}

/// `%XX` decoded to bytes (`+` as a space when `plus` is set); a `%` not
/// followed by two hex digits is kept as it is.
fn percent_decode(input: &[u8], plus: bool) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Checks every name and value of an `application/x-www-form-urlencoded`
/// text (a query string or a form body), decoded to bytes: the decoders
/// the extractors use replace bad bytes rather than refuse them.
pub fn check_pairs(encoded: &[u8]) -> Result<(), Refusal> {
    for pair in encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = percent_decode(name, true);
        let value = percent_decode(value, true);
        text(&name)
            .and(text(&value))
            .map_err(|p| Refusal::new(shown(&name), p))?;
    }
    Ok(())
}

/// Checks every key and string of a JSON body, naming the first at fault
/// by its path (`lineup[0].bio`). A body that is not JSON is left to the
/// extractor to refuse, unless it is not UTF-8 either.
pub fn check_json(body: &[u8]) -> Result<(), Refusal> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return walk(&value, "", None);
    }
    if std::str::from_utf8(body).is_ok() {
        return Ok(());
    }
    // Which string holds the bad bytes: mark them with a character the
    // body does not have, and read it again.
    let lossy = String::from_utf8_lossy(body);
    let mark = ('\u{e000}'..='\u{f8ff}')
        .find(|c| !lossy.contains(*c))
        .unwrap_or('\u{fffd}');
    let mut marked = String::with_capacity(body.len());
    for chunk in body.utf8_chunks() {
        marked.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            marked.push(mark);
        }
    }
    match serde_json::from_str::<Value>(&marked) {
        Ok(value) => walk(&value, "", Some(mark)),
        Err(_) => Err(Refusal::new("body", Problem::NotUtf8)),
    }
}

fn walk(value: &Value, path: &str, mark: Option<char>) -> Result<(), Refusal> {
    let at = |path: &str| if path.is_empty() { "body" } else { path }.to_string();
    let checked = |s: &str, path: &str| match mark {
        Some(m) if s.contains(m) => Err(Refusal::new(at(path), Problem::NotUtf8)),
        _ => check(s).map_err(|p| Refusal::new(at(path), p)),
    };
    match value {
        Value::String(s) => checked(s, path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| walk(v, &format!("{path}[{i}]"), mark)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let join = |key: &str| match path {
                "" => key.to_string(),
                _ => format!("{path}.{key}"),
            };
            // The key first: the paths inside it are then clean.
            let key = mark.map_or_else(|| k.clone(), |m| k.replace(m, "\u{fffd}"));
            checked(k, &join(&shown(key.as_bytes())))?;
            walk(v, &join(k), mark)
        }),
        _ => Ok(()),
    }
}

/// The bodies checked, and the limits app.rs gives their extractors: a
/// larger body is passed on unread, for the extractor to refuse.
const FORM_LIMIT: usize = 16 * 1024;
const JSON_LIMIT: usize = 64 * 1024;

#[derive(Clone, Copy)]
enum Body {
    Form,
    Json,
}

fn body_kind(req: &ServiceRequest) -> Option<Body> {
    let content_type = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/x-www-form-urlencoded" {
        Some(Body::Form)
    } else if essence == "application/json" || essence.ends_with("+json") {
        Some(Body::Json)
    } else {
        None
    }
}

/// Checks the request's path, query and (a form or JSON) body; the body
/// is put back as it came.
async fn check_request(req: &mut ServiceRequest) -> Result<(), Refusal> {
    text(&percent_decode(req.path().as_bytes(), false)).map_err(|p| Refusal::new("path", p))?;
    check_pairs(req.query_string().as_bytes())?;
    let Some(kind) = body_kind(req) else {
        return Ok(());
    };
    let limit = match kind {
        Body::Form => FORM_LIMIT,
        Body::Json => JSON_LIMIT,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(());
    }
    let mut payload = req.take_payload();
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() <= limit => body.extend_from_slice(&chunk),
            // Too large, or broken: hand on what was read and the rest,
            // for the extractor to refuse.
            next => {
                let read = futures_util::stream::iter([Ok(Bytes::from(body)), next]);
                let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                    Box::pin(read.chain(payload));
                req.set_payload(Payload::from(stream));
                return Ok(());
            }
        }
    }
    let checked = match kind {
        Body::Form => check_pairs(&body),
        Body::Json => check_json(&body),
    };
    req.set_payload(Payload::from(Bytes::from(body)));
    checked
}

/// The middleware: wraps the whole app once (src/app.rs).
pub struct Hygiene;

impl<S, B> Transform<S, ServiceRequest> for Hygiene
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = HygieneService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HygieneService {
            service: Rc::new(service),
        }))
    }
}

pub struct HygieneService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for HygieneService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let Err(refusal) = check_request(&mut req).await else {
                return service.call(req).await.map(|r| r.map_into_left_body());
            };
            tracing::info!(field = %refusal.field, problem = %refusal.problem, "input refused");
            let state = req.app_data::<web::Data<AppState>>().cloned();
            let response = match state {
                Some(state) if !req.path().starts_with("/api/") => refusal.page(&state.pages),
                _ => refusal.api_error().error_response(),
            };
            Ok(req.into_response(response).map_into_right_body())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<(), Refusal>) -> (String, Problem) {
        let r = r.expect_err("refused");
        (r.field, r.problem)
    }

    #[test]
    fn tab_and_line_ends_pass_and_other_c0_controls_do_not() {
        assert_eq!(check("a\tb\r\nc — ✓ \u{7f}"), Ok(()));
        assert_eq!(check("a\0b"), Err(Problem::Control('\0')));
        assert_eq!(check("\u{1b}[31m"), Err(Problem::Control('\u{1b}')));
        assert_eq!(text(b"caf\xe9"), Err(Problem::NotUtf8));
    }

    #[test]
    fn form_pairs_are_decoded_to_bytes_before_they_are_checked() {
        assert_eq!(check_pairs(b"q=caf%C3%A9+au+lait&page=2&&flag"), Ok(()));
        assert_eq!(
            refused(check_pairs(b"page=1&q=a%00b")),
            ("q".into(), Problem::Control('\0'))
        );
        assert_eq!(
            refused(check_pairs(b"first_name=%FF")),
            ("first_name".into(), Problem::NotUtf8),
            "form_urlencoded would have made this U+FFFD"
        );
        assert_eq!(
            refused(check_pairs(b"na%07me=x")),
            ("na\u{fffd}me".into(), Problem::Control('\u{7}')),
            "a bad name is named as it can be shown"
        );
        assert_eq!(check_pairs(b"q=100%&r=%zz%4"), Ok(()), "a stray % is text");
    }

    #[test]
    fn a_json_body_names_the_path_of_the_string_at_fault() {
        assert_eq!(check_json(br#"{"a":[1,"x",{"b":null}]}"#), Ok(()));
        assert_eq!(
            refused(check_json(
                br#"{"title":"ok","lineup":[{"bio":"x\u0000"}]}"#
            )),
            ("lineup[0].bio".into(), Problem::Control('\0'))
        );
        assert_eq!(
            refused(check_json(br#"{"a\u0001":"x"}"#)),
            ("a\u{fffd}".into(), Problem::Control('\u{1}'))
        );
        assert_eq!(
            refused(check_json(
                b"{\"ok\":\"\xe2\x9c\x93\",\"description\":\"\xff\"}"
            )),
            ("description".into(), Problem::NotUtf8)
        );
        assert_eq!(
            refused(check_json(b"\"\\u0007\"")),
            ("body".into(), Problem::Control('\u{7}'))
        );
        assert_eq!(check_json(b"{not json"), Ok(()), "left to the extractor");
        assert_eq!(
            refused(check_json(b"{not json \xff")),
            ("body".into(), Problem::NotUtf8)
        );
    }

    #[test]
    fn a_field_cut_inside_a_character_drops_the_half_character() {
        let cut = "ab✓".as_bytes()[..4].to_vec();
        assert_eq!(field("title", &cut, true), Ok("ab".into()));
        assert_eq!(
            field("title", &cut, false),
            Err(Refusal::new("title", Problem::NotUtf8))
        );
    }

    #[test]
    fn a_refusal_names_the_field_in_the_api_error() {
        let error = Refusal::new("abstract", Problem::Control('\0')).api_error();
        let ApiError::Invalid { message, fields } = error else {
            panic!("a 422");
        };
        assert!(message.contains("`abstract`"), "{message}");
        assert_eq!(fields[0].0, "abstract");
    }

    #[test]
    fn one_line_refuses_line_breaks() {
        assert!(one_line("A title — with ✓").is_ok());
        assert!(one_line("A\ntitle").is_err());
        assert!(one_line("A\ttitle").is_err());
    }
}
