//! What the import's write path must carry through its staging table (a
//! binary `COPY` on PostgreSQL, prepared multi-row inserts on SQLite) and
//! its single pass over the file.

use convene::auth::Role;

use super::{row, rows, upload};
use crate::helpers::{create_user, token, TestApp};

/// A Zoom webinar attendee report with these attendee rows (name, e-mail,
/// join, leave, minutes), as Zoom quotes cells.
fn zoom(rows: &[(String, String, &str, &str, u32)]) -> Vec<u8> {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut s = String::from(
        "Attendee Report\nReport Generated:,\"Apr 26, 2025 09:00:01\"\n\
         Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),\n\
         Workforce Solutions Jam: April,328-972-509,\"Apr 25, 2025 09:55:02\",95,\n\n\
         Attendee Details\n\
         Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n",
    );
    for (name, email, join, leave, minutes) in rows {
        s.push_str(&format!(
            "Yes,{},{email},{join},{leave},{minutes}\n",
            quote(name)
        ));
    }
    s.into_bytes()
}

#[tokio::test]
async fn names_with_quotes_backslashes_tabs_newlines_and_any_script_are_kept_as_written() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    // Name as written, and the first and last names kept (whitespace runs,
    // tabs and line breaks included, read as one space).
    let names = [
        ("O'Brien \"Bob\"", "O'Brien", "\"Bob\""),
        ("Back\\slash \\N", "Back\\slash", "\\N"),
        ("Zoë\tÜnal-Łukasz", "Zoë", "Ünal-Łukasz"),
        ("李\n小龍", "李", "小龍"),
        ("Nadia, \\t\\n; |pipe|", "Nadia,", "\\t\\n; |pipe|"),
        ("Emoji 🎉 Person", "Emoji", "🎉 Person"),
    ];
    let report: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| {
            (
                name.to_string(),
                format!("hostile.{i}@example.org"),
                "\"Mar 22, 2025 19:01:12\"",
                "\"Mar 22, 2025 19:31:12\"",
                30,
            )
        })
        .collect();

    let (status, done) = upload(&app, &t, session, "zoom", zoom(&report)).await;

    assert_eq!(status, 200, "{done}");
    assert_eq!(done["people"], names.len(), "{done}");
    let all = rows(&app, &t, session).await;
    for (i, (written, first, last)) in names.iter().enumerate() {
        let person = row(&all, &format!("hostile.{i}@example.org"));
        assert_eq!(
            (person["first_name"].as_str(), person["last_name"].as_str()),
            (Some(*first), Some(*last)),
            "{written:?} came back as {person}"
        );
        assert_eq!(person["first_join"], "2025-03-22T23:01:12", "{person}");
        assert_eq!(person["minutes"], 30, "{person}");
    }
}

#[tokio::test]
async fn dates_read_before_a_later_row_settles_the_order_are_read_again_that_way() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    // 6 000 rows (two write chunks) whose dates read either way, then one
    // that reads only day-first (25/04): the whole file is day-first, so
    // the first rows are on 3 April, not 4 March.
    let mut report: Vec<_> = (0..6_000)
        .map(|i| {
            (
                format!("Person {i}"),
                format!("person.{i}@example.org"),
                "03/04/2025 10:00",
                "03/04/2025 11:00",
                60,
            )
        })
        .collect();
    report.push((
        "Late Settler".into(),
        "late@example.org".into(),
        "25/04/2025 10:00",
        "25/04/2025 10:30",
        30,
    ));

    let (status, done) = upload(&app, &t, session, "zoom", zoom(&report)).await;

    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["date_order"].as_str(),
            done["date_order_from"].as_str(),
            done["people"].as_u64(),
            done["rows_merged"].as_u64()
        ),
        (Some("day-first"), Some("file"), Some(6_001), Some(0)),
        "{done}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(
        all.len(),
        6_001,
        "each person once, the first pass's rows gone"
    );
    // 10:00 in New York on 3 April 2025 (EDT) is 14:00 UTC.
    for email in ["person.0@example.org", "person.5999@example.org"] {
        let person = row(&all, email);
        assert_eq!(
            (
                &person["first_join"],
                &person["last_leave"],
                &person["joins"]
            ),
            (
                &"2025-04-03T14:00:00".into(),
                &"2025-04-03T15:00:00".into(),
                &1.into()
            ),
            "{person}"
        );
    }
    assert_eq!(
        row(&all, "late@example.org")["first_join"],
        "2025-04-25T14:00:00"
    );
}

