//! A report's people merged by e-mail as its rows arrive.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::Attendee;

/// The attendees of a report, merged by e-mail as rows arrive.
#[derive(Default)]
pub struct Roster {
    index: HashMap<String, usize>,
    attendees: Vec<Attendee>,
}

impl Roster {
    /// Merges a row into the attendee with the same e-mail: earliest join,
    /// latest leave, minutes summed, joins counted, the highest role.
    pub fn add(&mut self, row: Attendee) {
        let Some(&i) = self.index.get(&row.email) else {
            self.index.insert(row.email.clone(), self.attendees.len());
            self.attendees.push(row);
            return;
        };
        let a = &mut self.attendees[i];
        if a.name.is_empty() {
            a.name = row.name;
        }
        a.attended |= row.attended;
        a.first_join = earliest(a.first_join, row.first_join);
        a.last_leave = a.last_leave.max(row.last_leave);
        a.minutes = a.minutes.saturating_add(row.minutes);
        a.joins += row.joins;
        a.role = a.role.max(row.role);
        for (k, v) in row.extra {
            a.extra.entry(k).or_insert(v);
        }
    }

    /// People so far.
    pub fn len(&self) -> usize {
        self.attendees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attendees.is_empty()
    }

    pub fn into_vec(self) -> Vec<Attendee> {
        self.attendees
    }
}

fn earliest(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::at;
    use super::super::Role;
    use super::*;

    fn row(email: &str, join: &str, leave: &str, minutes: u32) -> Attendee {
        Attendee {
            email: email.into(),
            name: String::new(),
            attended: true,
            first_join: Some(at(join)),
            last_leave: Some(at(leave)),
            minutes,
            joins: 1,
            role: Role::Attendee,
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn rows_for_one_address_merge_into_one_attendee() {
        let mut roster = Roster::default();
        roster.add(row(
            "a@x.org",
            "2025-03-22 19:30:00",
            "2025-03-22 19:40:00",
            10,
        ));
        roster.add(row(
            "b@x.org",
            "2025-03-22 19:00:00",
            "2025-03-22 20:00:00",
            60,
        ));
        roster.add(row(
            "a@x.org",
            "2025-03-22 19:05:00",
            "2025-03-22 19:10:00",
            5,
        ));
        let all = roster.into_vec();
        assert_eq!(all.len(), 2, "one attendee per address");
        let a = &all[0];
        assert_eq!(
            a.first_join,
            Some(at("2025-03-22 19:05:00")),
            "earliest join"
        );
        assert_eq!(
            a.last_leave,
            Some(at("2025-03-22 19:40:00")),
            "latest leave"
        );
        assert_eq!(
            (a.minutes, a.joins),
            (15, 2),
            "minutes summed, joins counted"
        );
    }
}
