//! `GET /calendar/{slug}.ics`: the feed calendar programs subscribe to;
//! and no public page, feed or download carrying an ECHO cohort's join link.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventStatus};
use serde_json::json;

use crate::helpers::{create_user, send, token, with_conn, TestApp};

/// Tuesday 5 January 2027, noon UTC: the next Jams are in January and
/// February (EST, 18:00Z) and from March on (EDT, 17:00Z).
fn january_2027() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 5, 12, 0, 0).unwrap()
}

async fn spawn_in_january_2027() -> TestApp {
    TestApp::spawn_with_clock(Clock::manual(january_2027()), |_| {}).await
}

/// One event of the feed, as a calendar program reads it.
#[derive(Debug)]
struct Entry {
    uid: String,
    /// The session id, from the registration link in the description.
    session: Option<i64>,
    starts_at: DateTime<Utc>,
    local_hour: u32,
    status: Option<EventStatus>,
    sequence: Option<u32>,
    rings: bool,
}

fn entries(text: &str) -> Vec<Entry> {
    let calendar: icalendar::Calendar = text.parse().expect("the feed parses as iCalendar");
    calendar
        .events()
        .map(|e| {
            let Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) =
                e.get_start()
            else {
                panic!("DTSTART should be a local time with a TZID: {:?}", e.get_start());
            };
            let zone: chrono_tz::Tz = tzid.parse().expect("TZID is an IANA zone");
            let starts_at = zone
                .from_local_datetime(&date_time)
                .single()
                .expect("an unambiguous local time")
                .with_timezone(&Utc);
            let session = e
                .get_description()
                .and_then(|d| d.split("/sessions/").nth(1))
                .and_then(|rest| {
                    rest.split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|id| id.parse().ok())
                });
            Entry {
                uid: e.get_uid().expect("a UID").to_string(),
                session,
                starts_at,
                local_hour: date_time.hour(),
                status: e.get_status(),
                sequence: e.get_sequence(),
                rings: e.components().iter().any(|c| c.component_kind() == "VALARM"),
            }
        })
        .collect()
}

async fn feed_text(app: &TestApp) -> String {
    let response = app.get("/calendar/jam.ics").await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "the Jam feed should be served"
    );
    response.text().await.unwrap()
}

fn uid_of(app: &TestApp, session: i64) -> String {
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions::dsl::*;
        use diesel::prelude::*;
        sessions
            .filter(id.eq(session))
            .select(uid)
            .first::<String>(c)
            .unwrap()
    })
}

/// Adds a one-off Jam session starting at `at`; returns its UID.
fn insert_session(app: &TestApp, at: DateTime<Utc>, label: &str) -> String {
    let new_uid = format!("{label}@convene.test");
    with_conn(&app.pool, |c| {
        use convene::db::schema::{series, sessions::dsl::*};
        use diesel::prelude::*;
        let jam: i64 = series::table
            .filter(series::slug.eq("jam"))
            .select(series::id)
            .first(c)
            .unwrap();
        let now: NaiveDateTime = january_2027().naive_utc();
        diesel::insert_into(sessions)
            .values((
                series_id.eq(jam),
                uid.eq(&new_uid),
                title.eq(format!("Jam ({label})")),
                description.eq("A one-off session."),
                starts_at.eq(at.naive_utc()),
                ends_at.eq((at + Duration::hours(1)).naive_utc()),
                timezone.eq("America/New_York"),
                capacity.eq(100),
                join_url.eq("https://zoom.us/j/1"),
                status.eq("scheduled"),
                sequence.eq(0),
                created_at.eq(now),
                updated_at.eq(now),
            ))
            .execute(c)
            .unwrap();
    });
    new_uid
}

fn cancel_in_db(app: &TestApp, session: i64) {
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions::dsl::*;
        use diesel::prelude::*;
        diesel::update(sessions.filter(id.eq(session)))
            .set((status.eq("cancelled"), sequence.eq(sequence + 1)))
            .execute(c)
            .unwrap();
    });
}

