//! The completion rule, a plain function: how many of a cohort's held
//! sessions a person needs at its threshold, and where attending what they
//! did (with what is still ahead) leaves them.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::echo::cohorts::EchoSession;
use crate::series::model::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Attended at least the sessions needed.
    Completed,
    /// Not yet, but the sessions ahead are enough to get there.
    OnTrack,
    /// Even attending every session ahead would not be enough.
    CannotComplete,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::OnTrack => "on_track",
            Self::CannotComplete => "cannot_complete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Completed => "Completed",
            Self::OnTrack => "On track",
            Self::CannotComplete => "Cannot complete",
        }
    }
}

/// One of a cohort's sessions, as completion sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    pub session_id: i64,
    /// A cancelled session counts for nothing: not in the total, and
    /// attendance recorded for it is not counted.
    pub cancelled: bool,
    /// It has ended.
    pub held: bool,
}

impl Meeting {
    /// The cohort's sessions as of `now`.
    pub fn of(sessions: &[(Session, EchoSession)], now: NaiveDateTime) -> Vec<Meeting> {
        sessions
            .iter()
            .map(|(s, _)| Meeting {
                session_id: s.id,
                cancelled: s.is_cancelled(),
                held: s.ends_at <= now,
            })
            .collect()
    }
}

/// One person's standing in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Sessions (not cancelled) they attended.
    pub attended: u32,
    /// Sessions (not cancelled) that have ended.
    pub held: u32,
    /// Sessions in the cohort, cancelled ones left out.
    pub total: u32,
    /// Sessions to attend to complete: `completion_percent` of `total`,
    /// rounded up.
    pub needed: u32,
    pub status: Status,
}

/// How many of `total` sessions `percent` % is, rounded up: 80 % of 12
/// is 9.6, so 10.
pub fn needed(percent: i32, total: u32) -> u32 {
    let percent = u64::from(percent.clamp(0, 100).unsigned_abs());
    (percent * u64::from(total)).div_ceil(100) as u32
}

