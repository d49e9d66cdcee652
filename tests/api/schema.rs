//! Every answer the tests get from an `/api/` path is held to the OpenAPI
//! document the app serves (`/api/v1/openapi.json`, fetched once per
//! process): the route (method and path template) and status must be
//! documented, the content type must be one documented for that status, and
//! a JSON body must match its schema. `Client` is the HTTP client of
//! `TestApp`: a test that receives an answer the document does not describe
//! fails there, with what was wrong.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// What the document says about one answer: `Err` says why it is wrong.
pub struct Document {
    doc: Value,
    /// (path template, literal characters, its pattern), most literal first.
    templates: Vec<(String, usize, regex::Regex)>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// Answers the document does not cover: the document itself and its page.
const UNDOCUMENTED: &[&str] = &["/api/v1/openapi.json", "/api/v1/docs"];

impl Document {
    pub fn new(doc: Value) -> Self {
        let mut templates: Vec<_> = doc["paths"]
            .as_object()
            .expect("the document has paths")
            .keys()
            .map(|template| {
                let mut pattern = String::from("^");
                let mut literal = 0;
                for (i, part) in template.split(['{', '}']).enumerate() {
                    // Odd parts are parameter names: one segment, not empty.
                    if i % 2 == 1 {
                        pattern.push_str("[^/]+");
                    } else {
                        literal += part.len();
                        pattern.push_str(&regex::escape(part));
                    }
                }
                pattern.push('$');
                let re = regex::Regex::new(&pattern).expect("a path template's pattern");
                (template.clone(), literal, re)
            })
            .collect();
        // `/sessions/{id}/attendance/mark` before `/sessions/{id}/attendance/{format}`.
        templates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Document {
            doc,
            templates,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The documented path template `path` (no query) falls under.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.templates
            .iter()
            .find(|(_, _, re)| re.is_match(path))
            .map(|(t, _, _)| t.as_str())
    }

    /// Checks one answer to `method path`: its status, its content type
    /// (`None` when it has none) and its body (read when JSON).
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        if UNDOCUMENTED.contains(&path) {
            return Ok(());
        }
        let media = content_type.map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let method = method.to_ascii_lowercase();
        let operation = self
            .template(path)
            .map(|t| (t, &self.doc["paths"][t][&method]))
            .filter(|(_, op)| op.is_object());
        let Some((template, operation)) = operation else {
            // Unrouted: the catch-all answers the JSON 404.
            if status == 404 {
                return self.check_body("ErrorBody", &error_body_schema(), media, body);
            }
            return Err(format!(
                "{} {path} is not in the OpenAPI document, yet answered {status}",
                method.to_uppercase()
            ));
        };
        let responses = &operation["responses"];
        let documented = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
            .or_else(|| responses.get("default"));
        let Some(documented) = documented else {
            let listed: Vec<&String> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .collect();
            return Err(format!(
                "{} {template} answered {status}, which its OpenAPI entry does not list (it lists {listed:?})",
                method.to_uppercase()
            ));
        };
        let content = documented["content"].as_object();
        let key = format!("{} {template} {status}", method.to_uppercase());
        match (content.filter(|c| !c.is_empty()), media) {
            // A JSON body the document gives no schema for.
            (None, Some(media)) if is_json(&media) && !body.is_empty() => Err(format!(
                "{key}: documented without a body, answered {media}"
            )),
            (None, _) => Ok(()),
            (Some(content), media) => {
                let media = media.unwrap_or_default();
                let Some(entry) = content.get(&media).or_else(|| content.get("*/*")) else {
                    return Err(format!(
                        "{key}: answered {:?}, documented {:?}",
                        media,
                        content.keys().collect::<Vec<_>>()
                    ));
                };
                match entry.get("schema") {
                    Some(schema) if is_json(&media) => {
                        self.check_body(&key, schema, Some(media), body)
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// `body` (of type `media`) against `schema`, its `$ref`s resolved in
    /// the document's components.
    fn check_body(
        &self,
        key: &str,
        schema: &Value,
        media: Option<String>,
        body: &[u8],
    ) -> Result<(), String> {
        if !media.as_deref().is_some_and(is_json) {
            return Err(format!("{key}: answered {media:?}, not JSON"));
        }
        let instance: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{key}: the body is not JSON ({e})"))?;
        let validator = {
            let mut cache = self.validators.lock().unwrap();
            match cache.get(key) {
                Some(v) => v.clone(),
                None => {
                    let mut root = schema.clone();
                    root["components"] = self.doc["components"].clone();
                    let v = Arc::new(
                        // Formats too: a `date-time` must carry its offset.
                        jsonschema::draft202012::options()
                            .should_validate_formats(true)
                            .build(&root)
                            .map_err(|e| format!("{key}: the documented schema is broken: {e}"))?,
                    );
                    cache.insert(key.to_string(), v.clone());
                    v
                }
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("  at {:?}: {e}", e.instance_path().to_string()))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        let mut shown = instance.to_string();
        if shown.chars().count() > 2000 {
            shown = shown.chars().take(2000).chain(['…']).collect();
        }
        Err(format!(
            "{key}: the body does not match the OpenAPI schema:\n{}\nbody: {shown}",
            errors.join("\n")
        ))
    }
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

fn error_body_schema() -> Value {
    json!({ "$ref": "#/components/schemas/ErrorBody" })
}

static DOCUMENT: tokio::sync::OnceCell<Arc<Document>> = tokio::sync::OnceCell::const_new();

/// The document `base` serves, fetched on the first call in the process.
async fn document(base: &str) -> Arc<Document> {
    DOCUMENT
        .get_or_init(|| async {
            let doc: Value = reqwest::get(format!("{base}/api/v1/openapi.json"))
                .await
                .expect("GET /api/v1/openapi.json")
                .json()
                .await
                .expect("the OpenAPI document is JSON");
            Arc::new(Document::new(doc))
        })
        .await
        .clone()
}

/// Holds `response` to `method url` to the document (panicking with what is
/// wrong), and hands it back as it came.
async fn checked(
    method: &reqwest::Method,
    url: &reqwest::Url,
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    if !url.path().starts_with("/api/") {
        return Ok(response);
    }
    let base = format!("{}://{}", url.scheme(), url.authority());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = response.status();
    let document = document(&base).await;
    if !content_type
        .as_deref()
        .is_some_and(|ct| is_json(ct.split(';').next().unwrap_or("").trim()))
    {
        // Not JSON: only the status and the content type are checked; the
        // body (a file, a CSV) stays a stream.
        if let Err(e) = document.check(
            method.as_str(),
            url.path(),
            status.as_u16(),
            content_type.as_deref(),
            &[],
        ) {
            panic!("{e}");
        }
        return Ok(response);
    }
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    if let Err(e) = document.check(
        method.as_str(),
        url.path(),
        status.as_u16(),
        content_type.as_deref(),
        &body,
    ) {
        panic!("{e}");
    }
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// `reqwest::Client` whose answers from `/api/` paths are checked against
/// the OpenAPI document (see the module's comment).
#[derive(Clone)]
pub struct Client(reqwest::Client);

impl Client {
    pub fn new(inner: reqwest::Client) -> Self {
        Client(inner)
    }

    pub fn request<U: reqwest::IntoUrl>(&self, method: reqwest::Method, url: U) -> RequestBuilder {
        RequestBuilder(self.0.request(method, url))
    }

    pub fn get<U: reqwest::IntoUrl>(&self, url: U) -> RequestBuilder {
        RequestBuilder(self.0.get(url))
    }

    pub fn post<U: reqwest::IntoUrl>(&self, url: U) -> RequestBuilder {
        RequestBuilder(self.0.post(url))
    }
}

/// `reqwest::RequestBuilder` whose `send` checks the answer.
pub struct RequestBuilder(reqwest::RequestBuilder);

impl RequestBuilder {
    pub fn header<K, V>(self, key: K, value: V) -> Self
    where
        reqwest::header::HeaderName: TryFrom<K>,
        <reqwest::header::HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        reqwest::header::HeaderValue: TryFrom<V>,
        <reqwest::header::HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        RequestBuilder(self.0.header(key, value))
    }

    pub fn bearer_auth<T: std::fmt::Display>(self, token: T) -> Self {
        RequestBuilder(self.0.bearer_auth(token))
    }

    pub fn json<T: serde::Serialize + ?Sized>(self, json: &T) -> Self {
        RequestBuilder(self.0.json(json))
    }

    pub fn form<T: serde::Serialize + ?Sized>(self, form: &T) -> Self {
        RequestBuilder(self.0.form(form))
    }

    pub fn body<T: Into<reqwest::Body>>(self, body: T) -> Self {
        RequestBuilder(self.0.body(body))
    }

    pub fn multipart(self, form: reqwest::multipart::Form) -> Self {
        RequestBuilder(self.0.multipart(form))
    }

    pub async fn send(self) -> reqwest::Result<reqwest::Response> {
        let (client, request) = self.0.build_split();
        let request = request?;
        let (method, url) = (request.method().clone(), request.url().clone());
        let response = client.execute(request).await?;
        checked(&method, &url, response).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::TestApp;
    use super::*;

    async fn served() -> Arc<Document> {
        let app = TestApp::spawn().await;
        document(&app.address).await
    }

    #[tokio::test]
    async fn a_body_that_breaks_its_schema_is_caught() {
        let doc = served().await;
        let wrong = br#"{"sessions": [{"id": "12", "title": 3}]}"#;
        let err = doc
            .check(
                "GET",
                "/api/v1/sessions",
                200,
                Some("application/json"),
                wrong,
            )
            .expect_err("a session id as a string, a title as a number");
        assert!(err.contains("GET /api/v1/sessions 200"), "{err}");
        let right = br#"{"error": {"code": "not_found", "message": "No such session."}}"#;
        let err = doc
            .check(
                "PATCH",
                "/api/v1/organizer/sessions/7",
                404,
                Some("application/json"),
                br#"{"error": {"code": 404}}"#,
            )
            .expect_err("an error body without a message, its code a number");
        assert!(err.contains("/api/v1/organizer/sessions/{id}"), "{err}");
        doc.check(
            "PATCH",
            "/api/v1/organizer/sessions/7",
            404,
            Some("application/json"),
            right,
        )
        .expect("a real error body passes");
    }

    #[tokio::test]
    async fn an_undocumented_status_or_content_type_is_caught() {
        let doc = served().await;
        let body = br#"{"error": {"code": "x", "message": "y"}}"#;
        let err = doc
            .check(
                "GET",
                "/api/v1/sessions",
                418,
                Some("application/json"),
                body,
            )
            .expect_err("418 is not documented");
        assert!(err.contains("does not list"), "{err}");
        let err = doc
            .check(
                "GET",
                "/api/v1/organizer/sessions/7/lineup",
                404,
                Some("text/plain; charset=utf-8"),
                b"not found",
            )
            .expect_err("a text/plain error on an /api/ route");
        assert!(err.contains("text/plain"), "{err}");
        let err = doc
            .check(
                "GET",
                "/api/v1/nothing/here",
                200,
                Some("application/json"),
                b"{}",
            )
            .expect_err("an undocumented route");
        assert!(err.contains("not in the OpenAPI document"), "{err}");
    }

    #[test]
    fn a_json_body_the_document_gives_no_schema_is_caught() {
        let doc = Document::new(json!({
            "paths": { "/api/v1/things": { "get": { "responses": {
                "200": { "description": "documented without a body" }
            } } } }
        }));
        let err = doc
            .check(
                "GET",
                "/api/v1/things",
                200,
                Some("application/json"),
                b"{}",
            )
            .expect_err("a JSON body with no schema");
        assert!(err.contains("documented without a body"), "{err}");
        assert_eq!(
            doc.check("GET", "/api/v1/things", 200, None, b""),
            Ok(()),
            "an empty answer needs no schema"
        );
    }

    #[tokio::test]
    async fn the_most_literal_template_wins() {
        let doc = served().await;
        assert_eq!(
            doc.template("/api/v1/sessions/3/attendance/mark"),
            Some("/api/v1/sessions/{id}/attendance/mark")
        );
        assert_eq!(
            doc.template("/api/v1/sessions/3/attendance/zoom"),
            Some("/api/v1/sessions/{id}/attendance/{format}")
        );
        assert_eq!(doc.template("/api/v1/sessions/3/x/y/z"), None);
    }

    #[tokio::test]
    async fn a_wrong_body_fails_the_request_that_received_it() {
        let app = TestApp::spawn().await;
        // The client itself: a real answer passes through unchanged ...
        let response = app
            .client
            .get(format!("{}/api/v1/sessions", app.address))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.expect("the body survives the check");
        assert!(body["sessions"].is_array());
        // ... and one the document does not describe panics.
        let caught = tokio::spawn(async move {
            let url: reqwest::Url = format!("{}/api/v1/sessions", app.address).parse().unwrap();
            let fake = http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(r#"{"sessions": "none"}"#)
                .unwrap();
            let _ = checked(&reqwest::Method::GET, &url, reqwest::Response::from(fake)).await;
        })
        .await;
        let panic = caught.expect_err("the wrong body panics");
        let message = panic
            .into_panic()
            .downcast::<String>()
            .map(|s| *s)
            .unwrap_or_default();
        assert!(
            message.contains("does not match the OpenAPI schema"),
            "{message}"
        );
    }
}
