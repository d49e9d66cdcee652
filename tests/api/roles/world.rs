//! The world the role table runs in: a session, a cohort, a case, a
//! proposal and the rest, each route's ids filled in from it.

use std::collections::HashMap;

use convene::auth::Role;
use convene::clock::Clock;
use convene::echo::cases::{self, CheckedFile, NewCase};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use super::{signed, Body, Row, Signed, ACCOUNTS, ADMIN, HUB, ORGANIZER, OTHER, WHO};
use crate::archive::add as add_material;
use crate::echo::{application, apply, cohort_3, october};
use crate::helpers::{create_user, send, with_conn, TestApp};

/// The app with a Jam session, cohort 3 (run by `HUB`) with a session, a
/// pending and an approved application and a case, cohort 4 (run by
/// `OTHER`), materials, a cancelled registration, a lineup slot, a
/// proposal; and everyone signed in.
pub(super) struct World {
    pub(super) app: TestApp,
    fixtures: HashMap<&'static str, String>,
    /// Materials each column may remove, per route: (API, page).
    spares: Vec<(i64, i64)>,
    pub(super) signed: Vec<Option<Signed>>,
}

pub(super) fn sole_id(app: &TestApp, query: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    with_conn(&app.pool, |c| {
        diesel::sql_query(query)
            .get_result::<Found>(c)
            .expect(query)
            .id
    })
}

/// An API call that must succeed; its JSON body.
pub(super) async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> Value {
    let (status, answer) = send(app, method.clone(), path, Some(bearer), body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} while setting up: {status} {answer}"
    );
    answer
}