#[tokio::test]
async fn the_feed_is_a_published_calendar_named_after_the_series_in_its_zone() {
    let app = spawn_in_january_2027().await;

    let response = app.get("/calendar/jam.ics").await;

    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"], "text/calendar; charset=utf-8",
        "calendar programs need the calendar type"
    );
    assert_eq!(
        headers["cache-control"], "public, max-age=900",
        "the feed may be cached for a quarter of an hour"
    );
    let etag = headers["etag"].to_str().unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag, got {etag}"
    );
    let text = response.text().await.unwrap();
    for needle in [
        "METHOD:PUBLISH\r\n",
        "X-WR-CALNAME:Workforce Solutions Jam\r\n",
        "X-WR-TIMEZONE:America/New_York\r\n",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
        "X-PUBLISHED-TTL:PT1H\r\n",
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n",
        "DTSTART;TZID=America/New_York:20270216T130000\r\n",
    ] {
        assert!(
            text.contains(needle),
            "missing `{needle}` in the feed:\n{text}"
        );
    }
    assert!(
        !text.contains("ATTENDEE"),
        "a public feed names no attendee"
    );
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    let unfolded = icalendar::parser::unfold(&text);
    let parsed = icalendar::parser::read_calendar(&unfolded).expect("the feed parses");
    let zone = parsed
        .components
        .iter()
        .find(|c| c.name == "VTIMEZONE")
        .expect("a VTIMEZONE component");
    let kinds: Vec<String> = zone.components.iter().map(|c| c.name.to_string()).collect();
    assert!(
        kinds.contains(&"STANDARD".to_string()) && kinds.contains(&"DAYLIGHT".to_string()),
        "New York's VTIMEZONE should describe both offsets, got {kinds:?}"
    );
}

#[tokio::test]
async fn every_session_starts_in_the_feed_when_the_api_says_on_both_sides_of_dst() {
    let app = spawn_in_january_2027().await;
    let api = app.sessions().await;
    assert!(
        api.len() >= 5,
        "about six months of Jams, got {}",
        api.len()
    );

    let feed = entries(&feed_text(&app).await);

    for s in &api {
        let id = s["id"].as_i64().unwrap();
        let expected: DateTime<Utc> = s["starts_at"].as_str().unwrap().parse().unwrap();
        let entry = feed
            .iter()
            .find(|e| e.session == Some(id))
            .unwrap_or_else(|| panic!("session {id} is missing from the feed"));
        assert_eq!(
            entry.starts_at, expected,
            "session {id}: the feed's local time in its TZID should be the API's instant"
        );
        assert_eq!(entry.local_hour, 13, "session {id}: written as 13:00 local");
        assert_eq!(entry.uid, uid_of(&app, id), "session {id}: its stable UID");
        assert_eq!(entry.status, Some(EventStatus::Confirmed));
        assert!(
            entry.rings,
            "session {id}: a scheduled session has an alarm"
        );
    }
    let starts: Vec<DateTime<Utc>> = feed.iter().map(|e| e.starts_at).collect();
    assert!(
        starts.contains(&Utc.with_ymd_and_hms(2027, 2, 16, 18, 0, 0).unwrap()),
        "February's Jam is at 13:00 EST = 18:00Z: {starts:?}"
    );
    assert!(
        starts.contains(&Utc.with_ymd_and_hms(2027, 4, 20, 17, 0, 0).unwrap()),
        "April's Jam is at 13:00 EDT = 17:00Z: {starts:?}"
    );
}

#[tokio::test]
async fn a_cancelled_session_stays_in_the_feed_marked_cancelled_with_its_sequence() {
    let app = spawn_in_january_2027().await;
    let cancelled = app.sessions().await[1]["id"].as_i64().unwrap();
    cancel_in_db(&app, cancelled);

    let feed = entries(&feed_text(&app).await);

    let entry = feed
        .iter()
        .find(|e| e.session == Some(cancelled))
        .expect("a cancelled session stays in the feed, so subscribers see it go");
    assert_eq!(entry.status, Some(EventStatus::Cancelled));
    assert_eq!(
        entry.sequence,
        Some(1),
        "the cancellation bumped the sequence"
    );
    assert!(!entry.rings, "a cancelled session has no alarm");
    assert!(
        feed.iter()
            .filter(|e| e.session != Some(cancelled))
            .all(|e| e.status == Some(EventStatus::Confirmed) && e.sequence == Some(0)),
        "the other sessions are unchanged: {feed:?}"
    );
}

