//! A session's materials through the API: each kind uploaded and served
//! back with its type, name and ETag; links; size and content refusals;
//! unsafe file names; range requests; duplicates; who may change them; and
//! that an unpublished material is not public.

use convene::auth::Role;
use serde_json::Value;

use crate::helpers::{create_user, send, sign_in, token, TestApp};

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
    walk(&app.settings.archive.dir, &mut out);
    out
}

async fn organizer(app: &TestApp) -> String {
    create_user(app, "org@example.org", Role::Organizer);
    token(app, "org@example.org").await
}

#[tokio::test]
async fn each_kind_is_kept_and_served_with_its_type_name_and_etag() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let cases = [
        ("slides", "slides.pdf", "application/pdf", "inline"),
        (
            "slides",
            "slides.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "attachment",
        ),
        ("recording", "recording.mp4", "video/mp4", "inline"),
        ("recording", "audio.m4a", "audio/mp4", "inline"),
        (
            "transcript",
            "transcript.vtt",
            "text/vtt; charset=utf-8",
            "inline",
        ),
        ("chat", "chat.txt", "text/plain; charset=utf-8", "inline"),
    ];
    for (kind, name, media_type, disposition) in cases {
        let bytes = fixture(name);
        let (status, body) = add(
            &app,
            &t,
            session,
            &[("kind", kind), ("title", name), ("published", "true")],
            Some((name, bytes.clone())),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        let m = &body["material"];
        assert_eq!(m["file"]["media_type"], media_type, "{name}: {body}");
        assert_eq!(m["file"]["name"], name, "{name}");
        let download = app.get(m["href"].as_str().unwrap()).await;
        assert_eq!(download.status().as_u16(), 200, "{name}");
        let headers = download.headers().clone();
        assert_eq!(headers["content-type"], media_type, "{name}");
        assert_eq!(
            headers["content-disposition"],
            format!("{disposition}; filename=\"{name}\""),
            "{name}"
        );
        assert_eq!(
            headers["etag"],
            format!("\"{}\"", m["file"]["sha256"].as_str().unwrap()),
            "{name}"
        );
        assert_eq!(headers["accept-ranges"], "bytes");
        assert_eq!(
            download.bytes().await.unwrap(),
            bytes,
            "{name} comes back whole"
        );
    }
    assert_eq!(kept_files(&app).len(), cases.len(), "one kept file each");

    // A recording on Zoom's cloud is a link, and its download a redirect.
    let zoom = "https://us02web.zoom.us/rec/share/AbC123";
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording"), ("url", zoom), ("published", "on")],
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["material"]["link"]["site"], "Zoom");
    assert_eq!(body["material"]["title"], "Recording", "the kind names it");
    assert_eq!(body["material"]["href"], zoom, "pages link to it directly");
    let id = body["material"]["id"].as_i64().unwrap();
    let redirect = app.get(&format!("/materials/{id}")).await;
    assert_eq!(redirect.status().as_u16(), 302);
    assert_eq!(redirect.headers()["location"], zoom);
}

