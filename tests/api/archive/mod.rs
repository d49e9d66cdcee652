//! A session's materials through the API: each kind uploaded and served
//! back with its type, name and ETag; links; size and content refusals;
//! unsafe file names; range requests; duplicates; who may change them; and
//! that an unpublished material is not public; and all of it on an S3
//! bucket (`s3`).

use convene::auth::Role;
use serde_json::Value;

use crate::helpers::{create_user, token, TestApp};

mod files;
mod manage;
mod s3;
pub mod s3_server;

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/archive/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

/// Posts a materials form: its text `fields`, and `file` as (name, bytes).
pub async fn add(
    app: &TestApp,
    t: &str,
    session: i64,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                // What browsers claim is not what decides.
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/materials",
            app.address
        ))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Files kept in the test's storage folder.
fn kept_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    files_in(&app.settings.archive.dir)
}

/// Files in `dir` and the folders under it.
fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

async fn organizer(app: &TestApp) -> String {
    create_user(app, "org@example.org", Role::Organizer);
    token(app, "org@example.org").await
}
