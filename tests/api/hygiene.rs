//! Input hygiene at the boundary: a NUL, another control character or
//! bytes that are not UTF-8, in a path, a query, a form, a JSON body, a
//! multipart field or an imported report, answer 422 naming the field (or
//! the line) on either database, and nothing is stored. And a name cannot
//! add a parameter or a line to a calendar invitation.

use convene::auth::Role;
use diesel::prelude::*;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, registration_form, send, sign_in, token, with_conn, TestApp,
};

/// (status, body text) of a request whose body is sent byte for byte.
async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .header("content-type", content_type)
        .body(body.to_vec());
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// Asserts a page refusal: 422, HTML, naming `field`.
async fn refused_page(response: reqwest::Response, field: &str, what: &str) {
    assert_eq!(response.status().as_u16(), 422, "{what} should be a 422");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("“{field}”")),
        "{what}: the page should name `{field}`: {html}"
    );
}

/// Asserts an API refusal: 422 with `field` among the fields at fault.
fn refused_json(status: u16, body: &str, field: &str, what: &str) {
    assert_eq!(status, 422, "{what} should be a 422: {body}");
    let body: Value = serde_json::from_str(body).expect("a JSON error body");
    assert!(
        body["error"]["fields"][field].is_string(),
        "{what}: `{field}` should be named: {body}"
    );
}

/// Rows in `table`.
macro_rules! count {
    ($app:expr, $table:path) => {
        with_conn(&$app.pool, |c| $table.count().get_result::<i64>(c).unwrap())
    };
}

async fn organizer(app: &TestApp) -> String {
    create_user(app, "org@example.org", Role::Organizer);
    token(app, "org@example.org").await
}

#[tokio::test]
async fn a_nul_or_bad_bytes_in_a_public_form_is_a_422_page_naming_the_field_and_nothing_is_stored()
{
    use convene::db::schema::{people, proposals, registrations};
    let app = TestApp::spawn().await;
    let interest = [
        ("first_name", "Mary"),
        ("last_name", "Seacole"),
        ("email", "mary@example.org"),
        ("want", "present"),
        ("topic", "Paying peer specialists"),
        ("abstract", "What we changed\0 in our rates."),
        ("lever", "payment"),
    ];
    let response = app.post_form("/interest", &interest).await;
    refused_page(response, "abstract", "a NUL in the interest abstract").await;

    let (status, html) = raw(
        &app,
        reqwest::Method::POST,
        "/interest",
        None,
        "application/x-www-form-urlencoded",
        b"first_name=Mar%FF&last_name=Seacole&email=mary%40example.org&want=list",
    )
    .await;
    assert_eq!(status, 422, "bad UTF-8 in a form: {html}");
    assert!(html.contains("“first_name”"), "first_name named: {html}");

    let session = app.next_jam().await;
    let mut form = registration_form("ada@example.org");
    form[0] = ("first_name", "Ada\u{1b}[2J");
    let response = app
        .post_form(&format!("/sessions/{session}/register"), &form)
        .await;
    refused_page(response, "first_name", "an escape in a registrant's name").await;

    assert_eq!(
        (
            count!(app, people::table),
            count!(app, proposals::table),
            count!(app, registrations::table)
        ),
        (0, 0, 0),
        "nothing refused is stored"
    );
}

