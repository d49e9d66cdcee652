//! What every handler shares: the application state, pages, routes, the
//! boundary's input hygiene and post limits, and private-link tokens.

pub mod hygiene;
pub mod limits;
pub mod links;
pub mod pages;
pub mod routes;
pub mod token;
