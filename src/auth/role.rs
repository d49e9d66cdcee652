//! Who may do what, by least privilege. No I/O: the cohorts a facilitator
//! runs are looked up by `echo::facilitators`, which asks `on_cohort` or
//! `on_session` here; every other route asks `allows`.
//!
//! The rule for a refusal: a role that may never do a thing gets 403; a
//! facilitator asking after a cohort they do not run (or anything in it)
//! gets the same 404 as for one that does not exist, so its existence is
//! not confirmed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and the audit log.
    Admin,
    /// The Jam (series, sessions, registrations, lineups, lists, proposals,
    /// the outbox, reports); reads every cohort and assigns facilitators.
    Organizer,
    /// The ECHO cohorts they are assigned to, and nothing of the Jam.
    Facilitator,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read the Jam's organizer data: registrants, lineups, proposals,
    /// the outbox, series and their reports.
    Read,
    /// Change it.
    Organize,
    /// Read a cohort: its sessions, applications, cases, attendance,
    /// completion and materials.
    SeeCohort,
    /// Keep a session's records: its attendance and materials.
    Record,
    /// Change a cohort: create one, its settings and sessions, decide its
    /// applications, review its cases.
    Facilitate,
    /// Assign facilitators to cohorts.
    Assign,
    /// Users and the audit log.
    Admin,
}

/// What a role may do with one cohort (or one session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// 403: the role may not do this at all.
    Forbidden,
    /// 404: not one of the facilitator's cohorts.
    Hidden,
}

impl Need {
    /// What this need asks of a Jam session's data (its attendance and
    /// materials are the Jam's, like its registrants).
    fn on_jam(self) -> Need {
        match self {
            Need::SeeCohort => Need::Read,
            Need::Record => Need::Organize,
            // Not a cohort's: nothing a facilitator runs there.
            Need::Facilitate => Need::Admin,
            other => other,
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Organizer => "organizer",
            Role::Facilitator => "facilitator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "admin" => Some(Role::Admin),
            "organizer" => Some(Role::Organizer),
            "facilitator" => Some(Role::Facilitator),
            _ => None,
        }
    }

    /// Whether the role may ever meet `need` (a facilitator's cohort needs
    /// are then narrowed to their cohorts by `on_cohort`).
    pub fn allows(self, need: Need) -> bool {
        use Need::*;
        match self {
            Role::Admin => true,
            Role::Organizer => matches!(need, Read | Organize | SeeCohort | Record | Assign),
            Role::Facilitator => matches!(need, SeeCohort | Record | Facilitate),
        }
    }

    /// `need` on one cohort; `runs_it`: the caller is one of its
    /// facilitators.
    pub fn on_cohort(self, need: Need, runs_it: bool) -> Verdict {
        if !self.allows(need) {
            Verdict::Forbidden
        } else if self == Role::Facilitator && !runs_it {
            Verdict::Hidden
        } else {
            Verdict::Allowed
        }
    }

    /// `need` on one session: `cohort` is `Some(runs_it)` for a cohort's
    /// session, `None` for a Jam session.
    pub fn on_session(self, need: Need, cohort: Option<bool>) -> Verdict {
        match cohort {
            Some(runs_it) => self.on_cohort(need, runs_it),
            None if self.allows(need.on_jam()) => Verdict::Allowed,
            None => Verdict::Forbidden,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::parse(s)
            .ok_or_else(|| format!("`{s}` is not a role: admin, organizer or facilitator"))
    }
}

/// Who is asking, as the checks need it (copied into database closures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;
    use Need::*;
    use Verdict::*;

    #[test]
    fn the_role_matrix() {
        let needs = [Read, Organize, SeeCohort, Record, Facilitate, Assign, Admin];
        let table = [
            (Role::Admin, [true, true, true, true, true, true, true]),
            (
                Role::Organizer,
                [true, true, true, true, false, true, false],
            ),
            (
                Role::Facilitator,
                [false, false, true, true, true, false, false],
            ),
        ];
        for (role, expected) in table {
            let got = needs.map(|n| role.allows(n));
            assert_eq!(got, expected, "{role:?}");
        }
        assert_eq!(Role::parse(" organizer"), Some(Role::Organizer));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn facilitators_reach_only_the_cohorts_they_run_and_nothing_of_the_jam() {
        // (role, need, on a cohort they run, on another cohort, on a Jam session)
        let table = [
            (Role::Facilitator, SeeCohort, Allowed, Hidden, Forbidden),
            (Role::Facilitator, Record, Allowed, Hidden, Forbidden),
            (Role::Facilitator, Facilitate, Allowed, Hidden, Forbidden),
            (Role::Facilitator, Read, Forbidden, Forbidden, Forbidden),
            (Role::Organizer, SeeCohort, Allowed, Allowed, Allowed),
            (Role::Organizer, Record, Allowed, Allowed, Allowed),
            (Role::Organizer, Facilitate, Forbidden, Forbidden, Forbidden),
            (Role::Admin, Facilitate, Allowed, Allowed, Allowed),
        ];
        for (role, need, runs, other, jam) in table {
            assert_eq!(
                [
                    role.on_session(need, Some(true)),
                    role.on_session(need, Some(false)),
                    role.on_session(need, None)
                ],
                [runs, other, jam],
                "{role:?} {need:?}"
            );
        }
    }
}
