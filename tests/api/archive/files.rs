//! How a material's file is kept and served: its type, name and ETag,
//! limits, safe names, ranges, and one copy of the same file.

use super::{add, fixture, kept_files, organizer};
use crate::helpers::{send, sign_in, TestApp};

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
async fn a_recording_of_several_reads_comes_back_whole_and_by_ranges_across_them() {
    // The local store is read a MiB at a time (`storage::LOCAL_READ`): a
    // file of three reads and a bit, every byte telling where it sits.
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let mut bytes = fixture("recording.mp4");
    let len = 3 * 1024 * 1024 + 17;
    bytes.extend((bytes.len()..len).map(|i| (i % 251) as u8));
    let (_, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording"), ("published", "true")],
        Some(("long.mp4", bytes.clone())),
    )
    .await;
    let href = format!(
        "{}{}",
        app.address,
        body["material"]["href"].as_str().unwrap()
    );
    let whole = app.client.get(&href).send().await.unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    assert!(
        whole.bytes().await.unwrap() == bytes,
        "the whole file, in order"
    );
    let mib = 1024 * 1024;
    for (from, to) in [(mib - 5, mib + 5), (10, 2 * mib + 3), (3 * mib, len - 1)] {
        let part = app
            .client
            .get(&href)
            .header("range", format!("bytes={from}-{to}"))
            .send()
            .await
            .unwrap();
        assert_eq!(part.status().as_u16(), 206);
        assert!(
            part.bytes().await.unwrap() == bytes[from..=to],
            "bytes {from}-{to}"
        );
    }
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
