//! Roles by least privilege, checked as a table: every route the app
//! registers (`convene::app::route_list`), asked by nobody, a facilitator
//! of another cohort, the cohort's facilitator, an organizer and an admin,
//! answers with the status its row says. A registered route without a row
//! fails the test, so a new route cannot skip it. Then the assignments
//! themselves: who assigns, what a facilitator then sees, the audit log
//! and the command line.

use diesel::prelude::*;
use reqwest::Method;

use crate::helpers::{csrf_of, page, sign_in, token, TestApp};

mod facilitators;
mod routes;
mod world;

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
        public("GET", "/r/{token}/cancel", "/r/{manage}/cancel", 200),
        public("POST", "/r/{token}/cancel", "/r/{manage}/cancel", 303),
        // The evaluation opens once the session has ended: not yet.
        public("GET", "/r/{token}/feedback", "/r/{manage}/feedback", 409),
        public("POST", "/r/{token}/feedback", "/r/{manage}/feedback", 409),
        public("GET", "/sessions/{id}/feedback", "/sessions/{jam}/feedback", 409),
        public("POST", "/sessions/{id}/feedback", "/sessions/{jam}/feedback", 409),
        public("GET", "/sessions/{id}/feedback/thanks", "/sessions/{jam}/feedback/thanks", 200),
        // Not asked what came of an evaluation: no such page.
        public("GET", "/r/{token}/since", "/r/{manage}/since", 404),
        public("POST", "/r/{token}/since", "/r/{manage}/since", 404),
        public("GET", "/r/{token}/since/thanks", "/r/{manage}/since/thanks", 404),
        public("GET", "/subscribe", "/subscribe", 200),
        public("POST", "/subscribe", "/subscribe", 422),
        public("GET", "/subscribe/sent", "/subscribe/sent", 200),
        public("GET", "/subscribe/confirm/{token}", "/subscribe/confirm/not-a-token", 404),
        public("POST", "/subscribe/confirm/{token}", "/subscribe/confirm/not-a-token", 404),
        public("GET", "/u/{token}", "/u/not-a-token", 404),
        public("POST", "/u/{token}", "/u/not-a-token", 404),
        public("GET", "/wg/{token}", "/wg/not-a-token", 404),
        public("POST", "/wg/{token}", "/wg/not-a-token", 404),
        public("GET", "/present/{token}/{answer}", "/present/not-a-token/accept", 404),
        public("POST", "/present/{token}/{answer}", "/present/not-a-token/accept", 404),
        public("GET", "/interest", "/interest", 200),
        public("POST", "/interest", "/interest", 422),
        public("GET", "/interest/sent", "/interest/sent", 200),
        public("GET", "/series/{slug}", "/series/jam", 200),
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
        public("GET", "/echo/{cohort}/apply", "/echo/{cohort}/apply", 303),
        public("GET", "/echo/{cohort}/applied", "/echo/{cohort}/applied", 200),
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
        roles("POST", "/api/v1/organizer/sessions/{id}/message", "/api/v1/organizer/sessions/{jam}/message", API_JAM_BAD_INPUT),
        roles("GET", "/api/v1/organizer/series", "/api/v1/organizer/series", API_JAM_READ),
        roles("POST", "/api/v1/organizer/series", "/api/v1/organizer/series", API_JAM_BAD_INPUT),
        roles("GET", "/api/v1/organizer/series/{slug}", "/api/v1/organizer/series/jam", API_JAM_READ),
        roles("PATCH", "/api/v1/organizer/series/{slug}", "/api/v1/organizer/series/jam", API_JAM_READ),
        roles("GET", "/api/v1/organizer/series/{slug}/questions", "/api/v1/organizer/series/jam/questions", API_JAM_READ),
        // `{}` lacks the list: refused after the role.
        roles("PUT", "/api/v1/organizer/series/{slug}/questions", "/api/v1/organizer/series/jam/questions", API_JAM_BAD_INPUT),
        roles("GET", "/api/v1/organizer/series/{slug}/evaluation-questions", "/api/v1/organizer/series/jam/evaluation-questions", API_JAM_READ),
        roles("PUT", "/api/v1/organizer/series/{slug}/evaluation-questions", "/api/v1/organizer/series/jam/evaluation-questions", API_JAM_BAD_INPUT),
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
        roles("GET", "/api/v1/working-groups", "/api/v1/working-groups", API_JAM_READ),
        roles("GET", "/api/v1/working-groups/{lever}", "/api/v1/working-groups/payment", API_JAM_READ),
        roles("GET", "/api/v1/working-groups/{lever}/members.csv", "/api/v1/working-groups/payment/members.csv", API_JAM_READ),
        roles("POST", "/api/v1/working-groups/members/{id}/contacted", "/api/v1/working-groups/members/999999/contacted", [401, 403, 403, 404, 404]),
        roles("POST", "/api/v1/working-groups/{lever}/message", "/api/v1/working-groups/payment/message", API_JAM_BAD_INPUT),
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
        roles("GET", "/api/v1/series/{slug}/feedback", "/api/v1/series/jam/feedback", API_JAM_READ),
        roles("GET", "/api/v1/series/{slug}/feedback.csv", "/api/v1/series/jam/feedback.csv", API_JAM_READ),
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
        roles("GET", "/organizer/working-groups", "/organizer/working-groups", PAGE_JAM_READ),
        roles("GET", "/organizer/working-groups/{lever}", "/organizer/working-groups/payment", PAGE_JAM_READ),
        roles("GET", "/organizer/working-groups/{lever}/members.csv", "/organizer/working-groups/payment/members.csv", PAGE_JAM_READ),
        roles("POST", "/organizer/working-groups/members/{id}/contacted", "/organizer/working-groups/members/999999/contacted", [303, 403, 403, 404, 404]),
        roles("POST", "/organizer/working-groups/{lever}/message", "/organizer/working-groups/payment/message", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/proposals/{id}/{action}", "/organizer/proposals/{proposal}/decline", PAGE_JAM_BAD_INPUT),
        roles("GET", "/organizer/audit", "/organizer/audit", [303, 403, 403, 403, 200]),
        roles("GET", "/organizer/series", "/organizer/series", PAGE_JAM_READ),
        roles("POST", "/organizer/series", "/organizer/series", PAGE_JAM_BAD_INPUT),
        roles("GET", "/organizer/series/{slug}", "/organizer/series/jam", PAGE_JAM_READ),
        roles("POST", "/organizer/series/{slug}", "/organizer/series/jam", PAGE_JAM_CHANGED),
        roles("GET", "/organizer/series/{slug}/questions", "/organizer/series/jam/questions", PAGE_JAM_READ),
        // The CSRF token alone: a question with no label.
        roles("POST", "/organizer/series/{slug}/questions", "/organizer/series/jam/questions", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/series/{slug}/questions/{id}", "/organizer/series/jam/questions/0", [303, 403, 403, 404, 404]),
        roles("GET", "/organizer/series/{slug}/evaluation-questions", "/organizer/series/jam/evaluation-questions", PAGE_JAM_READ),
        roles("POST", "/organizer/series/{slug}/evaluation-questions", "/organizer/series/jam/evaluation-questions", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/series/{slug}/evaluation-questions/{id}", "/organizer/series/jam/evaluation-questions/0", [303, 403, 403, 404, 404]),
        roles("GET", "/organizer/series/{slug}/reports", "/organizer/series/jam/reports", PAGE_JAM_READ),
        roles("GET", "/organizer/series/{slug}/reports.csv", "/organizer/series/jam/reports.csv", PAGE_JAM_READ),
        roles("GET", "/organizer/series/{slug}/feedback.csv", "/organizer/series/jam/feedback.csv", PAGE_JAM_READ),
        roles("GET", "/organizer/lists", "/organizer/lists", PAGE_JAM_READ),
        roles("POST", "/organizer/lists/{slug}/import", "/organizer/lists/jam/import", PAGE_JAM_BAD_INPUT).with(Multipart),
        roles("GET", "/organizer/lists/{slug}/export.csv", "/organizer/lists/jam/export.csv", PAGE_JAM_READ),
        roles("POST", "/api/v1/lists/{slug}/import", "/api/v1/lists/jam/import", API_JAM_BAD_INPUT).with(Raw),
        roles("GET", "/api/v1/lists/{slug}/export", "/api/v1/lists/jam/export", API_JAM_READ),
        roles("GET", "/organizer/sessions/{id}", "/organizer/sessions/{jam}", PAGE_JAM_READ),
        roles("GET", "/organizer/sessions/{id}", "/organizer/sessions/{cohort_session}", PAGE_COHORT_READ),
        roles("GET", "/organizer/sessions/{id}/registrations.csv", "/organizer/sessions/{jam}/registrations.csv", PAGE_JAM_READ),
        roles("POST", "/organizer/sessions", "/organizer/sessions", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/registrations", "/organizer/sessions/{jam}/registrations", PAGE_JAM_BAD_INPUT),
        roles("POST", "/organizer/sessions/{id}/message", "/organizer/sessions/{jam}/message", PAGE_JAM_BAD_INPUT),
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
