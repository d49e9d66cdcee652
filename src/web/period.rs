//! The period a report is asked for (`?from=&to=`, UTC dates): the
//! attendance measures and the feedback reports read it alike.

use chrono::{Months, NaiveDate, NaiveDateTime, NaiveTime};

use crate::error::ApiError;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// `YYYY-MM-DD` (UTC), included; a year before `to` when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (UTC), excluded; now when absent.
    pub to: Option<String>,
}

fn day(name: &str, value: &str) -> Result<NaiveDateTime, ApiError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{value}` is not a date like 2026-01-31"))
        .and_then(crate::calendar::schedule::sane_date)
        .map(|d| d.and_time(NaiveTime::MIN))
        .map_err(|message| ApiError::fields(vec![(name.into(), message)]))
}

impl RangeQuery {
    /// `[from, to)`: by default the year up to `now`, and `ahead` after it
    /// when no end is given (422 naming the field for a bad date).
    pub fn period(
        &self,
        now: NaiveDateTime,
        ahead: Months,
    ) -> Result<(NaiveDateTime, NaiveDateTime), ApiError> {
        let to = match &self.to {
            Some(v) => day("to", v)?,
            None => now.checked_add_months(ahead).unwrap_or(now),
        };
        let anchor = if self.to.is_some() { to } else { now };
        let from = match &self.from {
            Some(v) => day("from", v)?,
            None => anchor - chrono::Duration::days(365),
        };
        Ok((from, to))
    }
}

/// A download's file name for a period: `<prefix>-<from>-to-<to>.csv`.
pub fn csv_name(prefix: &str, from: NaiveDateTime, to: NaiveDateTime) -> String {
    format!(
        "{prefix}-{}-to-{}.csv",
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    )
}
