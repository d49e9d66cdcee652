//! Series organizers create (issue 17): a one-off event such as the
//! National Workforce Conversation on two dates, through the API and the
//! page — its sessions at the right instants across a DST change, its feed,
//! registration, its place on the home page apart from the Jam, its own
//! list invited and the Jam's not — and a recurring webinar the scheduler
//! keeps going; slugs taken, a message per bad field, and the roles.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

const ORGANIZER: &str = "org@example.org";
const FACILITATOR: &str = "fac@example.org";
const NWC: &str = "National Workforce Conversation";

/// 1 February 2027: both dates of the event ahead, one on each side of the
/// US change to summer time (14 March 2027).
fn february_2027() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 2, 1, 12, 0, 0).unwrap()
}

async fn spawn() -> TestApp {
    TestApp::spawn_with_clock(Clock::manual(february_2027()), |_| {}).await
}

async fn organizer(app: &TestApp) -> String {
    create_user(app, ORGANIZER, Role::Organizer);
    token(app, ORGANIZER).await
}

async fn tick(app: &TestApp) -> convene::jobs::Tick {
    convene::jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

fn nwc(list: Option<&str>) -> Value {
    json!({
        "slug": "nwc",
        "title": NWC,
        "description": "One national conversation on the behavioral-health workforce.",
        "timezone": "America/New_York",
        "kind": "one_off",
        "dates": ["2027-03-10 13:00", "2027-04-14 13:00"],
        "duration_minutes": 90,
        "capacity": 500,
        "join_url": "https://zoom.us/j/123456",
        "baseline": 300,
        "list": list,
        "invitations": ["21d"],
    })
}

async fn create(app: &TestApp, bearer: &str, body: Value) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        "/api/v1/organizer/series",
        Some(bearer),
        Some(body),
    )
    .await
}

