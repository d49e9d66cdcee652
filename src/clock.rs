//! The service's notion of "now". Everything that decides by time (the
//! scheduler, registration, the mail worker's due rows) asks a `Clock`, so
//! tests can start the real application with a manual clock and move it
//! through a month.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    Manual(Mutex<DateTime<Utc>>),
}

impl Clock {
    /// Wall-clock time: what the service runs on.
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// Stands still at `at` until `set` or `advance` moves it.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Source::Manual(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        let t = match &*self.0 {
            Source::System => Utc::now(),
            Source::Manual(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
        };
        // Both databases store microseconds: compare like with like.
        crate::db::truncate_to_micros(t)
    }

    /// `now()` as the databases store it (UTC, no zone).
    pub fn naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Moves a manual clock to `at`; a system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Manual(t) = &*self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(t) = &*self.0 {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            *t += by;
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Source::System => write!(f, "Clock::system"),
            Source::Manual(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        let clock = Clock::manual(t0);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 123_456_000);
        clock.advance(Duration::days(21));
        assert_eq!(clock.now().timestamp(), t0.timestamp() + 21 * 86_400);
        let system = Clock::system();
        let past = DateTime::from_timestamp(1_000_000_000, 0).unwrap();
        system.set(past);
        assert!(system.now() > past, "a system clock ignores set");
    }
}
