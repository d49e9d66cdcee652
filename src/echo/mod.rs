//! The Workforce ECHO: participants bring a workforce case from their
//! behavioral-health organization to a cohort for discussion. This folder
//! holds the pure rules the case workflow calls: the de-identification
//! screen, the attachment check and the facilitators' rich text.

pub mod attachment;
pub mod richtext;
pub mod screen;
