//! convene: event and webinar operations — registrations, calendar
//! invitations, reminders, attendance and archives for the Workforce
//! Solutions Jam and the Workforce ECHO.

pub mod api_docs;
pub mod app;
pub mod archive;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod echo;
pub mod error;
pub mod evaluation;
pub mod files;
pub mod interest;
pub mod jobs;
pub mod lineup;
pub mod lists;
pub mod mail;
pub mod organizer;
pub mod people;
pub mod privacy;
pub mod questions;
pub mod registration;
pub mod series;
pub mod storage;
pub mod telemetry;
pub mod templates;
pub mod upload;
pub mod web;

pub use app::Application;
pub use config::Settings;
