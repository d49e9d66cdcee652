//! Reports longer than one write chunk, and over the size limit.

use convene::auth::Role;

use super::{count, csrf_of_page, fixture, row, rows, upload, upload_page};
use crate::helpers::{create_user, send, token, TestApp};

/// A Zoom attendee report longer than one write chunk (5 000 people):
/// Jane's first join, then `filler` other people, then `tail` lines as
/// written (a section or rows further down the file).
fn long_report(filler: usize, tail: &str) -> Vec<u8> {
    let mut s = String::from(
        "Attendee Report\nReport Generated:,\"Mar 23, 2025 09:00:01\"\n\
         Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),\n\
         Workforce Solutions Jam: March,328-972-509,\"Mar 22, 2025 18:55:02\",95,\n\n\
         Attendee Details\n\
         Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n\
         Yes,Jane Doe,jane.doe@example.org,\"Mar 22, 2025 19:40:00\",\"Mar 22, 2025 20:05:00\",25\n",
    );
    for i in 0..filler {
        s.push_str(&format!(
            "Yes,Person {i},person.{i}@example.org,\"Mar 22, 2025 19:00:00\",\"Mar 22, 2025 19:30:00\",30\n"
        ));
    }
    s.push_str(tail);
    s.into_bytes()
}

#[tokio::test]
async fn a_rejoin_far_down_a_long_report_is_merged_with_the_first_join() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/sessions/{session}/attendance/mark"),
        Some(&t),
        Some(serde_json::json!({ "email": "person.7@example.org", "attended": false, "reason": "Left the laptop running" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Jane comes back as a panelist 6 000 rows later, in another chunk.
    let report = long_report(
        6_000,
        "\nPanelist Details\nUser Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n\
         Jane Doe (phone),JANE.DOE@example.org,\"Mar 22, 2025 19:01:12\",\"Mar 22, 2025 19:20:30\",20\n",
    );

    let (status, done) = upload(&app, &t, session, "zoom", report).await;

    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["people"].as_u64(),
            done["attended"].as_u64(),
            done["staff"].as_u64()
        ),
        (Some(6_001), Some(5_999), Some(1)),
        "Jane once, now staff (a panelist too); 6 000 others, the hand-marked one among them but left as marked: {done}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(all.len(), 6_001);
    let jane = row(&all, "jane.doe@example.org");
    assert_eq!(
        (
            jane["joins"].as_i64(),
            jane["minutes"].as_i64(),
            jane["role"].as_str()
        ),
        (Some(2), Some(45), Some("panelist")),
        "two joins in two chunks merged, the higher role kept: {jane}"
    );
    assert_eq!(
        jane["first_join"], "2025-03-22T23:01:12",
        "the earliest join"
    );
    assert_eq!(
        jane["last_leave"], "2025-03-23T00:05:00",
        "the latest leave"
    );
    assert_eq!(
        row(&all, "person.7@example.org")["attended"],
        false,
        "the row marked by hand stays as marked"
    );
}

#[tokio::test]
async fn a_long_report_malformed_near_its_end_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    upload(&app, &t, session, "zoom", fixture("zoom_rejoins.csv")).await;
    let (people, attendance, imports) = (
        count(&app, "people"),
        count(&app, "attendance"),
        count(&app, "attendance_imports"),
    );
    // Line 8 is Jane's row; the 12 000 others take lines 9 to 12 008.
    let report = long_report(
        12_000,
        "Yes,Late Comer,late@example.org,\"Mar 22, 2025 19:00:00\",yesterday,30\n",
    );

    let (status, body) = upload(&app, &t, session, "zoom", report).await;

    assert_eq!(status, 422, "{body}");
    let message = body["error"]["fields"]["file"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("line 12009:") && message.contains("yesterday"),
        "names the line and the value: {body}"
    );
    assert_eq!(
        (
            count(&app, "people"),
            count(&app, "attendance"),
            count(&app, "attendance_imports")
        ),
        (people, attendance, imports),
        "the chunks written before the bad line are rolled back with it"
    );
}

#[tokio::test]
async fn a_report_over_the_size_limit_is_refused_with_a_413() {
    let app = TestApp::spawn_with(|s| s.attendance.report_max_mb = 1).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let cookie = crate::helpers::sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let report = long_report(20_000, ""); // about 1.8 MB
    assert!(report.len() > 1024 * 1024);

    let (status, body) = upload(&app, &t, session, "zoom", report.clone()).await;

    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("1 MB"),
        "says the limit: {body}"
    );
    let csrf = csrf_of_page(&app, &format!("/organizer/sessions/{session}"), &cookie).await;
    let refused = upload_page(&app, &cookie, session, &csrf, report).await;
    assert_eq!(refused.status().as_u16(), 413);
    assert!(refused.text().await.unwrap().contains("larger than 1 MB"));
    assert_eq!(count(&app, "attendance"), 0, "nothing imported");
}
