//! Turns an outbox row into a MIME message: subject, text and HTML from
//! `email_templates/<name>/`, plus the calendar file when there is one —
//! as a `text/calendar; method=…` alternative (what Gmail and Outlook show
//! as an invitation) and as an `invite.ics` attachment.

use chrono::Utc;
use handlebars::{Context, Handlebars};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::calendar::ics;
use crate::mail::outbox::{CalendarPart, OutboxRow};
use crate::templates::{self, EmailFiles};
use crate::web::links::LinkKey;

pub struct EmailTemplates {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {0}: {1}")]
    Template(String, String),
    #[error("bad stored message data: {0}")]
    Data(String),
    #[error("bad recipient address `{0}`")]
    Recipient(String),
    #[error("cannot build the message: {0}")]
    Build(String),
}

impl EmailTemplates {
    pub fn load() -> Result<Self, handlebars::TemplateError> {
        Ok(Self {
            plain: templates::load::<EmailFiles>(false)?,
            html: templates::load::<EmailFiles>(true)?,
        })
    }

    /// Subject, plain text and HTML of `template` for `context`.
    pub fn render(
        &self,
        template: &str,
        context: &serde_json::Value,
    ) -> Result<(String, String, String), RenderError> {
        self.render_context(template, &Context::from(context.clone()))
    }

    /// [`Self::render`] over one handlebars context: rendering from a
    /// `serde_json::Value` would copy the whole value once per part.
    fn render_context(
        &self,
        template: &str,
        context: &Context,
    ) -> Result<(String, String, String), RenderError> {
        let fail = |part: &str, e: handlebars::RenderError| {
            RenderError::Template(format!("{template}/{part}"), e.to_string())
        };
        let mut name = String::with_capacity(template.len() + 8);
        let mut part = |registry: &Handlebars<'static>, part: &str| {
            name.clear();
            name.push_str(template);
            name.push('/');
            name.push_str(part);
            registry
                .render_with_context(&name, context)
                .map_err(|e| fail(part, e))
        };
        let subject = part(&self.plain, "subject")?;
        let text = part(&self.plain, "text")?;
        let html = part(&self.html, "html")?;
        // A subject is one line, whatever the data held.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok((subject, text, html))
    }

    /// The complete message for an outbox row, its links' placeholders
    /// opened with `links`. `unsubscribe_mailto` (may be empty) joins list
    /// mail's one-click URL in `List-Unsubscribe`.
    pub fn message(
        &self,
        row: &OutboxRow,
        from: &Mailbox,
        unsubscribe_mailto: &str,
        links: &LinkKey,
    ) -> Result<Message, RenderError> {
        let context: serde_json::Value = serde_json::from_str(&links.resolve(&row.context))
            .map_err(|e| RenderError::Data(e.to_string()))?;
        let (subject, text, html) = self.render_context(&row.template, &Context::from(context))?;
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|_| RenderError::Recipient(row.recipient.clone()))?;
        let calendar: Option<CalendarPart> = row
            .calendar
            .as_deref()
            .map(|c| serde_json::from_str(&links.resolve(c)))
            .transpose()
            .map_err(|e| RenderError::Data(e.to_string()))?;

        let mut alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html));
        let body = match calendar {
            None => alternative,
            Some(part) => {
                let ics_text = ics::render(part.method, &part.events, Utc::now());
                let content_type = ContentType::parse(&part.method.content_type())
                    .expect("valid calendar content type");
                alternative = alternative.singlepart(
                    SinglePart::builder()
                        .header(content_type)
                        .body(ics_text.clone()),
                );
                let attachment_type =
                    ContentType::parse("application/ics; name=\"invite.ics\"").expect("valid type");
                MultiPart::mixed().multipart(alternative).singlepart(
                    Attachment::new("invite.ics".into()).body(ics_text, attachment_type),
                )
            }
        };
        // Stable per outbox row: a resend after a crash carries the same id,
        // so mail clients can drop the duplicate.
        let key: String = row
            .idempotency_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        let message_id = format!("<{}.{key}@{}>", row.id, from.email.domain());
        let mut builder = Message::builder()
            .message_id(Some(message_id))
            .from(from.clone())
            .to(to)
            .subject(subject);
        if let Some(url) = &row.unsubscribe_url {
            for header in list_headers(row, &links.resolve(url), unsubscribe_mailto) {
                builder = builder.raw_header(header);
            }
        }
        builder
            .multipart(body)
            .map_err(|e| RenderError::Build(e.to_string()))
    }
}

/// RFC 2369 / RFC 8058 headers of list mail: which list, and one-click
/// unsubscribe (a mail program POSTs `List-Unsubscribe=One-Click` to the
/// URL), plus a `mailto:` when configured.
fn list_headers(row: &OutboxRow, url: &str, mailto: &str) -> Vec<HeaderValue> {
    let mut targets = vec![format!("<{url}>")];
    if !mailto.is_empty() {
        let token = url.rsplit('/').next().unwrap_or_default();
        targets.push(format!("<mailto:{mailto}?subject=unsubscribe%20{token}>"));
    }
    let mut headers = vec![
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            targets.join(", "),
        ),
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ),
    ];
    if let Some(list_id) = &row.list_id {
        headers.push(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Id"),
            list_id.clone(),
        ));
    }
    headers
}