#[tokio::test]
async fn an_unpublished_material_is_the_organizers_only() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let cookie = sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["material"]["id"].as_i64().unwrap();
    assert_eq!(
        body["material"]["published"], false,
        "not published unless asked"
    );

    let public = app.get(&format!("/materials/{id}")).await;
    assert_eq!(public.status().as_u16(), 404, "not published: not public");
    let signed_in =
        crate::helpers::page(&app, &format!("/organizer/materials/{id}"), &cookie).await;
    assert_eq!(signed_in.status().as_u16(), 200);
    assert_eq!(signed_in.headers()["cache-control"], "private, no-store");

    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/materials/{id}"),
        Some(&t),
        Some(serde_json::json!({ "published": true, "presenter": "Maria Lopez" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["material"]["published_at"].is_string(), "{body}");
    let public = app.get(&format!("/materials/{id}")).await;
    assert_eq!(public.status().as_u16(), 200, "published: public");
    assert_eq!(public.headers()["cache-control"], "public, max-age=3600");
}

#[tokio::test]
async fn a_file_over_its_kinds_limit_is_413_and_the_wrong_content_415() {
    let app = TestApp::spawn_with(|s| s.archive.document_max_mb = 1).await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let mut big = fixture("slides.pdf");
    big.splice(20..20, std::iter::repeat_n(b' ', 1024 * 1024 + 1));

    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides")],
        Some(("big.pdf", big)),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1 MB"),
        "{body}"
    );

    // A Windows program renamed to look like slides.
    let mut program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    program.resize(4096, 0);
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides")],
        Some(("slides.pdf", program)),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(
        body["error"]["message"],
        "This is a program, not slides. Slides must be a PDF or a PowerPoint presentation (.pptx)."
    );
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording")],
        Some(("talk.mp4", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 415, "a PDF is no recording: {body}");
    assert!(kept_files(&app).is_empty(), "nothing refused is kept");
    let spooled: Vec<_> = std::fs::read_dir(&app.settings.archive.spool_dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        spooled.is_empty(),
        "no upload left in the spool: {spooled:?}"
    );
    let (_, listed) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/materials"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(listed["materials"], serde_json::json!([]));
}

#[tokio::test]
async fn a_file_name_is_made_safe_and_never_a_path() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "document"), ("published", "yes")],
        Some(("../../../etc/passwd\u{202E}fdp.exe", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let m = &body["material"];
    assert_eq!(m["file"]["name"], "passwdfdp.pdf", "{body}");
    let sha = m["file"]["sha256"].as_str().unwrap();
    let kept = kept_files(&app);
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0].starts_with(&app.settings.archive.dir) && kept[0].ends_with(sha),
        "kept under its hash, inside the archive: {kept:?}"
    );
    assert!(
        !app.db.dir().join("etc").exists() && !std::path::Path::new("/etc/passwdfdp.pdf").exists()
    );
    let download = app.get(m["href"].as_str().unwrap()).await;
    assert_eq!(
        download.headers()["content-disposition"],
        "inline; filename=\"passwdfdp.pdf\""
    );
}

#[tokio::test]
async fn a_range_request_gets_those_bytes_with_206() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let bytes = fixture("recording.mp4");
    let (_, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording"), ("published", "true")],
        Some(("talk.mp4", bytes.clone())),
    )
    .await;
    let href = format!(
        "{}{}",
        app.address,
        body["material"]["href"].as_str().unwrap()
    );
    let etag = format!(
        "\"{}\"",
        body["material"]["file"]["sha256"].as_str().unwrap()
    );
    let get = |range: Option<&str>, if_none_match: Option<&str>| {
        let mut request = app.client.get(&href);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        if let Some(tag) = if_none_match {
            request = request.header("if-none-match", tag);
        }
        request.send()
    };

    let part = get(Some("bytes=100-199"), None).await.unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{}", bytes.len())
    );
    assert_eq!(part.headers()["content-length"], "100");
    assert_eq!(part.bytes().await.unwrap(), &bytes[100..200]);

    let tail = get(Some("bytes=-16"), None).await.unwrap();
    assert_eq!(tail.status().as_u16(), 206);
    assert_eq!(tail.bytes().await.unwrap(), &bytes[bytes.len() - 16..]);

    let past = get(Some(&format!("bytes={}-", bytes.len())), None)
        .await
        .unwrap();
    assert_eq!(past.status().as_u16(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{}", bytes.len())
    );

    let cached = get(None, Some(&etag)).await.unwrap();
    assert_eq!(
        cached.status().as_u16(),
        304,
        "the browser's copy is current"
    );
}

