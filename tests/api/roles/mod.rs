//! Roles by least privilege, checked as a table: every route the app
//! registers (`convene::app::route_list`), asked by nobody, a facilitator
//! of another cohort, the cohort's facilitator, an organizer and an admin,
//! answers with the status its row says. A registered route without a row
//! fails the test, so a new route cannot skip it. Then the assignments
//! themselves: who assigns, what a facilitator then sees, the audit log
//! and the command line.

use std::collections::{BTreeSet, HashMap};

use convene::auth::Role;
use convene::clock::Clock;
use convene::echo::cases::{self, CheckedFile, NewCase};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::archive::add as add_material;
use crate::echo::{application, apply, cohort_3, october};
use crate::helpers::{
    create_user, csrf_of, page, post_page, run_convene, send, sign_in, token, with_conn, TestApp,
};

// ---------------------------------------------------------------- who

const ADMIN: &str = "admin@example.org";
const ORGANIZER: &str = "org@example.org";
/// Runs cohort 3 (created it).
const HUB: &str = "hub@example.org";
/// Runs cohort 4 only.
const OTHER: &str = "other@example.org";

/// The table's columns, in the order each row is asked.
const WHO: [&str; 5] = [
    "nobody",
    "a facilitator of another cohort",
    "the cohort's facilitator",
    "an organizer",
    "an admin",
];
const ACCOUNTS: [Option<&str>; 5] = [None, Some(OTHER), Some(HUB), Some(ORGANIZER), Some(ADMIN)];

/// One signed-in user: an API token and a page sign-in with its CSRF token.
struct Signed {
    token: String,
    cookie: String,
    csrf: String,
}

async fn signed(app: &TestApp, email: &str) -> Signed {
    let cookie = sign_in(app, email).await;
    let html = page(app, "/organizer", &cookie).await.text().await.unwrap();
    Signed {
        token: token(app, email).await,
        csrf: csrf_of(&html),
        cookie,
    }
}

// ---------------------------------------------------------------- the table

