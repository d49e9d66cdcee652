//! The e-mails a registration sends, as outbox messages.

use serde_json::json;

use crate::calendar::ics::{Method, Party};
use crate::config::PublicUrl;
use crate::mail::{CalendarPart, NewMessage};
use crate::series::model::{Series, Session};

/// Everything a registration e-mail talks about.
pub struct Letter<'a> {
    pub public_url: &'a PublicUrl,
    pub session: &'a Session,
    pub series: &'a Series,
    pub registration_id: i64,
    /// The manage link's token as queued mail carries it: a placeholder
    /// the mail worker opens (`links::placeholder`).
    pub token: String,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    /// Added to the session's SEQUENCE for this person's copy.
    pub calendar_sequence: i32,
}

impl Letter<'_> {
    pub fn manage_url(&self) -> String {
        self.public_url.join(&format!("/r/{}", self.token))
    }

    fn context(&self) -> serde_json::Value {
        let s = self.session;
        json!({
            "first_name": self.first_name,
            "last_name": self.last_name,
            "session_title": s.title,
            "series_title": self.series.title,
            "description": s.description,
            "when": s.when(),
            "timezone": s.timezone,
            "other_zones": s.other_zones(),
            "starts_at": s.starts_machine(),
            "join_url": s.join_url,
            "manage_url": self.manage_url(),
            "calendar_url": self.public_url.join(&format!("/sessions/{}/calendar.ics", s.id)),
            "session_url": self.public_url.join(&format!("/sessions/{}", s.id)),
        })
    }

    fn calendar(&self, method: Method) -> CalendarPart {
        let description = format!(
            "Join: {}\n\nManage or cancel your registration: {}\n\n{}",
            self.session.join_url,
            self.manage_url(),
            self.session.description
        );
        let attendee = Party {
            name: format!("{} {}", self.first_name, self.last_name),
            email: self.email.to_string(),
        };
        CalendarPart {
            method,
            events: vec![self.session.calendar_event(
                self.series,
                description,
                Some(attendee),
                self.calendar_sequence,
            )],
        }
    }

    fn message(
        &self,
        key: String,
        template: &'static str,
        calendar: Option<CalendarPart>,
    ) -> NewMessage {
        NewMessage {
            key,
            template,
            recipient: self.email.to_string(),
            context: self.context(),
            calendar,
        }
    }

    /// "You're registered", with the invitation. `n` counts confirmations.
    pub fn confirmed(&self, n: i32) -> NewMessage {
        let key = format!("registration:{}:confirmation:{n}", self.registration_id);
        self.message(
            key,
            "registration_confirmed",
            Some(self.calendar(Method::Request)),
        )
    }

    /// "You're on the waitlist": no invitation yet.
    pub fn waitlisted(&self, n: i32) -> NewMessage {
        let key = format!("registration:{}:confirmation:{n}", self.registration_id);
        self.message(key, "registration_waitlisted", None)
    }

    /// "A place opened up", with the invitation.
    pub fn promoted(&self) -> NewMessage {
        let key = format!(
            "registration:{}:promoted:{}",
            self.registration_id, self.calendar_sequence
        );
        self.message(
            key,
            "waitlist_promoted",
            Some(self.calendar(Method::Request)),
        )
    }

    /// "Your registration is cancelled"; removes the event from the calendar
    /// when one was sent.
    pub fn cancelled(&self, had_invitation: bool) -> NewMessage {
        let key = format!(
            "registration:{}:cancelled:{}",
            self.registration_id, self.calendar_sequence
        );
        let calendar = had_invitation.then(|| self.calendar(Method::Cancel));
        self.message(key, "registration_cancelled", calendar)
    }

    /// "The session changed", saying what it was before. A registered
    /// person's copy carries the updated invitation (same UID, the session's
    /// bumped SEQUENCE); a waitlisted person holds no invitation to update.
    pub fn updated(&self, before: &Session, has_invitation: bool) -> NewMessage {
        let now = self.session;
        let key = format!(
            "registration:{}:session-update:{}",
            self.registration_id, now.sequence
        );
        let calendar = has_invitation.then(|| self.calendar(Method::Request));
        let mut msg = self.message(key, "session_updated", calendar);
        add(
            &mut msg.context,
            json!({
                "invitation": has_invitation,
                "time_changed": (before.starts_at, before.ends_at) != (now.starts_at, now.ends_at),
                "previous_when": before.when(),
                "title_changed": before.title != now.title,
                "previous_title": before.title,
                "join_url_changed": before.join_url != now.join_url,
                "description_changed": before.description != now.description,
            }),
        );
        msg
    }

    /// "The session is cancelled", with the organizer's reason; removes the
    /// event from the calendar of a registered person.
    pub fn session_cancelled(&self, reason: &str, has_invitation: bool) -> NewMessage {
        let key = format!(
            "registration:{}:session-cancelled:{}",
            self.registration_id, self.session.sequence
        );
        let calendar = has_invitation.then(|| self.calendar(Method::Cancel));
        let mut msg = self.message(key, "session_cancelled", calendar);
        add(
            &mut msg.context,
            json!({
                "invitation": has_invitation,
                "reason": reason,
                "sessions_url": self.public_url.join("/"),
            }),
        );
        msg
    }
}