/// Where someone who attended the sessions `attended` stands in a cohort
/// of `meetings` with a threshold of `percent`. A session still ahead that
/// they have not attended yet is one they still can; a cohort left with no
/// session (all cancelled) cannot be completed.
pub fn assess(percent: i32, meetings: &[Meeting], attended: &HashSet<i64>) -> Progress {
    let counted = || meetings.iter().filter(|m| !m.cancelled);
    let total = counted().count() as u32;
    let held = counted().filter(|m| m.held).count() as u32;
    let came = counted()
        .filter(|m| attended.contains(&m.session_id))
        .count() as u32;
    let ahead = counted()
        .filter(|m| !m.held && !attended.contains(&m.session_id))
        .count() as u32;
    let needed = needed(percent, total);
    let status = if total > 0 && came >= needed {
        Status::Completed
    } else if total > 0 && came + ahead >= needed {
        Status::OnTrack
    } else {
        Status::CannotComplete
    };
    Progress {
        attended: came,
        held,
        total,
        needed,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `n` sessions, the first `held` of them over, those in `cancelled`
    /// (1-based) called off; ids are 1..=n.
    fn meetings(n: i64, held: i64, cancelled: &[i64]) -> Vec<Meeting> {
        (1..=n)
            .map(|id| Meeting {
                session_id: id,
                cancelled: cancelled.contains(&id),
                held: id <= held,
            })
            .collect()
    }

    fn came(ids: &[i64]) -> HashSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn the_sessions_needed_are_rounded_up() {
        assert_eq!(needed(80, 12), 10, "9.6 sessions means 10");
        assert_eq!(needed(80, 10), 8, "exactly 8");
        assert_eq!(needed(80, 6), 5, "4.8 means 5");
        assert_eq!(needed(75, 4), 3);
        assert_eq!(needed(100, 7), 7);
        assert_eq!(needed(1, 7), 1, "any attendance at all");
        assert_eq!(needed(80, 0), 0);
        assert_eq!(needed(80, 60), 48);
    }

    #[test]
    fn attending_enough_sessions_completes_even_before_the_end() {
        let p = assess(
            80,
            &meetings(12, 10, &[]),
            &came(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        );
        assert_eq!(
            p,
            Progress {
                attended: 10,
                held: 10,
                total: 12,
                needed: 10,
                status: Status::Completed
            }
        );
    }

    #[test]
    fn one_short_with_a_session_ahead_is_on_track_and_with_none_cannot_complete() {
        let nine = came(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let ahead = assess(80, &meetings(12, 11, &[]), &nine);
        assert_eq!((ahead.needed, ahead.status), (10, Status::OnTrack));
        let over = assess(80, &meetings(12, 12, &[]), &nine);
        assert_eq!(
            (over.attended, over.held, over.status),
            (9, 12, Status::CannotComplete),
            "9.6 is not rounded down to 9"
        );
    }

    #[test]
    fn missing_too_many_sessions_means_cannot_complete_while_some_remain() {
        // 12 sessions, 10 needed: missing 3 of the first 6 leaves at most 9.
        let p = assess(80, &meetings(12, 6, &[]), &came(&[1, 2, 3]));
        assert_eq!(
            (p.attended, p.held, p.status),
            (3, 6, Status::CannotComplete)
        );
        // Missing 2 leaves exactly 10.
        let p = assess(80, &meetings(12, 6, &[]), &came(&[1, 2, 3, 4]));
        assert_eq!(p.status, Status::OnTrack);
    }

    #[test]
    fn cancelled_sessions_leave_the_total_and_their_attendance_does_not_count() {
        // 12 sessions, 2 cancelled: 10 left, 8 needed.
        let m = meetings(12, 6, &[3, 9]);
        let p = assess(80, &m, &came(&[1, 2, 3, 4, 5, 6]));
        assert_eq!(
            (p.attended, p.held, p.total, p.needed),
            (5, 5, 10, 8),
            "session 3 was cancelled: not held, not attended"
        );
        // 5 attended, 5 ahead (7, 8, 10, 11, 12): 10 within reach.
        assert_eq!(p.status, Status::OnTrack);
        let p = assess(80, &m, &came(&[1, 2]));
        // 2 + 5 ahead = 7 < 8.
        assert_eq!(p.status, Status::CannotComplete);
    }

    #[test]
    fn a_session_attended_before_it_ended_counts_once() {
        // Marked at check-in during session 4, which has not ended.
        let p = assess(100, &meetings(4, 3, &[]), &came(&[1, 2, 3, 4]));
        assert_eq!((p.attended, p.held, p.status), (4, 3, Status::Completed));
        let p = assess(100, &meetings(4, 3, &[]), &came(&[1, 2, 4]));
        assert_eq!(p.status, Status::CannotComplete, "session 3 was missed");
    }

    #[test]
    fn nothing_held_yet_is_on_track_and_attendance_of_other_sessions_is_ignored() {
        let p = assess(80, &meetings(6, 0, &[]), &came(&[99]));
        assert_eq!(
            p,
            Progress {
                attended: 0,
                held: 0,
                total: 6,
                needed: 5,
                status: Status::OnTrack
            }
        );
    }

    proptest! {
        #[test]
        fn needed_is_the_least_whole_number_of_sessions_at_the_threshold(
            percent in 1i32..=100,
            total in 0u32..=60,
        ) {
            let n = needed(percent, total);
            let exact = |k: u32| u64::from(k) * 100 >= percent as u64 * u64::from(total);
            prop_assert!(exact(n), "{n} sessions reach {percent}% of {total}");
            prop_assert!(n == 0 || !exact(n - 1), "{} would do", n - 1);
            prop_assert!(n <= total);
        }

        #[test]
        fn the_status_is_what_attending_every_session_ahead_would_give(
            percent in 1i32..=100,
            shape in proptest::collection::vec(any::<(bool, bool, bool)>(), 0..20),
        ) {
            // Each session: (cancelled, held, attended).
            let meetings: Vec<Meeting> = shape.iter().enumerate().map(|(i, &(cancelled, held, _))| Meeting {
                session_id: i as i64, cancelled, held,
            }).collect();
            let attended: HashSet<i64> = shape.iter().enumerate().filter(|(_, s)| s.2).map(|(i, _)| i as i64).collect();
            let p = assess(percent, &meetings, &attended);
            let live: Vec<_> = shape.iter().filter(|s| !s.0).collect();
            let came = live.iter().filter(|s| s.2).count() as u32;
            let best = live.iter().filter(|s| s.2 || !s.1).count() as u32;
            prop_assert_eq!(p.attended, came);
            prop_assert_eq!(p.total, live.len() as u32);
            let expected = if live.is_empty() {
                Status::CannotComplete
            } else if came >= p.needed {
                Status::Completed
            } else if best >= p.needed {
                Status::OnTrack
            } else {
                Status::CannotComplete
            };
            prop_assert_eq!(p.status, expected);
        }
    }

    #[test]
    fn a_cohort_with_every_session_cancelled_cannot_be_completed() {
        let p = assess(80, &meetings(3, 1, &[1, 2, 3]), &came(&[1]));
        assert_eq!(
            (p.total, p.needed, p.status),
            (0, 0, Status::CannotComplete)
        );
    }
}
