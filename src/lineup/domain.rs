//! The lineup's rules, without I/O: roles and statuses, what an answer to
//! an invitation does, when the one reminder is due, and reordering.

use chrono::{Duration, NaiveDateTime};

pub const ROLES: [&str; 3] = ["presenter", "moderator", "panelist"];

/// Added but not yet invited.
pub const DRAFT: &str = "draft";
pub const INVITED: &str = "invited";
pub const CONFIRMED: &str = "confirmed";
pub const DECLINED: &str = "declined";
pub const WITHDRAWN: &str = "withdrawn";

pub fn parse_role(s: &str) -> Result<&'static str, String> {
    let s = s.trim();
    ROLES
        .iter()
        .copied()
        .find(|r| *r == s)
        .ok_or_else(|| format!("`{s}` is not a role: presenter, moderator or panelist"))
}

/// A required line of text (a name) of at most `max` characters, trimmed.
pub fn required_text(s: &str, max: usize) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    optional_line(s, max)
}

/// `optional_text` that must be one line (a title).
pub fn optional_line(s: &str, max: usize) -> Result<String, String> {
    let s = optional_text(s, max)?;
    crate::web::hygiene::one_line(&s)?;
    Ok(s)
}

pub fn optional_text(s: &str, max: usize) -> Result<String, String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(s.to_string())
}

pub fn parse_minutes(m: i64) -> Result<i32, String> {
    if (1..=600).contains(&m) {
        Ok(m as i32)
    } else {
        Err("must be between 1 and 600".into())
    }
}

/// Which answer a presenter gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

impl Answer {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accept" => Some(Answer::Accept),
            "decline" => Some(Answer::Decline),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Accept => "accept",
            Answer::Decline => "decline",
        }
    }
    /// The status it leads to.
    pub fn status(self) -> &'static str {
        match self {
            Answer::Accept => CONFIRMED,
            Answer::Decline => DECLINED,
        }
    }
}

/// What following an accept/decline link comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No such link, or it has expired: a 404.
    Gone,
    /// Already answered (or withdrawn, or the session is over or
    /// cancelled): show where things stand, change and send nothing.
    Settled,
    /// Apply the answer.
    Apply(Answer),
}

/// The link's slot is `status` with a token good until `expires_at`.
pub fn judge(
    status: &str,
    expires_at: Option<NaiveDateTime>,
    session_open: bool,
    answer: Answer,
    now: NaiveDateTime,
) -> Verdict {
    match expires_at {
        Some(at) if at > now => {}
        _ => return Verdict::Gone,
    }
    if status == INVITED && session_open {
        Verdict::Apply(answer)
    } else {
        Verdict::Settled
    }
}

/// Whether an invitation sent at `invited_at` and still unanswered is due
/// its one reminder: after `after`, while its link still works.
pub fn reminder_due(
    status: &str,
    invited_at: Option<NaiveDateTime>,
    reminded_at: Option<NaiveDateTime>,
    expires_at: Option<NaiveDateTime>,
    after: Duration,
    now: NaiveDateTime,
) -> bool {
    status == INVITED
        && reminded_at.is_none()
        && invited_at.is_some_and(|at| at + after <= now)
        && expires_at.is_some_and(|at| at > now)
}

/// The ids in their new order after moving `id` to 1-based `position`
/// (clamped to the lineup).
pub fn reorder(ids: &[i64], id: i64, position: i64) -> Vec<i64> {
    let mut rest: Vec<i64> = ids.iter().copied().filter(|i| *i != id).collect();
    let at = (position.max(1) - 1).min(rest.len() as i64) as usize;
    rest.insert(at, id);
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + h * 3600, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn only_a_live_link_to_an_open_invitation_applies_an_answer() {
        let a = Answer::Accept;
        assert_eq!(
            judge(INVITED, Some(t(10)), true, a, t(1)),
            Verdict::Apply(a)
        );
        assert_eq!(judge(INVITED, Some(t(1)), true, a, t(1)), Verdict::Gone);
        assert_eq!(judge(INVITED, None, true, a, t(1)), Verdict::Gone);
        assert_eq!(
            judge(CONFIRMED, Some(t(10)), true, a, t(1)),
            Verdict::Settled
        );
        assert_eq!(
            judge(DECLINED, Some(t(10)), true, a, t(1)),
            Verdict::Settled
        );
        assert_eq!(
            judge(WITHDRAWN, Some(t(10)), true, a, t(1)),
            Verdict::Settled
        );
        assert_eq!(
            judge(INVITED, Some(t(10)), false, a, t(1)),
            Verdict::Settled
        );
    }

    #[test]
    fn one_reminder_after_the_wait_while_the_link_works() {
        let wait = Duration::days(5);
        let sent = Some(t(0));
        let live = Some(t(24 * 14));
        assert!(!reminder_due(
            INVITED,
            sent,
            None,
            live,
            wait,
            t(24 * 5 - 1)
        ));
        assert!(reminder_due(INVITED, sent, None, live, wait, t(24 * 5)));
        assert!(!reminder_due(
            INVITED,
            sent,
            Some(t(120)),
            live,
            wait,
            t(200)
        ));
        assert!(!reminder_due(CONFIRMED, sent, None, live, wait, t(200)));
        assert!(!reminder_due(
            INVITED,
            sent,
            None,
            Some(t(100)),
            wait,
            t(200)
        ));
        assert!(!reminder_due(DRAFT, None, None, None, wait, t(200)));
    }

    #[test]
    fn moving_a_slot_renumbers_the_rest() {
        assert_eq!(reorder(&[1, 2, 3], 3, 1), vec![3, 1, 2]);
        assert_eq!(reorder(&[1, 2, 3], 1, 2), vec![2, 1, 3]);
        assert_eq!(reorder(&[1, 2, 3], 1, 99), vec![2, 3, 1]);
        assert_eq!(reorder(&[1, 2, 3], 2, 0), vec![2, 1, 3]);
    }

    #[test]
    fn roles_and_texts_are_checked() {
        assert_eq!(parse_role(" panelist"), Ok("panelist"));
        assert!(parse_role("keynote").is_err());
        assert!(required_text("  ", 10).is_err());
        assert!(optional_text("abcdef", 5).is_err());
        assert!(parse_minutes(0).is_err());
        assert_eq!(parse_minutes(20), Ok(20));
    }
}
