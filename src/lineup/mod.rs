//! Presenter lineups: who presents, moderates or sits on the panel of a
//! session, their invitation to present (accept/decline by one-click link,
//! one reminder), and the levers of change a session or talk is about.

pub mod changed;
pub mod domain;
pub mod handlers;
pub mod levers;
pub mod messages;
pub mod pages;
pub mod personal;
pub mod slot;
pub mod store;
