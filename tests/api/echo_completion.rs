//! Completing an ECHO cohort: attendance imported or marked on the cohort's
//! sessions, counted per approved participant against the threshold
//! (rounded up, cancelled sessions left out), as the facilitators' JSON,
//! CSV and page, and on each participant's own page.

use chrono::{DateTime, TimeZone, Utc};
use convene::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::echo::{application, application_ids, apply, echo_app};
use crate::helpers::{create_user, page, send, sign_in, token, TestApp};

const ADA: &str = "ada@example.org";
const BEN: &str = "ben@example.org";
const CLARA: &str = "clara@example.org";
const DAN: &str = "dan@example.org";

/// After cohort 3's third session (January 14, 2027, 20:00–21:00 UTC).
fn after_the_third_session() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 15, 12, 0, 0).unwrap()
}

/// After its fifth (March 11, 2027).
fn after_the_fifth_session() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 12, 12, 0, 0).unwrap()
}

/// Cohort 3 (six sessions, 80 %) with Ada Lovelace and Ben Franklin
/// approved as participants, Clara Barton as an observer, and Dan still
/// pending.
struct Cohort {
    app: TestApp,
    /// Its six sessions in order.
    sessions: Vec<i64>,
}

impl Cohort {
    async fn new() -> Self {
        let (app, hub) = echo_app(40).await;
        let people = [
            ("Ada", "Lovelace", ADA, "participant", "Analytical CMHC"),
            ("Ben", "Franklin", BEN, "participant", "=1+2 Health"),
            (
                "Clara",
                "Barton",
                CLARA,
                "observer",
                "Red Cross Association",
            ),
            ("Dan", "Pending", DAN, "participant", "Waiting Clinic"),
        ];
        for (first, last, email, role, organization) in people {
            let mut form = application(email, role);
            for (name, value) in form.iter_mut() {
                match *name {
                    "first_name" => *value = first.into(),
                    "last_name" => *value = last.into(),
                    "organization" => *value = organization.into(),
                    _ => {}
                }
            }
            assert_eq!(apply(&app, &form).await.status().as_u16(), 303, "{email}");
        }
        for id in &application_ids(&app)[..3] {
            let (status, body) = send(
                &app,
                Method::POST,
                &format!("/api/v1/echo/applications/{id}/decision"),
                Some(&hub),
                Some(json!({ "decision": "approved" })),
            )
            .await;
            assert_eq!(status, 200, "approval: {body}");
        }
        let (_, cohort) = send(
            &app,
            Method::GET,
            "/api/v1/echo/cohorts/cohort-3",
            Some(&hub),
            None,
        )
        .await;
        let sessions: Vec<i64> = cohort["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(sessions.len(), 6, "{cohort}");
        create_user(&app, "org@example.org", Role::Organizer);
        Self { app, sessions }
    }

    /// A fresh organizer's token (the clock moves past older ones).
    async fn organizer(&self) -> String {
        token(&self.app, "org@example.org").await
    }

    async fn facilitator(&self) -> String {
        token(&self.app, "hub@example.org").await
    }

    /// Imports a plain attendance list (name, e-mail, minutes) for the
    /// cohort's `n`-th session (1-based).
    async fn import(&self, n: usize, rows: &[(&str, &str, u32)]) {
        let mut file = String::from("Name,Email,Minutes\n");
        for (name, email, minutes) in rows {
            file.push_str(&format!("{name},{email},{minutes}\n"));
        }
        let response = self
            .app
            .client
            .post(format!(
                "{}/api/v1/sessions/{}/attendance/csv",
                self.app.address,
                self.sessions[n - 1]
            ))
            .bearer_auth(self.organizer().await)
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "import into session {n}");
    }

    /// Marks `email` as attending the `n`-th session by hand.
    async fn mark(&self, n: usize, email: &str, minutes: u32) {
        let (status, body) = send(
            &self.app,
            Method::POST,
            &format!("/api/v1/sessions/{}/attendance/mark", self.sessions[n - 1]),
            Some(&self.organizer().await),
            Some(json!({ "email": email, "minutes": minutes, "reason": "joined by phone" })),
        )
        .await;
        assert_eq!(status, 200, "mark: {body}");
    }

