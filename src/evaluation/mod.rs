pub mod report;
pub mod since;
