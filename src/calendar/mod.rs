//! Time: recurrence rules in a series' own zone (`schedule`) and the
//! iCalendar files that carry sessions into people's calendars (`ics`, with
//! the zone definitions a feed needs from `vtimezone`).

pub mod display;
pub mod ics;
pub mod links;
pub mod schedule;
pub mod vtimezone;
