//! Attendance: who came to a session, read from the reports Zoom and Teams
//! export (or a plain CSV). This first step only parses; importing into the
//! database comes later (issue #6).

pub mod parse;