#[tokio::test]
async fn the_same_file_again_is_recognized_and_kept_once() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let jams: Vec<i64> = app
        .sessions()
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let upload = |session: i64, name: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            add(
                app,
                t,
                session,
                &[("kind", "slides")],
                Some((name, fixture("slides.pptx"))),
            )
            .await
        }
    };
    let (first, body) = upload(jams[0], "deck.pptx").await;
    assert_eq!(first, 201, "{body}");
    let (again, body) = upload(jams[0], "deck (1).pptx").await;
    assert_eq!(again, 200, "{body}");
    assert_eq!(body["duplicate"], true);
    let (other, body) = upload(jams[1], "deck.pptx").await;
    assert_eq!(other, 201, "another session's own material: {body}");
    assert_eq!(kept_files(&app).len(), 1, "one file kept for both");
}

#[tokio::test]
async fn fields_are_checked_roles_enforced_and_removal_frees_the_file() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let facilitator = token(&app, "hub@example.org").await;
    let session = app.next_jam().await;

    let (status, body) = add(&app, &t, session, &[("kind", "poster")], None).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["kind"].is_string() && body["error"]["fields"]["file"].is_string(),
        "{body}"
    );
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides"), ("url", "https://example.org/deck")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 422, "a file and a link: {body}");
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording"), ("url", "javascript:alert(1)")],
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["url"].is_string());

    let (status, _) = add(
        &app,
        &facilitator,
        session,
        &[("kind", "slides")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(
        status, 403,
        "facilitators keep their cohorts' materials, not the Jam's"
    );
    let (status, _) = add(&app, &t, 999_999, &[("kind", "slides")], None).await;
    assert_eq!(status, 404);
    let many: Vec<(String, String)> = (0..65).map(|i| (format!("f{i}"), "x".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = add(&app, &t, session, &many, None).await;
    assert_eq!(status, 422, "a form of endless fields is refused: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many fields"),
        "{body}"
    );

    let (_, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    let id = body["material"]["id"].as_i64().unwrap();
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/materials/{id}"),
        Some(&t),
        Some(serde_json::json!({ "kind": "recording" })),
    )
    .await;
    assert_eq!(status, 422, "a PDF cannot become a recording: {body}");
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/materials/{id}"),
        Some(&facilitator),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/materials/{id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(kept_files(&app).is_empty(), "its file went with it");
    let audited: Vec<String> = crate::helpers::with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.like("material.%"))
            .order(id.asc())
            .select(action)
            .load(c)
            .unwrap()
    });
    assert_eq!(audited, ["material.added", "material.removed"]);
}

/// Posts the session page's materials form as a browser does.
async fn add_on_page(
    app: &TestApp,
    cookie: &str,
    session: i64,
    csrf: &str,
    kind: &str,
    file: (&str, Vec<u8>),
) -> reqwest::Response {
    crate::helpers::post_multipart(
        app,
        &format!("/organizer/sessions/{session}/materials"),
        cookie,
        &[("csrf", csrf), ("kind", kind), ("title", ""), ("url", "")],
        file,
    )
    .await
}