#[tokio::test]
async fn a_nul_or_bad_bytes_in_a_search_is_a_422_naming_q() {
    let app = TestApp::spawn().await;
    for query in ["q=a%00b", "q=%FF", "lever=payment&q=%C3"] {
        let response = app.get(&format!("/past?{query}")).await;
        refused_page(response, "q", &format!("/past?{query}")).await;
    }
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    for query in ["q=a%00b", "q=%E2%9C", "status=registered&q=%07"] {
        let path = format!("/api/v1/organizer/sessions/{session}/registrations?{query}");
        let (status, body) = raw(&app, reqwest::Method::GET, &path, Some(&t), "", b"").await;
        refused_json(status, &body, "q", &path);
    }
    // Clean text still searches.
    let (status, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/organizer/sessions/{session}/registrations?q=caf%C3%A9"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "a clean search is answered");
}

#[tokio::test]
async fn a_path_with_a_nul_or_bad_bytes_is_a_422_not_a_500() {
    let app = TestApp::spawn().await;
    refused_page(app.get("/sessions/%00").await, "path", "/sessions/%00").await;
    refused_page(app.get("/echo/%FF").await, "path", "/echo/%FF").await;
    let (status, body) = raw(
        &app,
        reqwest::Method::GET,
        "/api/v1/sessions/1%00/attendance",
        None,
        "",
        b"",
    )
    .await;
    refused_json(status, &body, "path", "a NUL in an API path");
}

#[tokio::test]
async fn a_session_over_the_api_refuses_a_nul_or_bad_bytes_in_its_title_and_description() {
    use convene::db::schema::sessions;
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let before = count!(app, sessions::table);
    let create = |title: &str| json!({ "series": "jam", "start": "2027-01-12 14:00", "title": title, "description": "A one-off." });
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions",
        Some(&t),
        Some(create("Jam\u{0}")),
    )
    .await;
    refused_json(status, &body.to_string(), "title", "a NUL in a title");
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions",
        Some(&t),
        "application/json",
        b"{\"series\":\"jam\",\"start\":\"2027-01-12 14:00\",\"title\":\"Jam \xff\"}",
    )
    .await;
    refused_json(status, &body, "title", "bad UTF-8 in a title");
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions",
        Some(&t),
        Some(create("Two\nlines")),
    )
    .await;
    refused_json(
        status,
        &body.to_string(),
        "title",
        "a line break in a title",
    );
    assert_eq!(
        count!(app, sessions::table),
        before,
        "no refused session is stored"
    );

    let session = app.next_jam().await;
    let description = || {
        with_conn(&app.pool, |c| {
            sessions::table
                .find(session)
                .select(sessions::description)
                .first::<String>(c)
                .unwrap()
        })
    };
    let was = description();
    let path = format!("/api/v1/organizer/sessions/{session}");
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&t),
        Some(json!({ "description": "Bell\u{7} rings" })),
    )
    .await;
    refused_json(
        status,
        &body.to_string(),
        "description",
        "a BEL in a description",
    );
    assert_eq!(description(), was, "the refused description is not stored");
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&t),
        Some(json!({ "description": "First line.\r\n\tSecond line." })),
    )
    .await;
    assert_eq!(status, 200, "a description keeps its lines: {body}");
    assert_eq!(description(), "First line.\r\n\tSecond line.");
}

#[tokio::test]
async fn a_lineup_bio_with_a_nul_is_refused_and_no_slot_is_stored() {
    use convene::db::schema::lineup_slots;
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        Some(&t),
        Some(json!({
            "name": "Grace Hopper",
            "email": "grace@example.org",
            "bio": "Grace runs a clinic\u{0} in Ohio.",
        })),
    )
    .await;
    refused_json(status, &body.to_string(), "bio", "a NUL in a bio");
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        Some(&t),
        Some(json!({ "name": "Grace\nHopper", "email": "grace@example.org" })),
    )
    .await;
    refused_json(status, &body.to_string(), "name", "a line break in a name");
    assert_eq!(count!(app, lineup_slots::table), 0, "no slot is stored");
}

