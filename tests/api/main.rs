//! Integration tests: each boots the real application on port 0 with its own
//! database (SQLite, or PostgreSQL when CONVENE_TEST_DATABASE_URL is set)
//! and a real SMTP server in-process, and drives it over HTTP.

mod archive;
mod attendance;
mod attendance_formats;
mod auth;
mod cli;
mod db;
mod docs;
mod echo;
mod echo_cases;
mod echo_completion;
mod echo_review;
mod evaluations;
mod feedback;
mod feeds;
mod follow_ups;
mod health;
mod helpers;
mod hygiene;
mod idle;
mod interest;
mod lifecycle;
mod lineup;
mod links;
mod list_import;
mod lists;
mod mail;
mod organizer_pages;
mod pages;
mod past;
mod people;
mod questions;
mod registrants_message;
mod registration;
mod registrations;
mod reports;
mod roles;
mod scheduler;
mod series;
mod series_create;
mod sessions;
mod strangers;
mod working_groups;
