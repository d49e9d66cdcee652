//! The e-mails a registration sends, as outbox messages.

use serde_json::json;

use crate::calendar::ics::{Method, Party};
use crate::config::PublicUrl;
use crate::mail::{CalendarPart, NewMessage};
use crate::series::{Series, Session};

/// Everything a registration e-mail talks about.
pub struct Letter<'a> {
    pub public_url: &'a PublicUrl,
    pub session: &'a Session,
    pub series: &'a Series,
    pub registration_id: i64,
    pub token: &'a str,
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
}