#[tokio::test]
async fn a_person_in_chunks_far_apart_is_merged_once_names_filled_in_file_order() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    app.register_ok(session, "spread@example.org").await;
    // Three people in three write chunks (5 000 people each), 6 000 rows
    // apart: a registrant; one whose name is blank until the last chunk;
    // one with a first name only until a later chunk gives the last.
    let parts = [
        vec![
            ("Spread Out", "spread@example.org", "19:30", "19:40", 10),
            ("", "blank@example.org", "19:00", "19:01", 1),
            ("Ada", "ada@example.org", "19:10", "19:20", 10),
        ],
        vec![
            ("Spread Out", "spread@example.org", "19:05", "19:10", 5),
            ("Ada Lovelace", "ada@example.org", "19:25", "19:26", 1),
        ],
        vec![
            ("Spread Out", "spread@example.org", "19:50", "20:20", 30),
            ("Filled Later", "blank@example.org", "20:00", "20:02", 2),
            ("Someone Else", "ada@example.org", "20:00", "20:03", 3),
        ],
    ];
    let times: Vec<Vec<(String, String)>> = parts
        .iter()
        .map(|part| {
            part.iter()
                .map(|(_, _, join, leave, _)| {
                    (
                        format!("\"Mar 22, 2025 {join}:00\""),
                        format!("\"Mar 22, 2025 {leave}:00\""),
                    )
                })
                .collect()
        })
        .collect();
    let mut report = Vec::new();
    for (n, (part, times)) in parts.iter().zip(&times).enumerate() {
        for ((name, email, _, _, minutes), (join, leave)) in part.iter().zip(times) {
            report.push((
                name.to_string(),
                email.to_string(),
                join.as_str(),
                leave.as_str(),
                *minutes,
            ));
        }
        if n < 2 {
            report.extend((n * 6_000..(n + 1) * 6_000).map(|i| {
                (
                    format!("Person {i}"),
                    format!("person.{i}@example.org"),
                    "\"Mar 22, 2025 19:00:00\"",
                    "\"Mar 22, 2025 19:30:00\"",
                    30,
                )
            }));
        }
    }

    let (status, done) = upload(&app, &t, session, "zoom", zoom(&report)).await;

    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["rows"].as_u64(),
            done["people"].as_u64(),
            done["rows_merged"].as_u64(),
            done["registered_here"].as_u64()
        ),
        (Some(12_008), Some(12_003), Some(5), Some(1)),
        "three people over eight rows, each once: {done}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(all.len(), 12_003);
    let spread = row(&all, "spread@example.org");
    assert_eq!(
        (
            spread["joins"].as_i64(),
            spread["minutes"].as_i64(),
            spread["registered_here"].as_bool()
        ),
        (Some(3), Some(45), Some(true)),
        "three joins in three chunks summed, the registration matched: {spread}"
    );
    // New York is UTC-4 on 22 March 2025.
    assert_eq!(
        (&spread["first_join"], &spread["last_leave"]),
        (&"2025-03-22T23:05:00".into(), &"2025-03-23T00:20:00".into()),
        "the earliest join (second chunk), the latest leave (third): {spread}"
    );
    let names = |email: &str| {
        let p = row(&all, email);
        (
            p["first_name"].as_str().map(str::to_owned),
            p["last_name"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        names("blank@example.org"),
        (Some("Filled".into()), Some("Later".into())),
        "a name blank in the first chunk is taken from the first chunk that has one"
    );
    assert_eq!(
        names("ada@example.org"),
        (Some("Ada".into()), Some("Lovelace".into())),
        "each name from the first chunk that has it, a later one never overwriting"
    );

    let (status, again) = upload(&app, &t, session, "zoom", zoom(&report)).await;
    assert_eq!(
        (status, &again["unchanged"]),
        (200, &true.into()),
        "{again}"
    );
    assert_eq!(
        rows(&app, &t, session).await,
        all,
        "the same file changes nothing"
    );
}
