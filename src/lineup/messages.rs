//! The e-mails to a presenter, as outbox messages: the invitation to
//! present (with accept and decline links), its one reminder, the calendar
//! invitation on accepting, and the thank-you on declining.

use serde_json::json;

use crate::calendar::ics::{Method, Party};
use crate::config::PublicUrl;
use crate::lineup::slot::{PrepCall, Slot};
use crate::mail::{CalendarPart, NewMessage};
use crate::series::model::{Series, Session};

/// Everything a presenter e-mail talks about.
pub struct Letter<'a> {
    pub public_url: &'a PublicUrl,
    pub slot: &'a Slot,
    pub session: &'a Session,
    pub series: &'a Series,
}

impl Letter<'_> {
    fn link(&self, answer: &str) -> String {
        let token = self
            .slot
            .response_token_sealed
            .as_deref()
            .map(crate::web::links::placeholder)
            .unwrap_or_default();
        self.public_url.join(&format!("/present/{token}/{answer}"))
    }

    fn context(&self) -> serde_json::Value {
        let (s, slot) = (self.session, self.slot);
        let expires = slot
            .token_expires_at
            .map(|at| {
                at.and_utc()
                    .with_timezone(&s.tz())
                    .format("%A, %B %-d, %Y")
                    .to_string()
            })
            .unwrap_or_default();
        json!({
            "name": slot.name,
            "role": slot.role,
            "talk_title": slot.talk_title,
            "session_title": s.title,
            "series_title": self.series.title,
            "description": s.description,
            "when": s.when(),
            "timezone": s.timezone,
            "other_zones": s.other_zones(),
            "starts_at": s.starts_machine(),
            "join_url": s.join_url,
            "session_url": self.public_url.join(&format!("/sessions/{}", s.id)),
            "accept_url": self.link("accept"),
            "decline_url": self.link("decline"),
            "expires": expires,
            "organizer_name": self.series.organizer_name,
            "organizer_email": self.series.organizer_email,
            "updated": false,
            "before": "",
        })
    }

    fn message(&self, key: String, template: &'static str) -> NewMessage {
        NewMessage {
            key,
            template,
            recipient: self.slot.email.clone(),
            context: self.context(),
            calendar: None,
        }
    }

    /// The `n`-th invitation to present (1 for the first, more on resends).
    pub fn invitation(&self, n: i32) -> NewMessage {
        self.message(
            format!("lineup:{}:invitation:{n}", self.slot.id),
            "presenting_invitation",
        )
    }

    /// An invitation still unanswered when its session changed: the
    /// invitation again, saying what moved (its links still work), or, for
    /// a cancelled session, the cancellation without a calendar part (the
    /// presenter never held the event).
    pub fn invitation_changed(&self, before: &Session) -> NewMessage {
        let s = self.session;
        if s.is_cancelled() {
            let mut msg = self.message(
                format!("lineup:{}:invitation-cancelled", self.slot.id),
                "presenting_session_changed",
            );
            msg.context["cancelled"] = json!(true);
            msg.context["reason"] = json!(s.cancel_reason.clone().unwrap_or_default());
            return msg;
        }
        let mut msg = self.message(
            format!("lineup:{}:invitation-update:{}", self.slot.id, s.sequence),
            "presenting_invitation",
        );
        msg.context["updated"] = json!(true);
        msg.context["before"] = json!(format!("{}, {}", before.title, before.when()));
        msg
    }

    /// The one reminder of an unanswered invitation.
    pub fn reminder(&self) -> NewMessage {
        self.message(
            format!("lineup:{}:reminder", self.slot.id),
            "presenting_reminder",
        )
    }

    /// "You're presenting", with the session's calendar invitation: the
    /// session's own UID, the presenter as attendee.
    pub fn confirmed(&self) -> NewMessage {
        let (s, slot) = (self.session, self.slot);
        let mut part = format!("You are the {} of this session", slot.role);
        if !slot.talk_title.is_empty() {
            part.push_str(&format!(": {}", slot.talk_title));
        }
        let description = format!("{part}.\n\nJoin: {}\n\n{}", s.join_url, s.description);
        let attendee = Party {
            name: slot.name.clone(),
            email: slot.email.clone(),
        };
        let mut msg = self.message(
            format!("lineup:{}:confirmed:{}", slot.id, slot.invitations_sent),
            "presenting_confirmed",
        );
        msg.calendar = Some(CalendarPart {
            method: Method::Request,
            events: vec![s.calendar_event(self.series, description, Some(attendee), 0)],
        });
        msg
    }

    /// The session a confirmed presenter holds in their calendar changed
    /// (or was cancelled): the updated REQUEST, or the CANCEL, under the
    /// session's UID with its new SEQUENCE.
    pub fn session_changed(&self) -> NewMessage {
        let (s, slot) = (self.session, self.slot);
        let cancelled = s.is_cancelled();
        let description = format!(
            "You are the {} of this session.\n\nJoin: {}\n\n{}",
            slot.role, s.join_url, s.description
        );
        let attendee = Party {
            name: slot.name.clone(),
            email: slot.email.clone(),
        };
        let mut msg = self.message(
            format!("lineup:{}:session-update:{}", slot.id, s.sequence),
            "presenting_session_changed",
        );
        msg.context["cancelled"] = json!(cancelled);
        msg.context["reason"] = json!(s.cancel_reason.clone().unwrap_or_default());
        msg.calendar = Some(CalendarPart {
            method: if cancelled {
                Method::Cancel
            } else {
                Method::Request
            },
            events: vec![s.calendar_event(self.series, description, Some(attendee), 0)],
        });
        msg
    }

    /// The prep call's own calendar invitation (its own UID, derived from
    /// the session's), `days_before` the session's local date at the
    /// configured local time; `None` when that moment has passed.
    pub fn prep_call(&self, prep: &PrepCall, now: chrono::NaiveDateTime) -> Option<NewMessage> {
        let (s, slot) = (self.session, self.slot);
        let tz = s.tz();
        let day = s.starts_at_utc().with_timezone(&tz).date_naive()
            - chrono::Duration::days(i64::from(prep.days_before));
        let starts_at = day
            .and_time(prep.time)
            .and_local_timezone(tz)
            .earliest()?
            .with_timezone(&chrono::Utc);
        if starts_at.naive_utc() <= now {
            return None;
        }
        let join_url = if prep.join_url.is_empty() {
            s.join_url.clone()
        } else {
            prep.join_url.clone()
        };
        let summary = format!("Prep call: {}", s.title);
        let mut msg = self.message(
            format!("lineup:{}:prep:{}", slot.id, slot.invitations_sent),
            "presenting_prep_call",
        );
        let when = crate::calendar::display::time_range(starts_at, starts_at + prep.length, tz);
        msg.context["prep_when"] = json!(when);
        msg.context["prep_other_zones"] =
            json!(crate::calendar::display::us_elsewhere(starts_at, tz).unwrap_or_default());
        msg.context["prep_join_url"] = json!(join_url);
        let mut event = s.calendar_event(
            self.series,
            format!("A short call to prepare {}.\n\nJoin: {join_url}", s.title),
            Some(Party {
                name: slot.name.clone(),
                email: slot.email.clone(),
            }),
            0,
        );
        event.uid = format!("prep-{}", s.uid);
        event.summary = summary;
        event.starts_at = starts_at;
        event.ends_at = starts_at + prep.length;
        event.join_url = Some(join_url).filter(|u| !u.is_empty());
        msg.calendar = Some(CalendarPart {
            method: Method::Request,
            events: vec![event],
        });
        Some(msg)
    }

    /// "You are no longer in the lineup", removing the session from the
    /// presenter's calendar (CANCEL, a SEQUENCE above their copy's).
    pub fn withdrawn(&self) -> NewMessage {
        let (s, slot) = (self.session, self.slot);
        let attendee = Party {
            name: slot.name.clone(),
            email: slot.email.clone(),
        };
        let mut msg = self.message(
            format!("lineup:{}:withdrawn", slot.id),
            "presenting_withdrawn",
        );
        msg.calendar = Some(CalendarPart {
            method: Method::Cancel,
            events: vec![s.calendar_event(self.series, s.description.clone(), Some(attendee), 1)],
        });
        msg
    }

    /// "Thank you for letting us know".
    pub fn declined(&self) -> NewMessage {
        self.message(
            format!(
                "lineup:{}:declined:{}",
                self.slot.id, self.slot.invitations_sent
            ),
            "presenting_declined",
        )
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
            sequence: 2,
            occurrence_date: None,
            cancel_reason: None,
            created_at: at("2026-11-01T00:00:00Z"),
            updated_at: at("2026-11-01T00:00:00Z"),
        }
    }

    fn slot() -> Slot {
        Slot {
            id: 4,
            session_id: 7,
            position: 1,
            name: "Grace Hopper".into(),
            email: "grace@example.org".into(),
            role: "presenter".into(),
            talk_title: "Paying peers".into(),
            talk_abstract: String::new(),
            minutes: Some(20),
            bio: "Runs a clinic.".into(),
            levers: "payment".into(),
            status: "invited".into(),
            response_token_hash: Some("h4sh".into()),
            response_token_sealed: Some("5ea1ed".into()),
            token_expires_at: Some(at("2026-11-30T00:00:00Z")),
            invitations_sent: 1,
            invited_at: Some(at("2026-11-16T00:00:00Z")),
            responded_at: None,
            reminded_at: None,
            created_at: at("2026-11-16T00:00:00Z"),
            updated_at: at("2026-11-16T00:00:00Z"),
        }
    }

    #[test]
    fn every_presenter_email_renders_in_strict_mode_and_says_what_it_is() {
        let (session, series, slot) = (session(), series(), slot());
        let url = PublicUrl::parse("http://x.test").unwrap();
        let letter = Letter {
            public_url: &url,
            slot: &slot,
            session: &session,
            series: &series,
        };
        let templates = EmailTemplates::load().unwrap();
        let invitation = letter.invitation(1);
        assert_eq!(invitation.key, "lineup:4:invitation:1");
        let (subject, text, html) = templates
            .render(invitation.template, &invitation.context)
            .expect("renders");
        assert!(
            subject.starts_with("Invitation to present at the Workforce Solutions Jam — "),
            "{subject}"
        );
        // The token is the worker's to open: the letter carries a placeholder.
        assert!(
            text.contains("http://x.test/present/~lk.5ea1ed~/accept"),
            "{text}"
        );
        assert!(
            text.contains("http://x.test/present/~lk.5ea1ed~/decline"),
            "{text}"
        );
        assert!(html.contains("Paying peers"), "{html}");

        let reminder = letter.reminder();
        assert_eq!(reminder.key, "lineup:4:reminder");
        let (subject, _, _) = templates
            .render(reminder.template, &reminder.context)
            .unwrap();
        assert!(subject.contains("invitation to present"), "{subject}");

        let confirmed = letter.confirmed();
        let calendar = confirmed.calendar.as_ref().expect("a calendar invitation");
        assert_eq!(calendar.method, Method::Request);
        assert_eq!(
            calendar.events[0].uid, "abc@convene.test",
            "the session's UID"
        );
        assert_eq!(calendar.events[0].sequence, 2, "the session's SEQUENCE");
        assert_eq!(
            calendar.events[0]
                .attendee
                .as_ref()
                .map(|a| a.email.as_str()),
            Some("grace@example.org")
        );
        templates
            .render(confirmed.template, &confirmed.context)
            .unwrap();
        let declined = letter.declined();
        assert!(declined.calendar.is_none());
        let (_, text, _) = templates
            .render(declined.template, &declined.context)
            .unwrap();
        assert!(text.contains("Thank you"), "{text}");
    }
}