#[tokio::test]
async fn the_feed_covers_three_months_back_and_twelve_months_ahead() {
    let app = spawn_in_january_2027().await;
    let now = january_2027();
    let too_old = insert_session(&app, now - Duration::days(100), "too-old");
    let recent = insert_session(&app, now - Duration::days(80), "recent");
    let far = insert_session(&app, now + Duration::days(360), "far");
    let too_far = insert_session(&app, now + Duration::days(370), "too-far");

    let uids: Vec<String> = entries(&feed_text(&app).await)
        .into_iter()
        .map(|e| e.uid)
        .collect();

    assert!(
        uids.contains(&recent),
        "a session 80 days ago is in: {uids:?}"
    );
    assert!(
        uids.contains(&far),
        "a session 360 days ahead is in: {uids:?}"
    );
    assert!(!uids.contains(&too_old), "a session 100 days ago is out");
    assert!(!uids.contains(&too_far), "a session 370 days ahead is out");

    // A month later the recent one is older than three months too.
    app.clock.set(now + Duration::days(31));
    let uids: Vec<String> = entries(&feed_text(&app).await)
        .into_iter()
        .map(|e| e.uid)
        .collect();
    assert!(
        !uids.contains(&recent),
        "the window moves with the clock: {uids:?}"
    );
    assert!(
        uids.contains(&too_far),
        "and takes in what comes into range"
    );
}

#[tokio::test]
async fn a_calendar_program_polling_with_the_etag_gets_a_304_until_something_changes() {
    let app = spawn_in_january_2027().await;
    let first = app.get("/calendar/jam.ics").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let body = first.text().await.unwrap();

    let again = app
        .client
        .get(format!("{}/calendar/jam.ics", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status().as_u16(),
        304,
        "nothing changed: not modified"
    );
    assert_eq!(
        again.headers()["etag"].to_str().unwrap(),
        etag,
        "a 304 repeats the ETag"
    );
    assert!(again.text().await.unwrap().is_empty(), "a 304 has no body");

    let other = app
        .client
        .get(format!("{}/calendar/jam.ics", app.address))
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200, "another tag gets the feed");
    assert_eq!(
        other.text().await.unwrap(),
        body,
        "the same data gives the same bytes"
    );

    cancel_in_db(&app, app.next_jam().await);
    let changed = app
        .client
        .get(format!("{}/calendar/jam.ics", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status().as_u16(),
        200,
        "after a cancellation the old ETag no longer matches"
    );
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn an_unknown_or_malformed_series_gets_the_not_found_page() {
    let app = TestApp::spawn().await;
    for path in [
        "/calendar/nope.ics",
        "/calendar/JAM.ics",
        "/calendar/ja%20m.ics",
        "/calendar/jam%2F..%2Fx.ics",
        "/calendar/%E2%9C%93.ics",
        "/calendar/'%3Bdrop.ics",
        "/calendar/jam",
        "/calendar/jam.ics.bak",
        "/calendar/.ics",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{path} should be a 404");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}: the normal not-found page"
        );
    }
    let long = format!("/calendar/{}.ics", "a".repeat(5000));
    assert_eq!(app.get(&long).await.status().as_u16(), 404, "a long slug");
}

#[tokio::test]
async fn the_home_and_session_pages_link_the_feed_for_calendar_programs() {
    let app = TestApp::spawn().await;

    let home = app.get("/").await.text().await.unwrap();
    let session = app
        .get(&format!("/sessions/{}", app.next_jam().await))
        .await
        .text()
        .await
        .unwrap();

    for (name, page) in [("home", &home), ("session", &session)] {
        assert!(
            page.contains("href=\"webcal://convene.test/calendar/jam.ics\""),
            "the {name} page should link the feed with webcal://"
        );
        assert!(
            page.contains("http://convene.test/calendar/jam.ics"),
            "the {name} page should show the address to paste into web calendars"
        );
    }
}

/// The meeting number of the ECHO's join link in `echo_with_a_participant`:
/// it reads the same in HTML, JSON and calendar text.
const ECHO_MEETING: &str = "97531864200";

/// An ECHO cohort whose join link is `ECHO_MEETING`'s, with one approved
/// participant; returns the app, a staff token and the participant's
/// private page.
pub(crate) async fn echo_with_a_participant() -> (TestApp, String, String) {
    use crate::echo::{application, apply, cohort_3, october, participant_page};
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |s| {
        s.series.get_mut("echo").expect("the ECHO program").join_url =
            format!("https://zoom.us/j/{ECHO_MEETING}?pwd=cohort3only")
                .parse()
                .unwrap();
    })
    .await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let staff = token(&app, "hub@example.org").await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        Some(&staff),
        Some(cohort_3(40)),
    )
    .await;
    assert_eq!(status, 201, "the cohort is created: {body}");
    let applied = apply(&app, &application("dorothea@example.org", "participant")).await;
    assert_eq!(applied.status().as_u16(), 303, "the application is taken");
    let id: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        use diesel::prelude::*;
        applications.select(id).first(c).unwrap()
    });
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/echo/applications/{id}/decision"),
        Some(&staff),
        Some(json!({ "decision": "approved" })),
    )
    .await;
    assert_eq!(status, 200, "the application is approved: {body}");
    let page = participant_page(&app, "dorothea@example.org");
    (app, staff, page)
}