/// Adds `extra`'s fields to a message context.
fn add(context: &mut serde_json::Value, extra: serde_json::Value) {
    if let (Some(context), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDateTime};

    use super::*;
    use crate::mail::render::EmailTemplates;

    fn at(rfc3339: &str) -> NaiveDateTime {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().naive_utc()
    }

    fn series() -> Series {
        Series {
            id: 1,
            slug: "jam".into(),
            kind: "webinar".into(),
            title: "Workforce Solutions Jam".into(),
            description: String::new(),
            timezone: "America/New_York".into(),
            start_time: "13:00".into(),
            duration_minutes: 60,
            rule: "FREQ=MONTHLY;BYDAY=3TU".into(),
            capacity: 100,
            join_url: "https://zoom.us/j/1".into(),
            organizer_name: "Jam Team".into(),
            organizer_email: "jam@convene.test".into(),
            created_at: at("2026-11-01T00:00:00Z"),
            updated_at: at("2026-11-01T00:00:00Z"),
            edited_fields: String::new(),
            baseline: None,
            list_slug: None,
            invitations: String::new(),
            reminders: String::new(),
            recurring: true,
            origin: "config".into(),
        }
    }

    fn session() -> Session {
        Session {
            id: 7,
            series_id: 1,
            uid: "abc@convene.test".into(),
            title: "Workforce Solutions Jam".into(),
            description: "Retention that works.".into(),
            starts_at: at("2026-12-15T18:00:00Z"),
            ends_at: at("2026-12-15T19:00:00Z"),
            timezone: "America/New_York".into(),
            capacity: 100,
            join_url: "https://zoom.us/j/1".into(),
            status: "scheduled".into(),
            sequence: 0,
            occurrence_date: None,
            cancel_reason: None,
            created_at: at("2026-11-01T00:00:00Z"),
            updated_at: at("2026-11-01T00:00:00Z"),
        }
    }

    fn letter<'a>(session: &'a Session, series: &'a Series, url: &'a PublicUrl) -> Letter<'a> {
        Letter {
            public_url: url,
            session,
            series,
            registration_id: 3,
            token: "tok".into(),
            first_name: "Ada",
            last_name: "Lovelace",
            email: "ada@example.org",
            calendar_sequence: 1,
        }
    }

    #[test]
    fn a_reschedule_notice_gives_the_new_and_the_old_time_and_renders_in_strict_mode() {
        let (before, series, url) = (
            session(),
            series(),
            PublicUrl::parse("http://x.test").unwrap(),
        );
        let after = Session {
            starts_at: at("2026-12-16T19:00:00Z"),
            ends_at: at("2026-12-16T20:30:00Z"),
            sequence: 1,
            ..before.clone()
        };
        let templates = EmailTemplates::load().unwrap();
        let registered = letter(&after, &series, &url).updated(&before, true);
        assert_eq!(registered.key, "registration:3:session-update:1");
        let calendar = registered.calendar.as_ref().expect("an updated invitation");
        assert_eq!(calendar.method, Method::Request);
        assert_eq!(calendar.events[0].sequence, 2, "session 1 + registration 1");
        let (subject, text, html) = templates
            .render(registered.template, &registered.context)
            .expect("renders");
        assert!(subject.starts_with("New time: "), "{subject}");
        assert!(
            text.contains(&format!("New time: {}", after.when())),
            "{text}"
        );
        assert!(
            text.contains(&format!("It was:   {}", before.when())),
            "{text}"
        );
        assert!(text.contains("Join: https://zoom.us/j/1"), "{text}");
        assert!(!text.contains("\n\n\n"), "no runs of blank lines:\n{text}");
        assert!(html.contains("<s>"), "{html}");

        let waitlisted = letter(&after, &series, &url).updated(&before, false);
        assert!(waitlisted.calendar.is_none(), "no invitation to update");
        let (_, text, _) = templates
            .render(waitlisted.template, &waitlisted.context)
            .expect("renders");
        assert!(text.contains("still on the waitlist"), "{text}");
        assert!(!text.contains("zoom.us"), "no join link while waitlisted");
    }

    #[test]
    fn a_change_of_details_names_the_old_title_and_shows_the_new_description() {
        let (before, series, url) = (
            session(),
            series(),
            PublicUrl::parse("http://x.test").unwrap(),
        );
        let after = Session {
            title: "National virtual meeting".into(),
            description: "All states together.".into(),
            join_url: "https://zoom.us/j/2".into(),
            sequence: 1,
            ..before.clone()
        };
        let msg = letter(&after, &series, &url).updated(&before, true);
        let (subject, text, _) = EmailTemplates::load()
            .unwrap()
            .render(msg.template, &msg.context)
            .expect("renders");
        assert!(
            subject.starts_with("Updated: National virtual meeting"),
            "{subject}"
        );
        assert!(
            text.contains("It was called: Workforce Solutions Jam"),
            "{text}"
        );
        assert!(
            text.contains("New join link: https://zoom.us/j/2"),
            "{text}"
        );
        assert!(text.contains("All states together."), "{text}");
    }

    #[test]
    fn a_session_cancellation_gives_the_reason_and_cancels_the_invitation() {
        let (before, series, url) = (
            session(),
            series(),
            PublicUrl::parse("http://x.test").unwrap(),
        );
        let after = Session {
            status: "cancelled".into(),
            sequence: 1,
            ..before
        };
        let templates = EmailTemplates::load().unwrap();
        let msg = letter(&after, &series, &url).session_cancelled("A federal holiday.", true);
        assert_eq!(msg.key, "registration:3:session-cancelled:1");
        assert_eq!(
            msg.calendar.as_ref().map(|c| c.method),
            Some(Method::Cancel)
        );
        let (subject, text, html) = templates.render(msg.template, &msg.context).unwrap();
        assert!(subject.starts_with("Cancelled: "), "{subject}");
        assert!(text.contains("A federal holiday."), "{text}");
        assert!(text.contains("removes it from your calendar"), "{text}");
        assert!(html.contains("A federal holiday."), "{html}");
        let waitlisted = letter(&after, &series, &url).session_cancelled("Snow.", false);
        assert!(waitlisted.calendar.is_none());
        let (_, text, _) = templates
            .render(waitlisted.template, &waitlisted.context)
            .unwrap();
        assert!(text.contains("on the waitlist"), "{text}");
    }
}
