//! Attendance: who came to a session, read from the reports Zoom and Teams
//! export (or a plain CSV) and imported whole into the database (issue #6;
//! hand check-in, measures and reports come next).

pub mod handlers;
pub mod measures;
pub mod pages;
pub mod parse;
pub mod store;