#[tokio::test]
async fn no_public_page_feed_or_download_carries_a_cohorts_join_link() {
    let (app, staff, private) = echo_with_a_participant().await;
    let cohort_session: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::echo_sessions::dsl::*;
        use diesel::prelude::*;
        echo_sessions
            .order(occurrence_date)
            .select(session_id)
            .first(c)
            .unwrap()
    });
    let jam = app.next_jam().await;

    // The participant's page and feed, and staff, have it: the needle is right.
    for path in [private.clone(), format!("{private}/calendar.ics")] {
        let body = app.get(&path).await.text().await.unwrap();
        assert!(
            body.contains(ECHO_MEETING),
            "the participant's {path} should carry the join link"
        );
    }
    let (_, cohort) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&staff),
        None,
    )
    .await;
    assert!(
        cohort.to_string().contains(ECHO_MEETING),
        "staff see the join link: {cohort}"
    );

    // Every GET route the app registers (`app::route_list`, so a new one
    // cannot be missed), asked by anyone with real ids and slugs filled in,
    // redirects followed.
    let anyone = reqwest::Client::new();
    let routes = every_get_route(jam, cohort_session);
    assert!(
        routes
            .iter()
            .any(|r| r == &format!("/sessions/{cohort_session}/calendar.ics"))
            && routes.iter().any(|r| r == "/echo/cohort-3"),
        "the cohort's public routes are among those asked: {routes:?}"
    );
    for path in &routes {
        let response = anyone
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(status < 500, "{path} answered {status}");
        assert!(
            !body.contains(ECHO_MEETING),
            "{path} ({status}) shows the cohort's join link to anyone"
        );
    }

    // A cohort's sessions have no public calendar at all.
    for path in [
        "/calendar/echo.ics".to_string(),
        format!("/sessions/{cohort_session}/calendar.ics"),
    ] {
        assert_eq!(
            app.get(&path).await.status().as_u16(),
            404,
            "{path} should not exist for anyone"
        );
    }
    // And a cohort session's public link still leads to the cohort page.
    let to = app.get(&format!("/sessions/{cohort_session}")).await;
    let to = to.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        app.get(&to).await.headers()["location"],
        "/echo/cohort-3",
        "/sessions/{cohort_session} should lead to the cohort page"
    );
}

/// Each GET route the app registers, with its parameters filled in: every
/// id as the Jam session and as the cohort session, every slug as each
/// series and the cohort, every token a made-up one. A parameter this does
/// not know fails the test, so a new route gets a value here.
fn every_get_route(jam: i64, cohort_session: i64) -> Vec<String> {
    let fake = "0123456789abcdef0123456789abcdef01234567";
    let values = |name: &str| -> Vec<String> {
        match name.split(':').next().unwrap_or(name) {
            "id" => vec![jam.to_string(), cohort_session.to_string()],
            "slug" | "cohort" => vec!["cohort-3".into(), "echo".into(), "jam".into()],
            "token" => vec![fake.into()],
            "answer" => vec!["accept".into()],
            "lever" => vec!["payment".into()],
            "file" => vec!["site.css".into()],
            "slot" | "slot_id" | "user_id" => vec!["1".into()],
            "action" => name
                .split_once(':')
                .map(|(_, choices)| choices.split('|').map(str::to_string).collect())
                .unwrap_or_else(|| vec!["x".into()]),
            other => panic!("a value for the route parameter {{{other}}} is needed here"),
        }
    };
    let mut paths = Vec::new();
    for (method, pattern) in convene::app::route_list() {
        if method.as_str() != "GET" {
            continue;
        }
        let mut filled = vec![String::new()];
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("a closing brace");
            let literal = &rest[..open];
            let choices = values(&rest[open + 1..close]);
            filled = filled
                .iter()
                .flat_map(|done| choices.iter().map(move |v| format!("{done}{literal}{v}")))
                .collect();
            rest = &rest[close + 1..];
        }
        paths.extend(filled.into_iter().map(|done| format!("{done}{rest}")));
    }
    paths.sort();
    paths.dedup();
    paths
}
