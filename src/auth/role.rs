//! Who may do what. No I/O.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users and the audit log.
    Admin,
    /// Series, sessions, registrations, lineups, the mailing list.
    Organizer,
    /// ECHO cohorts and cases; read-only elsewhere.
    Facilitator,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Look at organizer data (any role).
    Read,
    /// Change series, sessions, registrations, lineups, lists.
    Organize,
    /// Change ECHO cohorts and cases.
    Facilitate,
    /// Users and the audit log.
    Admin,
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

    pub fn allows(self, need: Need) -> bool {
        matches!(
            (self, need),
            (Role::Admin, _)
                | (_, Need::Read)
                | (Role::Organizer, Need::Organize)
                | (Role::Facilitator, Need::Facilitate)
        )
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::parse(s)
            .ok_or_else(|| format!("`{s}` is not a role: admin, organizer or facilitator"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_matrix() {
        use Need::*;
        let table = [
            (Role::Admin, [true, true, true, true]),
            (Role::Organizer, [true, true, false, false]),
            (Role::Facilitator, [true, false, true, false]),
        ];
        for (role, expected) in table {
            let got = [Read, Organize, Facilitate, Admin].map(|n| role.allows(n));
            assert_eq!(got, expected, "{role:?}");
        }
        assert_eq!(Role::parse(" organizer"), Some(Role::Organizer));
        assert_eq!(Role::parse("root"), None);
    }
}