#[derive(Clone, Copy, PartialEq)]
enum Body {
    None,
    /// `{}` for the API; the CSRF token alone for a page's form; nothing
    /// for a public form.
    Empty,
    /// A multipart form: the CSRF token alone (pages) or nothing (API).
    Multipart,
    /// An empty request body (a report sent as the body).
    Raw,
    /// This JSON.
    Json(&'static str),
}

enum Expect {
    /// Nobody's request only: the answer is the same for everyone.
    Public(u16),
    /// (nobody, facilitator of another cohort, the cohort's facilitator,
    /// organizer, admin).
    Roles([u16; 5]),
    /// As `Roles`, each signed-in user signing in afresh: the request
    /// ends their sign-ins.
    SignsOut([u16; 5]),
}

struct Row {
    method: Method,
    /// As registered.
    pattern: &'static str,
    /// What is asked: `{name}` is a fixture (`World::url`).
    url: &'static str,
    body: Body,
    expect: Expect,
}

fn row(method: &str, pattern: &'static str, url: &'static str, expect: Expect) -> Row {
    let method: Method = method.parse().unwrap();
    let body = if method == Method::GET || method == Method::HEAD {
        Body::None
    } else {
        Body::Empty
    };
    Row {
        method,
        pattern,
        url,
        body,
        expect,
    }
}

/// A route that answers everyone alike.
fn public(method: &str, pattern: &'static str, url: &'static str, status: u16) -> Row {
    row(method, pattern, url, Expect::Public(status))
}

/// A route whose answer depends on who asks.
fn roles(method: &str, pattern: &'static str, url: &'static str, statuses: [u16; 5]) -> Row {
    row(method, pattern, url, Expect::Roles(statuses))
}

impl Row {
    fn with(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
}

/// Every route, what it is asked, and each one's answer. Facilitators get
/// 403 for anything of the Jam (its registrants, lineups, proposals,
/// outbox, series and reports) and 404 for a cohort they do not run,
/// as for one that does not exist; a 422, 409 or 303 after the check
/// shows the check let them through.
#[rustfmt::skip]
fn table() -> Vec<Row> {
    use Body::*;
    const API_JAM_READ: [u16; 5] = [401, 403, 403, 200, 200];
    const API_JAM_BAD_INPUT: [u16; 5] = [401, 403, 403, 422, 422];
    const API_COHORT_READ: [u16; 5] = [401, 404, 200, 200, 200];
    const API_COHORT_RECORD_BAD_INPUT: [u16; 5] = [401, 404, 422, 422, 422];
    const API_COHORT_CHANGE_BAD_INPUT: [u16; 5] = [401, 404, 422, 403, 422];
    const PAGE_JAM_READ: [u16; 5] = [303, 403, 403, 200, 200];
    const PAGE_JAM_BAD_INPUT: [u16; 5] = [303, 403, 403, 422, 422];
    const PAGE_JAM_CHANGED: [u16; 5] = [303, 403, 403, 303, 303];
    const PAGE_COHORT_READ: [u16; 5] = [303, 404, 200, 200, 200];
    const PAGE_COHORT_RECORD_BAD_INPUT: [u16; 5] = [303, 404, 422, 422, 422];
    const PAGE_COHORT_CHANGE_BAD_INPUT: [u16; 5] = [303, 404, 422, 403, 422];
    vec![
        // The public site.
        public("GET", "/", "/", 200),
        public("GET", "/sessions/{id}", "/sessions/{jam}", 200),
        public("POST", "/sessions/{id}/register", "/sessions/{jam}/register", 422),
        public("GET", "/sessions/{id}/check-email", "/sessions/{jam}/check-email", 200),
        public("GET", "/sessions/{id}/calendar.ics", "/sessions/{jam}/calendar.ics", 200),
        public("GET", "/calendar/{slug}.ics", "/calendar/jam.ics", 200),
        public("GET", "/r/{token}", "/r/{manage}", 200),
        public("GET", "/r/{token}/confirmation", "/r/{manage}/confirmation", 200),
        public("POST", "/r/{token}/cancel", "/r/{manage}/cancel", 303),
        public("GET", "/subscribe", "/subscribe", 200),
        public("POST", "/subscribe", "/subscribe", 422),
        public("GET", "/subscribe/confirm/{token}", "/subscribe/confirm/not-a-token", 404),
        public("POST", "/subscribe/confirm/{token}", "/subscribe/confirm/not-a-token", 404),
        public("GET", "/u/{token}", "/u/not-a-token", 404),
        public("POST", "/u/{token}", "/u/not-a-token", 404),
        public("GET", "/present/{token}/{answer}", "/present/not-a-token/accept", 404),
        public("POST", "/present/{token}/{answer}", "/present/not-a-token/accept", 404),
        public("GET", "/interest", "/interest", 200),
        public("POST", "/interest", "/interest", 422),
        public("GET", "/past", "/past", 200),
        public("GET", "/past/{slug}", "/past/jam", 200),
        // A cohort's materials are never public.
        public("GET", "/materials/{id}", "/materials/{material}", 404),
        public("HEAD", "/materials/{id}", "/materials/{material}", 404),
        public("GET", "/echo", "/echo", 200),
        public("GET", "/echo/link", "/echo/link", 200),
        public("POST", "/echo/link", "/echo/link", 422),
        public("GET", "/echo/{cohort}", "/echo/{cohort}", 200),
        public("POST", "/echo/{cohort}/apply", "/echo/{cohort}/apply", 422),
        public("GET", "/echo/session/{id}", "/echo/session/{cohort_session}", 303),
        public("GET", "/echo/p/{token}", "/echo/p/{participant}", 200),
        public("GET", "/echo/p/{token}/calendar.ics", "/echo/p/{participant}/calendar.ics", 200),
        // Unpublished: not on the participant's page either.
        public("GET", "/echo/p/{token}/materials/{id}", "/echo/p/{participant}/materials/{material}", 404),
        public("GET", "/echo/p/{token}/cases/new", "/echo/p/{participant}/cases/new", 200),
        public("POST", "/echo/p/{token}/cases", "/echo/p/{participant}/cases", 422).with(Multipart),
        public("GET", "/echo/p/{token}/cases/{id}", "/echo/p/{participant}/cases/{case}", 200),
        // Not sent back for a revision: no form to edit it with.
        public("POST", "/echo/p/{token}/cases/{id}", "/echo/p/{participant}/cases/{case}", 404).with(Multipart),
        public("GET", "/echo/p/{token}/cases/{id}/edit", "/echo/p/{participant}/cases/{case}/edit", 404),
        public("GET", "/echo/p/{token}/cases/{id}/attachment", "/echo/p/{participant}/cases/{case}/attachment", 200),
        public("POST", "/echo/p/{token}/cases/{id}/follow-up", "/echo/p/{participant}/cases/{case}/follow-up", 409),
        public("GET", "/api/v1/sessions", "/api/v1/sessions", 200),
        public("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", 200),
        public("GET", "/api/v1/docs", "/api/v1/docs", 200),
        public("POST", "/api/v1/auth/token", "/api/v1/auth/token", 401),
        public("GET", "/organizer/login", "/organizer/login", 200),
        public("POST", "/organizer/login", "/organizer/login", 401),
        public("GET", "/healthz", "/healthz", 200),
        public("GET", "/readyz", "/readyz", 200),
        public("GET", "/metrics", "/metrics", 200),
        public("GET", "/static/{file}", "/static/site.css", 200),
        // Signing in and out.
        roles("GET", "/api/v1/auth/me", "/api/v1/auth/me", [401, 200, 200, 200, 200]),
        row("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", Expect::SignsOut([401, 204, 204, 204, 204])),
        row("POST", "/organizer/logout", "/organizer/logout", Expect::SignsOut([303, 303, 303, 303, 303])),
        roles("GET", "/organizer", "/organizer", [303, 200, 200, 200, 200]),
        // Jam sessions, series, registrations, people.
        roles("POST", "/api/v1/organizer/sessions", "/api/v1/organizer/sessions", API_JAM_BAD_INPUT),
        roles("PATCH", "/api/v1/organizer/sessions/{id}", "/api/v1/organizer/sessions/{jam}", API_JAM_READ),
        roles("POST", "/api/v1/organizer/sessions/{id}/reschedule", "/api/v1/organizer/sessions/{jam}/reschedule", API_JAM_BAD_INPUT),
        roles("POST", "/api/v1/organizer/sessions/{id}/cancel", "/api/v1/organizer/sessions/{jam}/cancel", API_JAM_BAD_INPUT),
        roles("GET", "/api/v1/organizer/series", "/api/v1/organizer/series", API_JAM_READ),
        roles("GET", "/api/v1/organizer/series/{slug}", "/api/v1/organizer/series/jam", API_JAM_READ),
        roles("PATCH", "/api/v1/organizer/series/{slug}", "/api/v1/organizer/series/jam", API_JAM_READ),
        roles("GET", "/api/v1/organizer/sessions/{id}/registrations", "/api/v1/organizer/sessions/{jam}/registrations", API_JAM_READ),
        roles("POST", "/api/v1/organizer/sessions/{id}/registrations", "/api/v1/organizer/sessions/{jam}/registrations", API_JAM_BAD_INPUT),
        roles("GET", "/api/v1/organizer/sessions/{id}/registrations.csv", "/api/v1/organizer/sessions/{jam}/registrations.csv", API_JAM_READ),
        // Already cancelled, and so not on the waitlist either.
        roles("POST", "/api/v1/organizer/registrations/{id}/cancel", "/api/v1/organizer/registrations/{registration}/cancel", [401, 403, 403, 409, 409]),
        roles("POST", "/api/v1/organizer/registrations/{id}/promote", "/api/v1/organizer/registrations/{registration}/promote", [401, 403, 403, 409, 409]),
        roles("GET", "/api/v1/organizer/people/export", "/api/v1/organizer/people/export", API_JAM_BAD_INPUT),
        roles("POST", "/api/v1/organizer/people/erase", "/api/v1/organizer/people/erase", [401, 403, 403, 403, 422]),
        roles("GET", "/api/v1/organizer/outbox", "/api/v1/organizer/outbox", API_JAM_READ),
        // Not a failed message.
        roles("POST", "/api/v1/organizer/outbox/{id}/retry", "/api/v1/organizer/outbox/{outbox}/retry", [401, 403, 403, 404, 404]),
        roles("GET", "/api/v1/audit", "/api/v1/audit", [401, 403, 403, 403, 200]),
        // Lineups and proposals.
        roles("GET", "/api/v1/organizer/sessions/{id}/lineup", "/api/v1/organizer/sessions/{jam}/lineup", API_JAM_READ),
        roles("POST", "/api/v1/organizer/sessions/{id}/lineup", "/api/v1/organizer/sessions/{jam}/lineup", API_JAM_BAD_INPUT),
        roles("PUT", "/api/v1/organizer/sessions/{id}/levers", "/api/v1/organizer/sessions/{jam}/levers", API_JAM_BAD_INPUT),
        roles("PATCH", "/api/v1/organizer/lineup/{slot_id}", "/api/v1/organizer/lineup/{slot}", API_JAM_READ),
        roles("POST", "/api/v1/organizer/lineup/{slot_id}/invite", "/api/v1/organizer/lineup/{slot}/invite", API_JAM_READ),
        roles("GET", "/api/v1/organizer/proposals", "/api/v1/organizer/proposals", API_JAM_READ),
        roles("POST", "/api/v1/organizer/proposals/{id}/decline", "/api/v1/organizer/proposals/{proposal}/decline", API_JAM_BAD_INPUT),
        // The body is read before the handler runs: it must name a session (here none).
        roles("POST", "/api/v1/organizer/proposals/{id}/accept", "/api/v1/organizer/proposals/{proposal}/accept", [401, 403, 403, 404, 404]).with(Json(r#"{"session_id": 0}"#)),
        // Attendance and measures: a cohort's session, and the Jam's.
        roles("GET", "/api/v1/sessions/{id}/attendance", "/api/v1/sessions/{cohort_session}/attendance", API_COHORT_READ),
        roles("GET", "/api/v1/sessions/{id}/attendance", "/api/v1/sessions/{jam}/attendance", API_JAM_READ),
        roles("POST", "/api/v1/sessions/{id}/attendance/mark", "/api/v1/sessions/{cohort_session}/attendance/mark", API_COHORT_RECORD_BAD_INPUT),
        roles("POST", "/api/v1/sessions/{id}/attendance/mark", "/api/v1/sessions/{jam}/attendance/mark", API_JAM_BAD_INPUT),
        roles("POST", "/api/v1/sessions/{id}/attendance/{format}", "/api/v1/sessions/{cohort_session}/attendance/zoom", API_COHORT_RECORD_BAD_INPUT).with(Raw),
        roles("GET", "/api/v1/sessions/{id}/metrics", "/api/v1/sessions/{cohort_session}/metrics", API_COHORT_READ),
        roles("GET", "/api/v1/sessions/{id}/metrics", "/api/v1/sessions/{jam}/metrics", API_JAM_READ),
        roles("GET", "/api/v1/sessions/{id}/metrics.csv", "/api/v1/sessions/{cohort_session}/metrics.csv", API_COHORT_READ),
        roles("GET", "/api/v1/series/{slug}/metrics", "/api/v1/series/jam/metrics", API_JAM_READ),
        roles("GET", "/api/v1/series/{slug}/metrics.csv", "/api/v1/series/jam/metrics.csv", API_JAM_READ),
        // Materials.
        roles("POST", "/api/v1/sessions/{id}/materials", "/api/v1/sessions/{cohort_session}/materials", API_COHORT_RECORD_BAD_INPUT).with(Multipart),
        roles("POST", "/api/v1/sessions/{id}/materials", "/api/v1/sessions/{jam}/materials", API_JAM_BAD_INPUT).with(Multipart),
        roles("GET", "/api/v1/sessions/{id}/materials", "/api/v1/sessions/{cohort_session}/materials", API_COHORT_READ),
        roles("GET", "/api/v1/sessions/{id}/materials", "/api/v1/sessions/{jam}/materials", API_JAM_READ),
        roles("PATCH", "/api/v1/materials/{id}", "/api/v1/materials/{material}", API_COHORT_READ),
        roles("DELETE", "/api/v1/materials/{id}", "/api/v1/materials/{spare_api}", [401, 404, 204, 204, 204]),
        // The ECHO.
        roles("GET", "/api/v1/echo/cohorts", "/api/v1/echo/cohorts", [401, 200, 200, 200, 200]),
        roles("POST", "/api/v1/echo/cohorts", "/api/v1/echo/cohorts", [401, 422, 422, 403, 422]),
        roles("GET", "/api/v1/echo/cohorts/{slug}", "/api/v1/echo/cohorts/{cohort}", API_COHORT_READ),
        roles("PATCH", "/api/v1/echo/cohorts/{slug}", "/api/v1/echo/cohorts/{cohort}", [401, 404, 200, 403, 200]),
        roles("GET", "/api/v1/echo/cohorts/{slug}/applications", "/api/v1/echo/cohorts/{cohort}/applications", API_COHORT_READ),
        roles("PATCH", "/api/v1/echo/sessions/{id}", "/api/v1/echo/sessions/{cohort_session}", [401, 404, 200, 403, 200]),
        roles("POST", "/api/v1/echo/applications/{id}/decision", "/api/v1/echo/applications/{application}/decision", API_COHORT_CHANGE_BAD_INPUT),
        roles("GET", "/api/v1/echo/cohorts/{slug}/cases", "/api/v1/echo/cohorts/{cohort}/cases", API_COHORT_READ),
        roles("GET", "/api/v1/echo/cases/{id}", "/api/v1/echo/cases/{case}", API_COHORT_READ),
        roles("GET", "/api/v1/echo/cases/{id}/attachment", "/api/v1/echo/cases/{case}/attachment", API_COHORT_READ),
        roles("POST", "/api/v1/echo/cases/{id}/review", "/api/v1/echo/cases/{case}/review", API_COHORT_CHANGE_BAD_INPUT),
        roles("PUT", "/api/v1/echo/cases/{id}/recommendations", "/api/v1/echo/cases/{case}/recommendations", API_COHORT_CHANGE_BAD_INPUT),
        roles("GET", "/api/v1/echo/cohorts/{slug}/completion", "/api/v1/echo/cohorts/{cohort}/completion", API_COHORT_READ),
        roles("GET", "/api/v1/echo/cohorts/{slug}/completion.csv", "/api/v1/echo/cohorts/{cohort}/completion.csv", API_COHORT_READ),
        roles("POST", "/api/v1/echo/cohorts/{slug}/facilitators", "/api/v1/echo/cohorts/{cohort}/facilitators", [401, 403, 403, 422, 422]),
        // The other cohort's facilitator does not run this one.
        roles("DELETE", "/api/v1/echo/cohorts/{slug}/facilitators/{user_id}", "/api/v1/echo/cohorts/{cohort}/facilitators/{other_user}", [401, 403, 403, 404, 404]),
        // Organizer pages: the Jam.
        roles("GET", "/organizer/outbox", "/organizer/outbox", PAGE_JAM_READ),
        roles("POST", "/organizer/outbox/{id}/retry", "/organizer/outbox/{outbox}/retry", [303, 403, 403, 404, 404]),
        roles("GET", "/organizer/proposals", "/organizer/proposals", PAGE_JAM_READ),
        roles("POST", "/organizer/proposals/{id}/{action}", "/organizer/proposals/{proposal}/decline", PAGE_JAM_BAD_INPUT),
        roles("GET", "/organizer/audit", "/organizer/audit", [303, 403, 403, 403, 200]),
        roles("GET", "/organizer/series/{slug}", "/organizer/series/jam", PAGE_JAM_READ),
        roles("POST", "/organizer/series/{slug}", "/organizer/series/jam", PAGE_JAM_CHANGED),
        roles("GET", "/organizer/series/{slug}/reports", "/organizer/series/jam/reports", PAGE_JAM_READ),
        roles("GET", "/organizer/series/{slug}/reports.csv", "/organizer/series/jam/reports.csv", PAGE_JAM_READ),
        roles("GET", "/organizer/sessions/{id}", "/organizer/sessions/{jam}", PAGE_JAM_READ),
        roles("GET", "/organizer/sessions/{id}", "/organizer/sessions/{cohort_session}", PAGE_COHORT_READ),
        roles("GET", "/organizer/sessions/{id}/registrations.csv", "/organizer/sessions/{jam}/registrations.csv", PAGE_JAM_READ),
        roles("POST", "/organizer/sessions", "/organizer/sessions", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/registrations", "/organizer/sessions/{jam}/registrations", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/lineup", "/organizer/sessions/{jam}/lineup", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/levers", "/organizer/sessions/{jam}/levers", PAGE_JAM_CHANGED),
        roles("POST", "/organizer/lineup/{slot}/{action}", "/organizer/lineup/{slot}/up", PAGE_JAM_CHANGED),
        roles("POST", "/organizer/sessions/{id}/{action}", "/organizer/sessions/{jam}/details", PAGE_JAM_CHANGED),
        roles("POST", "/organizer/registrations/{id}/{action}", "/organizer/registrations/{registration}/cancel", [303, 403, 403, 409, 409]),
        // Organizer pages: a session's records.
        roles("POST", "/organizer/sessions/{id}/attendance", "/organizer/sessions/{cohort_session}/attendance", PAGE_COHORT_RECORD_BAD_INPUT).with(Multipart),
        roles("POST", "/organizer/sessions/{id}/attendance/mark", "/organizer/sessions/{cohort_session}/attendance/mark", PAGE_COHORT_RECORD_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/attendance/mark", "/organizer/sessions/{jam}/attendance/mark", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/materials", "/organizer/sessions/{cohort_session}/materials", PAGE_COHORT_RECORD_BAD_INPUT).with(Multipart),
        // A link material: a redirect to it.
        roles("GET", "/organizer/materials/{id}", "/organizer/materials/{material}", [303, 404, 302, 302, 302]),
        roles("POST", "/organizer/materials/{id}/remove", "/organizer/materials/{spare_page}/remove", [303, 404, 303, 303, 303]),
        roles("POST", "/organizer/materials/{id}/{action:publish|unpublish}", "/organizer/materials/{material}/unpublish", [303, 404, 303, 303, 303]),
        // Organizer pages: the ECHO.
        roles("GET", "/organizer/echo", "/organizer/echo", [303, 200, 200, 200, 200]),
        roles("POST", "/organizer/echo/cohorts", "/organizer/echo/cohorts", [303, 422, 422, 403, 422]),
        roles("GET", "/organizer/echo/{slug}", "/organizer/echo/{cohort}", PAGE_COHORT_READ),
        roles("POST", "/organizer/echo/sessions/{id}", "/organizer/echo/sessions/{cohort_session}", [303, 404, 303, 403, 303]),
        roles("POST", "/organizer/echo/applications/{id}", "/organizer/echo/applications/{application}", PAGE_COHORT_CHANGE_BAD_INPUT),
        roles("GET", "/organizer/echo/cases/{id}", "/organizer/echo/cases/{case}", PAGE_COHORT_READ),
        roles("GET", "/organizer/echo/cases/{id}/attachment", "/organizer/echo/cases/{case}/attachment", PAGE_COHORT_READ),
        roles("POST", "/organizer/echo/cases/{id}/review", "/organizer/echo/cases/{case}/review", PAGE_COHORT_CHANGE_BAD_INPUT),
        roles("POST", "/organizer/echo/cases/{id}/recommendations", "/organizer/echo/cases/{case}/recommendations", PAGE_COHORT_CHANGE_BAD_INPUT),
        roles("GET", "/organizer/echo/{slug}/completion.csv", "/organizer/echo/{cohort}/completion.csv", PAGE_COHORT_READ),
        roles("POST", "/organizer/echo/{slug}/facilitators", "/organizer/echo/{cohort}/facilitators", [303, 403, 403, 422, 422]),
        roles("POST", "/organizer/echo/{slug}/facilitators/{user_id}/remove", "/organizer/echo/{cohort}/facilitators/{other_user}/remove", [303, 403, 403, 404, 404]),
        // A participant's link: revoked or issued anew by those who run the cohort.
        roles("POST", "/api/v1/echo/applications/{id}/link", "/api/v1/echo/applications/{application}/link", [401, 404, 409, 403, 409]),
        roles("DELETE", "/api/v1/echo/applications/{id}/link", "/api/v1/echo/applications/{application}/link", [401, 404, 409, 403, 409]),
        roles("POST", "/organizer/echo/applications/{id}/link", "/organizer/echo/applications/{application}/link", PAGE_COHORT_CHANGE_BAD_INPUT),
    ]
}

// ---------------------------------------------------------------- the world

/// The app with a Jam session, cohort 3 (run by `HUB`) with a session, a
/// pending and an approved application and a case, cohort 4 (run by
/// `OTHER`), materials, a cancelled registration, a lineup slot, a
/// proposal; and everyone signed in.
struct World {
    app: TestApp,
    fixtures: HashMap<&'static str, String>,
    /// Materials each column may remove, per route: (API, page).
    spares: Vec<(i64, i64)>,
    signed: Vec<Option<Signed>>,
}

fn sole_id(app: &TestApp, query: &str) -> i64 {
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
async fn api(
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
    async fn new() -> Self {
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
            assert_eq!(applied.status().as_u16(), 200, "{email} applies");
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
    fn url(&self, template: &str, who: usize) -> String {
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
    async fn ask(&self, row: &Row, who: usize, signed: Option<&Signed>) -> u16 {
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
    assert_eq!(sent.status().as_u16(), 200, "the proposal is taken");
    sole_id(app, "SELECT MAX(id) AS id FROM proposals")
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn every_registered_route_answers_each_role_as_the_role_table_says() {
    let rows = table();
    let registered: BTreeSet<(String, String)> = convene::app::route_list()
        .into_iter()
        .map(|(method, pattern)| (method.to_string(), pattern.to_string()))
        .collect();
    let in_table: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "every registered route needs a row in tests/api/roles.rs, and every row a route.\n\
         registered without a row: {missing:#?}\nrows for no route: {stale:#?}"
    );

    let world = World::new().await;
    let mut wrong = Vec::new();
    let mut check = |row: &Row, who: usize, expected: u16, got: u16| {
        if expected != got {
            wrong.push(format!(
                "{} {} as {}: expected {expected}, got {got}",
                row.method,
                world.url(row.url, who),
                WHO[who]
            ));
        }
    };
    // Sign-outs last: they end sign-ins.
    let (last, first): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|r| matches!(r.expect, Expect::SignsOut(_)));
    for row in first.into_iter().chain(last) {
        match &row.expect {
            Expect::Public(status) => check(row, 0, *status, world.ask(row, 0, None).await),
            Expect::Roles(statuses) => {
                for (who, expected) in statuses.iter().enumerate() {
                    let got = world.ask(row, who, world.signed[who].as_ref()).await;
                    check(row, who, *expected, got);
                }
            }
            Expect::SignsOut(statuses) => {
                for (who, expected) in statuses.iter().enumerate() {
                    let fresh = match ACCOUNTS[who] {
                        Some(email) => Some(signed(&world.app, email).await),
                        None => None,
                    };
                    check(
                        row,
                        who,
                        *expected,
                        world.ask(row, who, fresh.as_ref()).await,
                    );
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answer(s) differ from the role table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn organizers_assign_facilitators_who_then_see_only_the_cohorts_they_run() {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    for (email, role) in [
        (ORGANIZER, Role::Organizer),
        (HUB, Role::Facilitator),
        (OTHER, Role::Facilitator),
    ] {
        create_user(&app, email, role);
    }
    let (organizer, hub, other) = (
        token(&app, ORGANIZER).await,
        token(&app, HUB).await,
        token(&app, OTHER).await,
    );
    api(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts",
        &hub,
        Some(cohort_3(30)),
    )
    .await;
    let slugs = |body: Value| -> Vec<String> {
        body["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |bearer: String| {
        let app = &app;
        async move { api(app, Method::GET, "/api/v1/echo/cohorts", &bearer, None).await }
    };
    assert_eq!(
        slugs(list(hub.clone()).await),
        ["cohort-3"],
        "its creator runs it"
    );
    assert!(
        slugs(list(other.clone()).await).is_empty(),
        "a facilitator not assigned sees no cohort"
    );
    assert_eq!(
        slugs(list(organizer.clone()).await),
        ["cohort-3"],
        "organizers see every cohort"
    );

    // An organizer assigns the other facilitator from the cohort's page.
    let cookie = sign_in(&app, ORGANIZER).await;
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Facilitators") && html.contains(&format!("value=\"{OTHER}\"")),
        "the page offers the unassigned facilitator: {html}"
    );
    let assigned = post_page(
        &app,
        "/organizer/echo/cohort-3/facilitators",
        &cookie,
        &[("csrf", &csrf_of(&html)), ("email", OTHER)],
    )
    .await;
    assert_eq!(assigned.status().as_u16(), 303, "assigned from the page");
    assert_eq!(
        slugs(list(other.clone()).await),
        ["cohort-3"],
        "now they run it"
    );
    let (_, cohort) = send(
        &app,
        Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&other),
        None,
    )
    .await;
    let staff: Vec<&str> = cohort["facilitators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        staff,
        [HUB, OTHER],
        "the cohort names its facilitators by name: {cohort}"
    );

    // Only facilitators are assigned; a facilitator does not assign.
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&organizer),
        Some(json!({ "email": ORGANIZER })),
    )
    .await;
    assert_eq!(
        status, 422,
        "an organizer sees every cohort already: {body}"
    );
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&hub),
        Some(json!({ "email": OTHER })),
    )
    .await;
    assert_eq!(status, 403, "a facilitator may not assign");

    // Unassigned through the API: the cohort is hidden from them again.
    let other_id = sole_id(
        &app,
        &format!("SELECT id FROM users WHERE email = '{OTHER}'"),
    );
    let (status, body) = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/echo/cohorts/cohort-3/facilitators/{other_id}"),
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!(
        (status, body["facilitators"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{body}"
    );
    let (status, body) = send(
        &app,
        Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (404, Some("no cohort `cohort-3`")),
        "the same answer as for a cohort that does not exist"
    );

    // The other facilitator's page sign-in: their dashboard has no Jam.
    let theirs = sign_in(&app, OTHER).await;
    let dashboard = page(&app, "/organizer", &theirs)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("not assigned to a cohort")
            && !dashboard.contains("Upcoming sessions")
            && !dashboard.contains("/organizer/outbox"),
        "a facilitator's dashboard shows their cohorts, nothing of the Jam: {dashboard}"
    );
    let hubs = sign_in(&app, HUB).await;
    let dashboard = page(&app, "/organizer", &hubs).await.text().await.unwrap();
    assert!(
        dashboard.contains("href=\"/organizer/echo/cohort-3\""),
        "the facilitator's dashboard links the cohort they run"
    );

    // Each change is in the audit log, and so is the creator's.
    let audit: Vec<(String, Option<String>, Option<String>)> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.like("cohort.facilitator.%"))
            .order(id)
            .select((action, before, after))
            .load(c)
            .unwrap()
    });
    let actions: Vec<&str> = audit.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "cohort.facilitator.assign",
            "cohort.facilitator.assign",
            "cohort.facilitator.unassign"
        ],
        "the creator's assignment, the page's, the API's removal"
    );
    assert!(
        audit[2].1.as_deref().unwrap_or_default().contains(OTHER),
        "the removal names whom: {audit:?}"
    );

    // The command line assigns and unassigns too.
    let run = run_convene(
        &app,
        &["user", "assign", "--email", OTHER, "--cohort", "cohort-3"],
        "",
    )
    .await;
    assert!(run.ok, "convene user assign: {}", run.stderr);
    assert_eq!(
        slugs(list(other.clone()).await),
        ["cohort-3"],
        "assigned at the command line"
    );
    let listed = run_convene(&app, &["user", "list"], "").await;
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.contains(OTHER) && l.contains("runs cohort-3")),
        "the list shows who runs what: {}",
        listed.stdout
    );
    let refused = run_convene(
        &app,
        &[
            "user", "assign", "--email", ORGANIZER, "--cohort", "cohort-3",
        ],
        "",
    )
    .await;
    assert!(
        !refused.ok && refused.stderr.contains("facilitators are assigned"),
        "an organizer is not assigned: {}",
        refused.stderr
    );
    let run = run_convene(
        &app,
        &["user", "unassign", "--email", OTHER, "--cohort", "cohort-3"],
        "",
    )
    .await;
    assert!(run.ok, "convene user unassign: {}", run.stderr);
    assert!(
        slugs(list(other).await).is_empty(),
        "unassigned at the command line"
    );
}