    /// Three sessions held, the fourth cancelled (Ben had been checked in
    /// to it ahead of time): Ada came to all three, Ben to the first,
    /// Clara to two; a walk-in and Dan (pending) to the first.
    async fn three_held_and_one_cancelled() -> Self {
        let c = Self::new().await;
        c.mark(4, BEN, 60).await;
        c.app.clock.set(after_the_third_session());
        c.import(
            1,
            &[
                ("Ada Lovelace", ADA, 55),
                ("Ben Franklin", BEN, 50),
                ("Clara Barton", CLARA, 45),
                ("Walk In", "walk.in@example.com", 30),
                ("Dan Pending", DAN, 60),
            ],
        )
        .await;
        c.import(2, &[("Ada Lovelace", ADA, 58), ("Clara Barton", CLARA, 60)])
            .await;
        c.import(3, &[("Ada Lovelace", ADA, 61)]).await;
        let (status, body) = send(
            &c.app,
            Method::POST,
            &format!("/api/v1/organizer/sessions/{}/cancel", c.sessions[3]),
            Some(&c.organizer().await),
            Some(json!({ "reason": "The hub's faculty retreat" })),
        )
        .await;
        assert_eq!(status, 200, "cancel: {body}");
        c
    }

    async fn completion(&self, bearer: &str) -> Value {
        let (status, body) = send(
            &self.app,
            Method::GET,
            "/api/v1/echo/cohorts/cohort-3/completion",
            Some(bearer),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The magic-link path of `email`'s page.
    fn page_of(&self, email: &str) -> String {
        crate::echo::participant_page(&self.app, email)
    }
}

/// `email`'s row, and (attended, held, total, needed, status).
fn standing(list: &Value, group: &str, email: &str) -> (i64, i64, i64, i64, String) {
    let row = list[group]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == email)
        .unwrap_or_else(|| panic!("{email} among the {group}: {list}"));
    let n = |k: &str| row[k].as_i64().unwrap();
    (
        n("attended"),
        n("held"),
        n("total"),
        n("needed"),
        row["status"].as_str().unwrap().to_string(),
    )
}

fn emails(list: &Value, group: &str) -> Vec<String> {
    list[group]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn completion_counts_sessions_attended_against_the_threshold_rounded_up() {
    let c = Cohort::three_held_and_one_cancelled().await;
    let list = c.completion(&c.facilitator().await).await;
    assert_eq!(
        (&list["total"], &list["held"], &list["needed"]),
        (&json!(5), &json!(3), &json!(4)),
        "the cancelled session leaves the total: 80% of 5 is 4; {list}"
    );
    assert_eq!(
        emails(&list, "participants"),
        [BEN, ADA],
        "approved participants only, by last name (Dan is pending, the walk-in never applied)"
    );
    assert_eq!(emails(&list, "observers"), [CLARA]);
    assert_eq!(
        standing(&list, "participants", ADA),
        (3, 3, 5, 4, "on_track".into()),
        "three of three, two ahead"
    );
    assert_eq!(
        standing(&list, "participants", BEN),
        (1, 3, 5, 4, "cannot_complete".into()),
        "his check-in for the cancelled session does not count: 1 + 2 ahead < 4"
    );
    assert_eq!(
        standing(&list, "observers", CLARA),
        (2, 3, 5, 4, "on_track".into()),
        "observers are held to the same threshold"
    );
    assert_eq!(
        list["participant_counts"],
        json!({ "completed": 0, "on_track": 1, "cannot_complete": 1 })
    );
    assert_eq!(list["participants"][1]["name"], "Ada Lovelace");
    assert_eq!(list["participants"][1]["organization"], "Analytical CMHC");
    assert_eq!(list["participants"][1]["status_label"], "On track");

    // Marked by hand after the fifth session: Ada reaches 4 of 5.
    c.app.clock.set(after_the_fifth_session());
    c.mark(5, ADA, 40).await;
    let list = c.completion(&c.facilitator().await).await;
    assert_eq!(
        standing(&list, "participants", ADA),
        (4, 4, 5, 4, "completed".into()),
        "{list}"
    );
    assert_eq!(
        list["participant_counts"],
        json!({ "completed": 1, "on_track": 0, "cannot_complete": 1 })
    );
}

#[tokio::test]
async fn the_completion_list_downloads_as_a_csv_and_shows_on_the_facilitators_page() {
    let c = Cohort::three_held_and_one_cancelled().await;
    let response = c
        .app
        .client
        .get(format!(
            "{}/api/v1/echo/cohorts/cohort-3/completion.csv",
            c.app.address
        ))
        .bearer_auth(c.facilitator().await)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("cohort-3-completion.csv"));
    let csv = response.bytes().await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[..4],
        [
            "First name,Last name,E-mail,Organization,Role,Attended,Held,Total,Needed,Status",
            "Ben,Franklin,ben@example.org,'=1+2 Health,participant,1,3,5,4,Cannot complete",
            "Ada,Lovelace,ada@example.org,Analytical CMHC,participant,3,3,5,4,On track",
            "Clara,Barton,clara@example.org,Red Cross Association,observer,2,3,5,4,On track",
        ],
        "participants then observers; a formula-like cell is defused: {text}"
    );
    assert_eq!(lines[4], "", "CRLF after the last row");

