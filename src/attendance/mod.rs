//! Attendance: who came to a session, read from the reports Zoom and Teams
//! export (or a plain CSV) and imported whole into the database, marked by
//! hand, measured per session and per series, and charted per series on
//! the organizers' reports page (issue #6). ECHO completion reads it in
//! `echo::completion`.

pub mod charts;
pub mod exports;
pub mod handlers;
pub mod import;
pub mod measures;
pub mod pages;
pub mod parse;
pub mod personal;
pub mod reports;
pub mod store;