#[tokio::test]
async fn the_session_page_adds_publishes_and_removes_materials() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let page = format!("/organizer/sessions/{session}");
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_of(&html);
    assert!(html.contains("No slides, recording or other materials yet."));

    let forged = add_on_page(
        &app,
        &cookie,
        session,
        "forged",
        "slides",
        ("deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    assert!(
        kept_files(&app).is_empty(),
        "nothing kept for a forged form"
    );
    let refused = add_on_page(
        &app,
        &cookie,
        session,
        &csrf,
        "recording",
        ("deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 415);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("This is a PDF, not recording."));

    let added = add_on_page(
        &app,
        &cookie,
        session,
        &csrf,
        "slides",
        ("Our deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(added.headers()["location"], format!("{page}#materials"));
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong>Slides</strong>: <a href=\"/organizer/materials/")
            && html.contains("Our deck.pdf, 628 bytes")
            && html.contains("not published"),
        "{html}"
    );
    let (_, listed) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/materials"),
        Some(&token(&app, "org@example.org").await),
        None,
    )
    .await;
    let id = listed["materials"][0]["id"].as_i64().unwrap();

    let post = |path: String| {
        let (app, cookie, csrf) = (&app, &cookie, &csrf);
        async move { crate::helpers::post_page(app, &path, cookie, &[("csrf", csrf)]).await }
    };
    for (action, public) in [("publish", 200), ("unpublish", 404), ("remove", 404)] {
        let done = post(format!("/organizer/materials/{id}/{action}")).await;
        assert_eq!(done.status().as_u16(), 303, "{action}");
        let download = app.get(&format!("/materials/{id}")).await;
        assert_eq!(download.status().as_u16(), public, "after {action}");
    }
    assert!(kept_files(&app).is_empty(), "removed with its file");
    assert_eq!(
        crate::helpers::page(&app, &format!("/organizer/materials/{id}"), &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn an_echo_cohorts_materials_are_for_its_participants_only() {
    use crate::echo::{application, cohort_3, echo_app, participant_page};
    let (app, hub) = echo_app(40).await;
    // A second cohort, with the same dates.
    let mut cohort_4 = cohort_3(40);
    cohort_4["slug"] = "cohort-4".into();
    cohort_4["name"] = "Cohort 4".into();
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        Some(&hub),
        Some(cohort_4),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for (cohort, email) in [
        ("cohort-3", "ada@example.org"),
        ("cohort-4", "ben@example.org"),
    ] {
        let applied = app
            .client
            .post(format!("{}/echo/{cohort}/apply", app.address))
            .form(&application(email, "participant"))
            .send()
            .await
            .unwrap();
        assert_eq!(applied.status().as_u16(), 200, "{email}");
    }
    for id in crate::echo::application_ids(&app) {
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/echo/applications/{id}/decision"),
            Some(&hub),
            Some(serde_json::json!({ "decision": "approved" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, cohort) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&hub),
        None,
    )
    .await;
    let first = &cohort["sessions"][0];
    let session = first["id"].as_i64().unwrap();

    // The hub's facilitator keeps the cohort's materials.
    let (status, body) = add(
        &app,
        &hub,
        session,
        &[
            ("kind", "slides"),
            ("title", "Didactic: peer supervision"),
            ("published", "true"),
        ],
        Some(("didactic.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let shared = body["material"]["id"].as_i64().unwrap();
    let (_, body) = add(
        &app,
        &hub,
        session,
        &[("kind", "chat")],
        Some(("chat.txt", fixture("chat.txt"))),
    )
    .await;
    let draft = body["material"]["id"].as_i64().unwrap();

    let ada = participant_page(&app, "ada@example.org");
    let ben = participant_page(&app, "ben@example.org");
    let html = app.get(&ada).await.text().await.unwrap();
    let own_link = format!("{ada}/materials/{shared}");
    assert!(
        html.contains(&format!("href=\"{own_link}\""))
            && html.contains("Didactic: peer supervision"),
        "the cohort's participant sees it on her page: {html}"
    );
    assert!(!html.contains("Chat log"), "not what is unpublished");
    let download = app.get(&own_link).await;
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(download.headers()["cache-control"], "private, no-store");
    assert_eq!(download.bytes().await.unwrap(), fixture("slides.pdf"));
    for (path, why) in [
        (format!("{ada}/materials/{draft}"), "unpublished"),
        (
            format!("{ben}/materials/{shared}"),
            "another cohort's participant",
        ),
        (format!("/materials/{shared}"), "the public"),
    ] {
        assert_eq!(app.get(&path).await.status().as_u16(), 404, "{why}: {path}");
    }
    let bens_page = app.get(&ben).await.text().await.unwrap();
    assert!(
        !bens_page.contains("Didactic: peer supervision"),
        "{bens_page}"
    );

    // Once held, it is still never on the Past Jams page.
    let ends: chrono::DateTime<chrono::Utc> = first["ends_at"].as_str().unwrap().parse().unwrap();
    app.clock.set(ends + chrono::Duration::days(2));
    let past = app.get("/past").await.text().await.unwrap();
    assert!(!past.contains("Didactic: peer supervision"), "{past}");
}