    let cookie = sign_in(&c.app, "hub@example.org").await;
    let html = page(&c.app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let completion = html
        .split("id=\"completion\"")
        .nth(1)
        .and_then(|rest| rest.split("<h2>Cases</h2>").next())
        .expect("a completion section");
    for shown in [
        "80% of its 5 sessions",
        "that is 4; 3 held so far",
        "<td>Ada Lovelace</td><td>ada@example.org</td><td>Analytical CMHC</td><td>3 / 3 / 5</td><td>4</td><td><span class=\"badge\">On track</span>",
        "<td>Ben Franklin</td>",
        "Cannot complete",
        "<h3>Observers</h3>",
        "<td>Clara Barton</td>",
        "0 completed · 1 on track · 1 cannot complete",
        "/organizer/echo/cohort-3/completion.csv",
    ] {
        assert!(
            completion.contains(shown),
            "`{shown}` in the completion section:\n{completion}"
        );
    }
    assert!(
        !completion.contains("Dan Pending"),
        "a pending applicant is not listed"
    );
    let download = page(&c.app, "/organizer/echo/cohort-3/completion.csv", &cookie).await;
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(
        download.bytes().await.unwrap(),
        csv,
        "the page's download is the API's CSV"
    );
}

#[tokio::test]
async fn a_participant_sees_their_own_attendance_and_no_one_elses() {
    let c = Cohort::three_held_and_one_cancelled().await;
    let ada = c.app.get(&c.page_of(ADA)).await.text().await.unwrap();
    for shown in [
        "You have attended 3 of the 3 sessions held so far (5 in the cohort); completion needs 4.",
        "<strong>On track:</strong> 1 more to go.",
        "Attended (55 min)",
        "Attended (58 min)",
        "Attended (61 min)",
    ] {
        assert!(ada.contains(shown), "`{shown}` on Ada's page:\n{ada}");
    }
    for hidden in [BEN, "Franklin", CLARA, "Barton", "walk.in@example.com"] {
        assert!(!ada.contains(hidden), "`{hidden}` on Ada's page");
    }

    let ben = c.app.get(&c.page_of(BEN)).await.text().await.unwrap();
    assert!(
        ben.contains(
            "You have attended 1 of the 3 sessions held so far (5 in the cohort); completion needs 4."
        ),
        "{ben}"
    );
    assert!(ben.contains("You can no longer reach the threshold"));
    assert_eq!(
        ben.matches("Attended (50 min)").count(),
        1,
        "the first session"
    );
    assert_eq!(
        ben.matches("Not recorded as attending").count(),
        2,
        "the second and third; the cancelled fourth shows nothing"
    );
    assert!(!ben.contains("Attended (60 min)"), "the cancelled session");
    for hidden in [ADA, "Lovelace", "55 min"] {
        assert!(!ben.contains(hidden), "`{hidden}` on Ben's page");
    }

    let clara = c.app.get(&c.page_of(CLARA)).await.text().await.unwrap();
    assert!(
        clara.contains("You have attended 2 of the 3 sessions held so far"),
        "an observer sees where they stand too"
    );
}

#[tokio::test]
async fn the_completion_list_is_for_signed_in_staff_and_not_participants() {
    let c = Cohort::new().await;
    let path = "/api/v1/echo/cohorts/cohort-3/completion";
    let (status, _) = send(&c.app, Method::GET, path, None, None).await;
    assert_eq!(status, 401, "no token");
    let magic = c.page_of(ADA).trim_start_matches("/echo/p/").to_string();
    let (status, _) = send(&c.app, Method::GET, path, Some(&magic), None).await;
    assert_eq!(status, 401, "a participant's link is not a token");
    let (status, _) = send(
        &c.app,
        Method::GET,
        &format!("{path}.csv"),
        Some(&magic),
        None,
    )
    .await;
    assert_eq!(status, 401, "nor for the CSV");
    // As for the cohort's other lists: reading needs any staff role.
    let before = c.completion(&c.organizer().await).await;
    assert_eq!(
        (&before["total"], &before["held"], &before["needed"]),
        (&json!(6), &json!(0), &json!(5)),
        "80% of 6 sessions is 4.8: 5 needed; {before}"
    );
    assert_eq!(
        standing(&before, "participants", ADA),
        (0, 0, 6, 5, "on_track".into()),
        "nothing held yet"
    );
    let (status, _) = send(
        &c.app,
        Method::GET,
        "/api/v1/echo/cohorts/no-such-cohort/completion",
        Some(&c.facilitator().await),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let anonymous = c.app.get("/organizer/echo/cohort-3/completion.csv").await;
    assert_eq!(
        anonymous.status().as_u16(),
        303,
        "the page's CSV needs a sign-in"
    );
    let ada = c.app.get(&c.page_of(ADA)).await.text().await.unwrap();
    assert!(
        !ada.contains("completion.csv"),
        "no way to the list from a participant's page"
    );
}

#[tokio::test]
async fn facilitators_record_attendance_for_cohort_sessions_only() {
    let c = Cohort::new().await;
    let hub = c.facilitator().await;
    let first = c.sessions[0];
    let imported = c
        .app
        .client
        .post(format!(
            "{}/api/v1/sessions/{first}/attendance/csv",
            c.app.address
        ))
        .bearer_auth(&hub)
        .header("content-type", "text/csv")
        .body(format!("Name,Email,Minutes\nAda Lovelace,{ADA},55\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status().as_u16(), 200, "a cohort session's report");
    let mark = |session: i64| {
        let (app, hub) = (&c.app, hub.clone());
        async move {
            send(
                app,
                Method::POST,
                &format!("/api/v1/sessions/{session}/attendance/mark"),
                Some(&hub),
                Some(json!({ "email": BEN, "minutes": 40, "reason": "joined by phone" })),
            )
            .await
        }
    };
    let (status, body) = mark(first).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = mark(c.app.next_jam().await).await;
    assert_eq!(status, 403, "a Jam is the organizers': {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("facilitator")),
        "{body}"
    );

    // The session page offers the forms to a facilitator for a cohort
    // session only.
    let cookie = sign_in(&c.app, "hub@example.org").await;
    let shown = |session: i64| {
        let cookie = cookie.clone();
        let app = &c.app;
        async move {
            page(app, &format!("/organizer/sessions/{session}"), &cookie)
                .await
                .text()
                .await
                .unwrap()
        }
    };
    assert!(shown(first).await.contains("Import an attendance report"));
    assert!(!shown(c.app.next_jam().await)
        .await
        .contains("Import an attendance report"));
}
