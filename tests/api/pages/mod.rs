//! The public pages answer what a visitor looks for: the time in words and
//! in every US zone (times.rs), what a session is about first (topic.rs),
//! the listing and session pages kept a moment with their ETag (kept.rs),
//! and forms as people use them (forms.rs, required.rs).

mod case_text;
mod forms;
mod kept;
mod required;
mod times;
mod topic;
