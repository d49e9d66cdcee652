//! Facilitators' side of ECHO cases: the review queue, reviewing a case,
//! the hub's recommendations, reading attachments. (Being built.)

use actix_web::web;

/// The case review routes (API and pages).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
