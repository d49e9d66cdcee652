//! Time: recurrence rules in a series' own zone (`schedule`) and the
//! iCalendar files that carry sessions into people's calendars (`ics`).

pub mod display;
pub mod ics;
pub mod links;
pub mod schedule;