/// The series' sessions as stored: (id, start, end), soonest first.
fn stored_sessions(app: &TestApp, slug: &str) -> Vec<(i64, DateTime<Utc>, DateTime<Utc>)> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::{series, sessions};
        use diesel::prelude::*;
        sessions::table
            .inner_join(series::table)
            .filter(series::slug.eq(slug))
            .order(sessions::starts_at.asc())
            .select((sessions::id, sessions::starts_at, sessions::ends_at))
            .load::<(i64, chrono::NaiveDateTime, chrono::NaiveDateTime)>(c)
            .unwrap()
            .into_iter()
            .map(|(id, s, e)| (id, s.and_utc(), e.and_utc()))
            .collect()
    })
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_one_off_event_has_its_dates_feed_and_registration_and_is_not_the_jam() {
    let app = spawn().await;
    let bearer = organizer(&app).await;
    let (status, created) = create(&app, &bearer, nwc(None)).await;
    assert_eq!(status, 201, "{created}");
    let series = &created["series"];
    assert_eq!(series["slug"], "nwc");
    assert_eq!(series["recurring"], false, "{series}");
    assert_eq!(series["origin"], "organizer");
    assert_eq!(series["baseline"], 300);
    assert_eq!(series["list"], Value::Null, "no list unless one is chosen");
    assert_eq!(series["rule"], "");
    let starts: Vec<&str> = created["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        ["2027-03-10T18:00:00Z", "2027-04-14T17:00:00Z"],
        "1 PM in New York: EST before the change, EDT after"
    );
    let stored = stored_sessions(&app, "nwc");
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].2 - stored[0].1, Duration::minutes(90));

    // The scheduler makes nothing more of a one-off event.
    tick(&app).await;
    assert_eq!(
        stored_sessions(&app, "nwc").len(),
        2,
        "no generated sessions"
    );

    // Its feed, with both dates, under its own title.
    let feed = app.get("/calendar/nwc.ics").await;
    assert_eq!(feed.status().as_u16(), 200);
    let feed = feed.text().await.unwrap();
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2, "{feed}");
    assert!(feed.contains(&format!("X-WR-CALNAME:{NWC}")), "{feed}");
    assert!(
        feed.contains("20270310T130000"),
        "local start in the zone: {feed}"
    );

    // People register for it as for a Jam.
    let first = stored[0].0;
    let page = app.get(&format!("/sessions/{first}")).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains(NWC));
    app.register_ok(first, "pat@example.org").await;
    assert_eq!(app.registered_count(first).await.0, 1);

    // The home page: the Jam's card first, the event under "Other events".
    let home = app.get("/").await.text().await.unwrap();
    let jam = home
        .find("Workforce Solutions Jam · next session")
        .expect("the Jam's card");
    let others = home.find("Other events").expect("an Other events section");
    let event = home.rfind(NWC).expect("the event is listed");
    assert!(jam < others && others < event, "Jam first, the event apart");
    assert!(
        !home.contains(&format!("{NWC} · next session")),
        "never the next-session card"
    );
    assert!(home.contains("/calendar/nwc.ics"), "its feed is offered");
    assert!(home.contains("href=\"/series/nwc\""), "and its own page");

    // Its own page: what it is, both dates to register for, its feed.
    let page = app.get("/series/nwc").await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("<h1>{NWC}</h1>")), "{page}");
    for (id, ..) in &stored {
        assert!(page.contains(&format!("href=\"/sessions/{id}\"")), "{page}");
    }
    assert!(
        page.contains("March 10, 2027, 1:00 PM – 2:30 PM Eastern Time")
            && page.contains("10:00 AM PT"),
        "its times in its zone and the other US zones: {page}"
    );
    assert!(page.contains("/calendar/nwc.ics") && page.contains("href=\"/past/nwc\""));
    for other in ["/series/echo", "/series/nope"] {
        assert_eq!(app.get(other).await.status().as_u16(), 404, "{other}");
    }

    // Organizers see it among the series, and the audit log has it.
    let (status, list) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/organizer/series",
        Some(&bearer),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = list["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["echo", "jam", "nwc"]);
    let audited: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log;
        use diesel::prelude::*;
        audit_log::table
            .filter(audit_log::action.eq("series.create"))
            .filter(audit_log::subject.eq("series:nwc"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(audited, 1, "the creation is audited");
}

#[tokio::test]
async fn only_the_list_an_organizer_chose_is_invited_to_a_one_off_event() {
    let app = spawn().await;
    let bearer = organizer(&app).await;
    app.subscribe_confirmed("echo-fan@example.org", &["echo"])
        .await;
    app.subscribe_confirmed("jam-fan@example.org", &["jam"])
        .await;
    let (status, created) = create(&app, &bearer, nwc(Some("echo"))).await;
    assert_eq!(status, 201, "{created}");
    let (status, other) = create(
        &app,
        &bearer,
        with(nwc(None), json!({ "slug": "nwc-unlisted" })),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let first = stored_sessions(&app, "nwc")[0];
    let unlisted = stored_sessions(&app, "nwc-unlisted")[0];

    app.clock
        .set(first.1 - Duration::days(21) + Duration::minutes(1));
    tick(&app).await;
    let invited: Vec<String> = app
        .outbox(&format!("invitation:{}:", first.0))
        .into_iter()
        .map(|(_, to, _)| to)
        .collect();
    assert_eq!(invited, ["echo-fan@example.org"], "its list, not the Jam's");
    assert!(
        app.outbox(&format!("invitation:{}:", unlisted.0))
            .is_empty(),
        "an event without a list invites no one"
    );
}

/// `body` with the fields of `changes` in place of its own.
fn with(mut body: Value, changes: Value) -> Value {
    let map = body.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        map.insert(k.clone(), v.clone());
    }
    body
}

#[tokio::test]
async fn a_recurring_webinar_gets_its_sessions_ahead_and_the_scheduler_extends_them() {
    let app = spawn().await;
    let bearer = organizer(&app).await;
    let (status, created) = create(
        &app,
        &bearer,
        json!({
            "slug": "clinic",
            "title": "Supervisors clinic",
            "timezone": "America/Chicago",
            "kind": "recurring",
            "rule": "FREQ=MONTHLY;BYDAY=1WE",
            "start_time": "12:00",
            "duration_minutes": "45m",
            "capacity": 80,
            "join_url": "https://zoom.us/j/987",
            "organizer_name": "Clinic team",
            "organizer_email": "clinic@example.org",
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["series"]["recurring"], true);
    assert_eq!(created["series"]["invitations"], json!(["21d", "2d"]));
    assert_eq!(created["series"]["reminders"], json!(["7d", "1d", "1h"]));
    let sessions = stored_sessions(&app, "clinic");
    let horizon = app.settings.jobs.horizon_months as usize;
    assert_eq!(sessions.len(), horizon, "one a month over the horizon");
    assert_eq!(sessions[0].1, utc("2027-02-03T18:00:00Z"), "noon CST");
    assert_eq!(sessions[2].1, utc("2027-04-07T17:00:00Z"), "noon CDT");
    assert_eq!(sessions[0].2 - sessions[0].1, Duration::minutes(45));

    // Two months on, the scheduler adds the months now within the horizon.
    app.clock.set(february_2027() + Duration::days(61));
    let t = tick(&app).await;
    let later = stored_sessions(&app, "clinic");
    assert_eq!(later.len(), horizon + 2, "{t:?}");
    assert_eq!(later.last().unwrap().1, utc("2027-09-01T17:00:00Z"));

    // A webinar series of its own: a card of its own, after the Jam's.
    let home = app.get("/").await.text().await.unwrap();
    let jam = home.find("Workforce Solutions Jam · next session").unwrap();
    let clinic = home.find("Supervisors clinic").expect("the clinic's card");
    assert!(jam < clinic, "the Jam first");
}

#[tokio::test]
async fn a_slug_a_series_has_is_a_409_and_each_bad_field_a_422() {
    let app = spawn().await;
    let bearer = organizer(&app).await;
    let (status, taken) = create(&app, &bearer, with(nwc(None), json!({ "slug": "jam" }))).await;
    assert_eq!(status, 409, "the configured Jam's slug: {taken}");
    assert_eq!(taken["error"]["code"], "slug_taken");
    assert_eq!(create(&app, &bearer, nwc(None)).await.0, 201);
    assert_eq!(
        create(&app, &bearer, nwc(None)).await.0,
        409,
        "created twice"
    );

    let bad = json!({
        "slug": "Not A Slug",
        "title": " ",
        "timezone": "America/Nowhere",
        "kind": "one_off",
        "dates": ["2026-12-01 13:00", "2027-03-14 02:30", "tomorrow", "2027-05-05 13:00", "2027-05-05 13:00"],
        "duration_minutes": 0,
        "capacity": "many",
        "join_url": "ftp://example.org",
        "organizer_email": "nobody",
        "baseline": -3,
        "list": "nope",
        "invitations": ["soon"],
    });
    let (status, refused) = create(&app, &bearer, bad).await;
    assert_eq!(status, 422, "{refused}");
    let fields = refused["error"]["fields"].as_object().unwrap();
    for name in [
        "slug",
        "title",
        "timezone",
        "dates[2]",
        "duration_minutes",
        "capacity",
        "join_url",
        "organizer_email",
        "baseline",
        "list",
        "invitations",
    ] {
        assert!(fields.contains_key(name), "`{name}` in {refused}");
    }

    // With a zone, the dates are read in it: past, skipped, given twice.
    let dates = json!({
        "slug": "dates", "title": "Dates", "timezone": "America/New_York", "kind": "one_off",
        "dates": ["2026-12-01 13:00", "2027-03-14 02:30", "2027-05-05", "2027-05-05 13:00", "2027-05-05 13:00"],
        "duration_minutes": 60, "capacity": 10, "join_url": "https://zoom.us/j/1",
    });
    let (status, refused) = create(&app, &bearer, dates).await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    assert!(
        fields["dates[0]"].as_str().unwrap().contains("past"),
        "{refused}"
    );
    assert!(
        fields["dates[1]"]
            .as_str()
            .unwrap()
            .contains("clocks go forward"),
        "{refused}"
    );
    assert!(
        fields["dates[2]"].as_str().unwrap().contains("start time"),
        "{refused}"
    );
    assert!(
        fields["dates[4]"].as_str().unwrap().contains("twice"),
        "{refused}"
    );
    assert!(fields.get("dates[3]").is_none(), "{refused}");

    let recurring = json!({
        "slug": "weekly", "title": "Weekly", "timezone": "America/New_York", "kind": "recurring",
        "rule": "FREQ=DAILY", "start_time": "25:00",
        "duration_minutes": 60, "capacity": 10, "join_url": "https://zoom.us/j/1",
    });
    let (status, refused) = create(&app, &bearer, recurring).await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    assert!(
        fields["rule"].is_string() && fields["start_time"].is_string(),
        "{refused}"
    );

    let (status, refused) = create(&app, &bearer, json!({})).await;
    assert_eq!(status, 422);
    for name in [
        "slug",
        "title",
        "timezone",
        "kind",
        "duration_minutes",
        "capacity",
        "join_url",
    ] {
        assert!(
            refused["error"]["fields"][name].is_string(),
            "`{name}` required: {refused}"
        );
    }
    assert_eq!(stored_sessions(&app, "dates").len(), 0, "nothing written");
}

#[tokio::test]
async fn only_organizers_create_series() {
    let app = spawn().await;
    create_user(&app, FACILITATOR, Role::Facilitator);
    let facilitator = token(&app, FACILITATOR).await;
    let (status, anonymous) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/series",
        None,
        Some(nwc(None)),
    )
    .await;
    assert_eq!(status, 401, "{anonymous}");
    let (status, refused) = create(&app, &facilitator, nwc(None)).await;
    assert_eq!(status, 403, "{refused}");
    assert!(stored_sessions(&app, "nwc").is_empty());
}

#[tokio::test]
async fn organizers_create_a_one_off_event_on_the_series_page() {
    let app = spawn().await;
    create_user(&app, ORGANIZER, Role::Organizer);
    let cookie = sign_in(&app, ORGANIZER).await;
    let list = page(&app, "/organizer/series", &cookie).await;
    assert_eq!(list.status().as_u16(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("New series") && html.contains("Workforce Solutions Jam"));
    let csrf = csrf_of(&html);

    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("title", NWC),
        ("slug", "nwc"),
        ("description", "One national conversation."),
        ("kind", "one_off"),
        ("timezone", "America/New_York"),
        ("start_time", "13:00"),
        ("dates", "2027-03-10"),
        ("dates", ""),
        ("dates", "2027-04-14"),
        ("rule", ""),
        ("duration_minutes", "90"),
        ("capacity", "500"),
        ("join_url", "https://zoom.us/j/123456"),
        ("organizer_name", ""),
        ("organizer_email", ""),
        ("baseline", ""),
        ("list", ""),
        ("invitations", "21d, 2d"),
        ("reminders", "7d, 1d, 1h"),
    ];

    // A refusal: the form again, a message per field, focus on the summary.
    let bad: Vec<(&str, &str)> = form
        .iter()
        .map(|&(n, v)| match n {
            "slug" => (n, "jam"),
            _ => (n, v),
        })
        .collect();
    let refused = post_page(&app, "/organizer/series", &cookie, &bad).await;
    assert_eq!(refused.status().as_u16(), 409);
    let html = refused.text().await.unwrap();
    assert!(html.contains("autofocus") && html.contains("exists already"));
    assert!(
        html.contains(&format!("value=\"{NWC}\"")),
        "what was typed stays"
    );
    form[8] = ("dates", "2026-01-01");
    let refused = post_page(&app, "/organizer/series", &cookie, &form).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("href=\"#dates[1]\""),
        "the box at fault is linked"
    );
    assert!(html.contains("is in the past"));
    form[8] = ("dates", "");

    let created = post_page(&app, "/organizer/series", &cookie, &form).await;
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(created.headers()["location"], "/organizer/series/nwc");
    let stored = stored_sessions(&app, "nwc");
    let starts: Vec<DateTime<Utc>> = stored.iter().map(|s| s.1).collect();
    assert_eq!(
        starts,
        [utc("2027-03-10T18:00:00Z"), utc("2027-04-14T17:00:00Z")]
    );
    let shown = page(&app, "/organizer/series/nwc", &cookie).await;
    assert_eq!(shown.status().as_u16(), 200);
    let html = shown.text().await.unwrap();
    assert!(
        html.contains("A one-off event created by an organizer"),
        "{html}"
    );
    // The Jam's organizer, as none was given.
    let (name, email) = with_conn(&app.pool, |c| {
        use convene::db::schema::series;
        use diesel::prelude::*;
        series::table
            .filter(series::slug.eq("nwc"))
            .select((series::organizer_name, series::organizer_email))
            .first::<(String, String)>(c)
            .unwrap()
    });
    let jam = &app.settings.series["jam"];
    assert_eq!(
        (name, email),
        (jam.organizer_name.clone(), jam.organizer_email.to_string())
    );
    app.register_ok(stored[1].0, "sam@example.org").await;
}

#[tokio::test]
async fn a_configured_series_added_later_under_a_created_slug_does_not_take_it_over() {
    let app = spawn().await;
    let bearer = organizer(&app).await;
    assert_eq!(create(&app, &bearer, nwc(None)).await.0, 201);
    let mut settings = app.settings.clone();
    let mut clash = settings.series["jam"].clone();
    clash.title = "A configured series".into();
    settings.series.insert("nwc".into(), clash);
    convene::jobs::tick(&app.pool, Arc::new(settings), app.clock.now())
        .await
        .expect("scheduler tick");
    let (title, origin, recurring) = with_conn(&app.pool, |c| {
        use convene::db::schema::series;
        use diesel::prelude::*;
        series::table
            .filter(series::slug.eq("nwc"))
            .select((series::title, series::origin, series::recurring))
            .first::<(String, String, bool)>(c)
            .unwrap()
    });
    assert_eq!(
        (title.as_str(), origin.as_str(), recurring),
        (NWC, "organizer", false)
    );
    assert_eq!(stored_sessions(&app, "nwc").len(), 2, "no Jam rule applied");
}
