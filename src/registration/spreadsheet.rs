//! A session's registrations as a spreadsheet: the people, their
//! registration, and a column per registration question the series has
//! asked (archived ones included, so no answer is lost from the export).

use actix_web::HttpResponse;

use crate::people::contact::{sector_label, STATES};
use crate::registration::answers;
use crate::registration::store::{Person, Registration};
use crate::series::model::Session;
use crate::series::questions::store::Sheet;
use crate::web::csv::{csv_download, spreadsheet_csv};

fn state_label(code: &str) -> &str {
    STATES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

pub fn csv_bytes(
    session: &Session,
    rows: &[(Registration, Person)],
    sheet: &Sheet,
) -> anyhow::Result<Vec<u8>> {
    let tz = session.tz();
    let mut headers: Vec<String> = [
        "First name",
        "Last name",
        "E-mail",
        "Organization",
        "Job title",
        "Sector",
        "State",
        "Status",
        "Registered at",
        "Subscribed",
    ]
    .map(String::from)
    .to_vec();
    headers.extend(answers::csv_headers(sheet));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    spreadsheet_csv(
        &headers,
        rows.iter().map(|(r, p)| {
            let at = r
                .created_at
                .and_utc()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string();
            let mut cells = vec![
                p.first_name.clone(),
                p.last_name.clone(),
                p.email.clone(),
                p.organization.clone(),
                p.job_title.clone(),
                sector_label(&p.sector).to_string(),
                state_label(&p.state).to_string(),
                r.status.clone(),
                at,
                if r.subscribe { "yes" } else { "no" }.to_string(),
            ];
            cells.extend(answers::csv_cells(sheet, r.id));
            cells
        }),
    )
}

/// The CSV download of `rows` with their answers (also served to the
/// organizer pages).
pub fn csv_response(
    session: &Session,
    rows: &[(Registration, Person)],
    sheet: &Sheet,
) -> anyhow::Result<HttpResponse> {
    let body = csv_bytes(session, rows, sheet)?;
    let date = session
        .starts_at_utc()
        .with_timezone(&session.tz())
        .format("%Y-%m-%d");
    Ok(csv_download(
        &format!("registrations-{}-{date}.csv", session.id),
        body,
    ))
}
