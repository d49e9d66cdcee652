//! Attendance: who came to a session, read from the reports Zoom and Teams
//! export (or a plain CSV) and imported whole into the database, marked by
//! hand, and measured per session and per series (issue #6; the reports
//! page comes next). ECHO completion reads it in `echo::completion`.

pub mod handlers;
pub mod measures;
pub mod pages;
pub mod parse;
pub mod store;