#[tokio::test]
async fn an_attendance_report_with_a_nul_in_a_name_is_refused_naming_the_line() {
    use convene::db::schema::{attendance, attendance_imports};
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let session = app.next_jam().await;
    let report = b"Name,Email\nJane Doe,jane@example.org\nSam\0 Smith,sam@example.org\n";
    let (status, body) = raw(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/sessions/{session}/attendance/csv"),
        Some(&t),
        "text/csv",
        report,
    )
    .await;
    assert_eq!(status, 422, "a NUL in a report: {body}");
    assert!(
        body.contains("line 3") && body.contains("NUL"),
        "the line and the problem are named: {body}"
    );

    // The page's multipart form: a text field is checked as a form's is.
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    let form = Form::new()
        .text("csrf", csrf_of(&html))
        .part("format", Part::bytes(b"zo\xffom".to_vec()))
        .part(
            "file",
            Part::bytes(b"Email\njane@example.org\n".to_vec()).file_name("r.csv"),
        );
    let response = app
        .client
        .post(format!(
            "{}/organizer/sessions/{session}/attendance",
            app.address
        ))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        422,
        "bad UTF-8 in a multipart field"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("format"), "the field is named: {html}");

    assert_eq!(
        (
            count!(app, attendance::table),
            count!(app, attendance_imports::table)
        ),
        (0, 0),
        "nothing of a refused report is stored"
    );
}

#[tokio::test]
async fn a_case_form_field_with_a_nul_is_a_422_naming_it() {
    use convene::db::schema::cases;
    let (app, _, mine) = crate::feeds::echo_with_a_participant().await;
    let form = Form::new()
        .text("title", "Keeping peer specialists")
        .text("question", "How do we keep them\0 past year one?")
        .text("attest", "yes")
        .part("attachment", Part::bytes(Vec::new()).file_name(""));
    let response = app
        .client
        .post(format!("{}{mine}/cases", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    refused_page(response, "question", "a NUL in a case's question").await;
    assert_eq!(count!(app, cases::table), 0, "no case is stored");
}

/// The ATTENDEE properties of a calendar text, each as its sorted
/// parameters, as a calendar program reads them.
fn attendees(ics: &str) -> Vec<Vec<(String, String)>> {
    use icalendar::Component;
    let parsed: icalendar::Calendar = ics.parse().expect("the invitation parses");
    let event = parsed.events().next().expect("one event");
    event
        .properties()
        .values()
        .filter(|p| p.key() == "ATTENDEE")
        .chain(
            event
                .multi_properties()
                .get("ATTENDEE")
                .into_iter()
                .flatten(),
        )
        .map(|p| {
            let mut params: Vec<(String, String)> = p
                .params()
                .iter()
                .map(|(k, v)| (k.clone(), v.value().to_string()))
                .collect();
            params.sort();
            params
        })
        .collect()
}

#[tokio::test]
async fn a_registrants_name_cannot_add_a_parameter_or_a_line_to_the_invitation() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    for (email, first, last) in [
        ("eve@example.org", "Eve\";ROLE=CHAIR;X=\"", "Smith"),
        (
            "mallory@example.org",
            "Mallory",
            "Jones\r\nATTENDEE;ROLE=CHAIR:mailto:boss@example.org",
        ),
    ] {
        let mut form = registration_form(email);
        form[0] = ("first_name", first);
        form[1] = ("last_name", last);
        let response = app
            .post_form(&format!("/sessions/{session}/register"), &form)
            .await;
        assert_eq!(response.status().as_u16(), 303, "{email} registers");
        let mail = app.smtp.wait_for(email, 1).await.remove(0);
        let (_, ics) = mail.calendar.expect("an invitation");
        let found = attendees(&ics);
        assert_eq!(found.len(), 1, "one ATTENDEE for {email}:\n{ics}");
        let keys: Vec<&str> = found[0].iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["CN", "PARTSTAT", "ROLE", "RSVP"],
            "no added parameter for {email}:\n{ics}"
        );
        assert!(
            found[0].contains(&("ROLE".into(), "REQ-PARTICIPANT".into())),
            "the role is ours for {email}:\n{ics}"
        );
        let cn = &found[0][0].1;
        let given = first.split('"').next().unwrap();
        assert!(
            cn.starts_with(given) && !cn.contains('"') && !cn.contains('\n'),
            "the CN keeps the name, without quotes or line breaks: {cn:?}"
        );
    }
}
