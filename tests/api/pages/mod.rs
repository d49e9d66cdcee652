//! The public pages answer what a visitor looks for: the time in words and
//! in every US zone (times.rs), what a session is about first (topic.rs).

mod times;
mod topic;
