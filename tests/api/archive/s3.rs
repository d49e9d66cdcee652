//! `archive.store = "s3"` against a real S3 server: s3s-fs (a file-system
//! backed S3 implementation) started inside the test on a port of its own.
//! Files go to its bucket, ranges are asked of it, one copy is kept, removal
//! deletes; and two instances on one database and one bucket, each with its
//! own folders, serve each other's uploads.

use super::s3_server::{S3Server, BUCKET};
use super::{add, files_in, fixture, kept_files, organizer};
use crate::helpers::{send, TestApp};

/// An MP4 (its `ftyp` box, then varied bytes) longer than one 8 MB part, so
/// that it goes to S3 as a multipart upload.
fn long_recording() -> Vec<u8> {
    let mut bytes = 20u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(b"ftypisom\0\0\x02\0isom");
    bytes.extend((0..8 * 1024 * 1024 + 40_000).map(|i: u32| (i % 251) as u8));
    bytes
}

async fn get(url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.expect("GET")
}

#[tokio::test]
async fn on_s3_a_material_is_kept_in_the_bucket_served_by_range_once_and_removed() {
    let s3 = S3Server::start().await;
    let app = TestApp::spawn_with(|s| s3.use_in(s)).await;
    let t = organizer(&app).await;
    let jams: Vec<i64> = app
        .sessions()
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let recording = long_recording();
    let (status, body) = add(
        &app,
        &t,
        jams[0],
        &[("kind", "recording"), ("published", "true")],
        Some(("talk.mp4", recording.clone())),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["material"]["file"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let href = format!(
        "{}{}",
        app.address,
        body["material"]["href"].as_str().unwrap()
    );
    let (status, body) = add(
        &app,
        &t,
        jams[0],
        &[("kind", "slides"), ("published", "true")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let slides_id = body["material"]["id"].as_i64().unwrap();
    let slides_sha = body["material"]["file"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        std::fs::read(s3.object(&sha)).expect("the recording is an object in the bucket"),
        recording,
        "the bucket holds the recording whole"
    );
    assert_eq!(
        std::fs::read(s3.object(&slides_sha)).expect("the slides are an object in the bucket"),
        fixture("slides.pdf")
    );
    assert!(
        kept_files(&app).is_empty(),
        "nothing is kept in archive.dir when the store is S3"
    );

    let whole = get(&href, None).await;
    assert_eq!(whole.status().as_u16(), 200);
    assert_eq!(whole.bytes().await.unwrap(), recording, "served whole");
    // Across the boundary of the two parts it was uploaded in.
    let (from, to) = (8 * 1024 * 1024 - 50, 8 * 1024 * 1024 + 49);
    let part = get(&href, Some(&format!("bytes={from}-{to}"))).await;
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes {from}-{to}/{}", recording.len())
    );
    assert_eq!(part.bytes().await.unwrap(), &recording[from..=to]);
    let object = format!("/{BUCKET}/{}/{sha}", &sha[..2]);
    let reads: Vec<String> = s3
        .requests()
        .into_iter()
        .filter(|r| r.starts_with(&format!("GET {object} ")))
        .collect();
    assert_eq!(
        reads,
        [
            format!("GET {object} bytes=0-{}", recording.len() - 1),
            format!("GET {object} bytes={from}-{to}"),
        ],
        "S3 is asked for the bytes served, and only those"
    );

    let (status, body) = add(
        &app,
        &t,
        jams[1],
        &[("kind", "recording"), ("published", "true")],
        Some(("same talk.mp4", recording.clone())),
    )
    .await;
    assert_eq!(status, 201, "another session's own material: {body}");
    let writes = s3
        .requests()
        .into_iter()
        .filter(|r| {
            r.starts_with(&format!("PUT {object} ")) || r.starts_with(&format!("POST {object} "))
        })
        .count();
    assert_eq!(
        writes, 4,
        "the same file again is not written again (one multipart upload: start, two parts, finish)"
    );
    assert_eq!(
        files_in(&s3.root.path().join(BUCKET)).len(),
        2,
        "one object each"
    );

    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/materials/{slides_id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        !s3.object(&slides_sha).exists(),
        "removing its only material deletes the object"
    );
    assert!(s3.object(&sha).exists(), "the recording stays");
    let gone = app.get(&format!("/materials/{slides_id}")).await;
    assert_eq!(gone.status().as_u16(), 404);
}

#[tokio::test]
async fn two_instances_on_one_database_and_bucket_serve_each_others_uploads() {
    let s3 = S3Server::start().await;
    let first = TestApp::spawn_with(|s| s3.use_in(s)).await;
    // The second: the same database and bucket, folders of its own.
    let own = tempfile::tempdir().unwrap();
    let mut settings = first.settings.clone();
    settings.archive.dir = own.path().join("archive");
    settings.archive.spool_dir = own.path().join("uploads");
    let second = convene::Application::build(settings)
        .await
        .expect("second instance");
    let second_address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    let t = organizer(&first).await;
    let recording = fixture("recording.mp4");
    let (status, body) = add(
        &first,
        &t,
        first.next_jam().await,
        &[("kind", "recording"), ("published", "true")],
        Some(("talk.mp4", recording.clone())),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let href = body["material"]["href"].as_str().unwrap().to_string();

    let whole = get(&format!("{second_address}{href}"), None).await;
    assert_eq!(whole.status().as_u16(), 200, "the other instance serves it");
    assert_eq!(whole.bytes().await.unwrap(), recording);
    let part = get(&format!("{second_address}{href}"), Some("bytes=100-199")).await;
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(part.bytes().await.unwrap(), &recording[100..200]);
    assert_eq!(
        files_in(own.path()).len() + kept_files(&first).len(),
        0,
        "neither instance keeps the file on its own disk"
    );
}