impl World {
    pub(super) async fn new() -> Self {
        let app = TestApp::spawn_with_clock(Clock::manual(october()), |s| {
            s.auth.logins_per_ip_per_minute = 10_000;
        })
        .await;
        for (email, role) in [
            (ADMIN, Role::Admin),
            (ORGANIZER, Role::Organizer),
            (HUB, Role::Facilitator),
            (OTHER, Role::Facilitator),
        ] {
            create_user(&app, email, role);
        }
        let mut everyone = Vec::new();
        for account in ACCOUNTS {
            everyone.push(match account {
                Some(email) => Some(signed(&app, email).await),
                None => None,
            });
        }
        let bearer = |i: usize| everyone[i].as_ref().unwrap().token.clone();
        let (hub, admin, organizer) = (bearer(2), bearer(4), bearer(3));

        // The cohorts, each created by the facilitator who runs it.
        let cohort = api(
            &app,
            Method::POST,
            "/api/v1/echo/cohorts",
            &hub,
            Some(cohort_3(30)),
        )
        .await;
        let mut four = cohort_3(30);
        four["slug"] = json!("cohort-4");
        four["name"] = json!("Cohort 4");
        api(
            &app,
            Method::POST,
            "/api/v1/echo/cohorts",
            &bearer(1),
            Some(four),
        )
        .await;
        let cohort_session = cohort["sessions"][0]["id"].as_i64().unwrap();

        // Two applications: one approved (she submits a case), one pending.
        for email in ["dorothea@example.org", "clara@example.org"] {
            let applied = apply(&app, &application(email, "participant")).await;
            assert_eq!(applied.status().as_u16(), 303, "{email} applies");
        }
        let approved = sole_id(&app, "SELECT MIN(id) AS id FROM applications");
        let pending = sole_id(&app, "SELECT MAX(id) AS id FROM applications");
        api(
            &app,
            Method::POST,
            &format!("/api/v1/echo/applications/{approved}/decision"),
            &hub,
            Some(json!({ "decision": "approved" })),
        )
        .await;
        let (participant, case) = submit_case(&app, approved);

        // Materials of cohort 3's session: one to read, spares to remove.
        let material = link(&app, &admin, cohort_session, 0).await;
        let mut spares = Vec::new();
        for n in 0..WHO.len() {
            spares.push((
                link(&app, &admin, cohort_session, 2 * n + 1).await,
                link(&app, &admin, cohort_session, 2 * n + 2).await,
            ));
        }

        // The Jam: a cancelled registration, a lineup slot, a proposal.
        let jam = app.next_jam().await;
        let manage = app.register_ok(jam, "ada@example.org").await;
        let cancelled = app.post_form(&format!("{manage}/cancel"), &[]).await;
        assert_eq!(
            cancelled.status().as_u16(),
            303,
            "the registration is cancelled"
        );
        let registration = sole_id(&app, "SELECT MAX(id) AS id FROM registrations");
        let outbox = sole_id(&app, "SELECT MIN(id) AS id FROM outbox");
        let slot = api(
            &app,
            Method::POST,
            &format!("/api/v1/organizer/sessions/{jam}/lineup"),
            &organizer,
            Some(json!({ "name": "Grace Hopper", "email": "grace@example.org", "invite": false })),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let proposal = propose(&app).await;
        let other_user = sole_id(
            &app,
            &format!("SELECT id FROM users WHERE email = '{OTHER}'"),
        );

        let fixtures = HashMap::from([
            ("jam", jam.to_string()),
            ("cohort", "cohort-3".to_string()),
            ("cohort_session", cohort_session.to_string()),
            ("application", pending.to_string()),
            ("participant", participant),
            ("case", case.to_string()),
            ("material", material.to_string()),
            ("registration", registration.to_string()),
            ("manage", manage.trim_start_matches("/r/").to_string()),
            ("outbox", outbox.to_string()),
            ("slot", slot.to_string()),
            ("proposal", proposal.to_string()),
            ("other_user", other_user.to_string()),
        ]);
        World {
            app,
            fixtures,
            spares,
            signed: everyone,
        }
    }

    /// `template` with its fixtures in, as column `who` asks it.
    pub(super) fn url(&self, template: &str, who: usize) -> String {
        let mut url = template
            .replace("{spare_api}", &self.spares[who].0.to_string())
            .replace("{spare_page}", &self.spares[who].1.to_string());
        for (name, value) in &self.fixtures {
            url = url.replace(&format!("{{{name}}}"), value);
        }
        assert!(!url.contains('{'), "a fixture is missing in {url}");
        url
    }

    /// The status `row` gets from column `who`, signed in as `signed`.
    pub(super) async fn ask(&self, row: &Row, who: usize, signed: Option<&Signed>) -> u16 {
        use reqwest::multipart::Form;
        let url = self.url(row.url, who);
        let page = url.starts_with("/organizer");
        let mut request = self
            .app
            .client
            .request(row.method.clone(), format!("{}{url}", self.app.address));
        if let Some(s) = signed {
            request = match page {
                true => request.header("cookie", &s.cookie),
                false => request.bearer_auth(&s.token),
            };
        }
        let csrf = signed.map_or("", |s| s.csrf.as_str());
        request = match (row.body, page, url.starts_with("/api/")) {
            (Body::None, ..) => request,
            (Body::Raw, ..) => request.body(Vec::new()),
            (Body::Json(text), ..) => request
                .header("content-type", "application/json")
                .body(text),
            (Body::Multipart, true, _) => {
                request.multipart(Form::new().text("csrf", csrf.to_string()))
            }
            (Body::Multipart, false, _) => request.multipart(Form::new().text("title", "")),
            (Body::Empty, true, _) => request.form(&[("csrf", csrf)]),
            (Body::Empty, false, true) => request.json(&json!({})),
            (Body::Empty, false, false) => request.form(&[] as &[(&str, &str)]),
        };
        request.send().await.expect("a response").status().as_u16()
    }
}

/// Adds the `n`th link material to `session`; returns its id.
async fn link(app: &TestApp, bearer: &str, session: i64, n: usize) -> i64 {
    let url = format!("https://example.org/recording-{n}");
    let fields = [("kind", "recording"), ("url", url.as_str())];
    let (status, body) = add_material(app, bearer, session, &fields, None).await;
    assert_eq!(status, 201, "a material: {body}");
    body["material"]["id"].as_i64().unwrap()
}

/// Writes a case with an attachment for approved application `id`, as
/// the participant's form does; returns her page's token and the case.
fn submit_case(app: &TestApp, id: i64) -> (String, i64) {
    let public = app.settings.http.public_url.clone();
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        let who = convene::echo::participants::find(c, id)
            .unwrap()
            .expect("the application");
        let token = crate::helpers::open_link(
            app,
            who.application
                .access_token_sealed
                .as_deref()
                .expect("approved"),
        );
        let case = NewCase {
            title: "Keeping peer specialists".into(),
            organization_type: "cmhc",
            size_band: "50-199",
            setting: "rural",
            state: "NY",
            challenge: "retention",
            challenge_text: "Peer specialists leave within their first year.".into(),
            tried: "Exit interviews.".into(),
            question: "How do others keep peer specialists past the first year?".into(),
            levers: vec!["payment"],
            preferred_session_id: None,
            attachment: Some(CheckedFile {
                filename: "plan.pdf".into(),
                content_type: "application/pdf",
                bytes: b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".to_vec(),
            }),
        };
        let written = c
            .transaction::<_, convene::error::ApiError, _>(|c| {
                cases::submit(c, &who, &case, &public, now)
            })
            .expect("the case is written");
        (token, written.id)
    })
}

/// A proposal to present, through the public form; returns its id.
async fn propose(app: &TestApp) -> i64 {
    let html = app.get("/interest").await.text().await.unwrap();
    let month: String = html
        .split("name=\"month\" type=\"checkbox\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a month offered")
        .to_string();
    let form = [
        ("first_name", "Mary"),
        ("last_name", "Seacole"),
        ("email", "mary@example.org"),
        ("organization", "Crimea Community Health"),
        ("sector", "provider"),
        ("state", "MD"),
        ("want", "present"),
        ("topic", "Paying peer specialists, fairly"),
        ("abstract", "What we changed in our rates."),
        ("lever", "payment"),
        ("month", &month),
    ];
    let sent = app.post_form("/interest", &form).await;
    assert_eq!(sent.status().as_u16(), 303, "the proposal is taken");
    sole_id(app, "SELECT MAX(id) AS id FROM proposals")
}
