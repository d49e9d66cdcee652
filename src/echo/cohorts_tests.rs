use super::*;

#[test]
fn the_settings_check_names_the_cohort_that_ends_before_it_starts() {
    let mut settings = crate::config::Settings::defaults().expect("defaults");
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let cohort = crate::config::CohortSettings {
        name: "Cohort 9".into(),
        starts_on: day("2027-03-01"),
        ends_on: day("2027-02-01"),
        rule: None,
        start_time: None,
        duration_minutes: None,
        capacity: None,
        applications_open_on: day("2027-01-01"),
        applications_close_on: day("2027-01-15"),
        completion_percent: 80,
        case_slots: 2,
    };
    assert_eq!(check_all(&settings), Ok(()), "the defaults pass");
    let echo = settings.series.get_mut("echo").expect("the echo series");
    echo.cohorts.insert("cohort-9".into(), cohort);
    let (key, why) = check_all(&settings).expect_err("an end before the start is refused");
    assert_eq!(key, "series.echo.cohorts.cohort-9");
    assert!(!why.is_empty(), "the reason is said");
}
use chrono::{TimeZone, Utc};

fn cohort(rule: &str, from: &str, to: &str) -> NewCohort {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    NewCohort {
        slug: "cohort-3".into(),
        name: "Cohort 3".into(),
        starts_on: d(from),
        ends_on: d(to),
        rule: rule.parse().unwrap(),
        timezone: chrono_tz::America::New_York,
        start_time: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
        duration_minutes: 60,
        capacity: 40,
        join_url: "https://zoom.us/j/1".into(),
        applications_open_on: d(from) - chrono::Duration::days(60),
        applications_close_on: d(from),
        completion_percent: 80,
        case_slots: 2,
    }
}

#[test]
fn a_monthly_cohort_meets_on_its_day_at_the_same_local_time_across_dst() {
    let c = cohort("FREQ=MONTHLY;BYDAY=2TH", "2026-11-01", "2027-04-30");
    let days = dates(&c);
    let text: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        text,
        [
            "2026-11-12",
            "2026-12-10",
            "2027-01-14",
            "2027-02-11",
            "2027-03-11",
            "2027-04-08"
        ]
    );
    let utc = |d: &NaiveDate| schedule::local_to_utc(c.timezone, *d, c.start_time);
    // 15:00 EST is 20:00 UTC; after 2027-03-14, 15:00 EDT is 19:00 UTC.
    assert_eq!(
        utc(&days[4]),
        Utc.with_ymd_and_hms(2027, 3, 11, 20, 0, 0).unwrap()
    );
    assert_eq!(
        utc(&days[5]),
        Utc.with_ymd_and_hms(2027, 4, 8, 19, 0, 0).unwrap()
    );
    assert!(check(&c).is_empty(), "{:?}", check(&c));
}

#[test]
fn a_cohort_includes_its_first_and_last_day() {
    let c = cohort("FREQ=WEEKLY;BYDAY=TH", "2027-01-07", "2027-01-28");
    assert_eq!(dates(&c).len(), 4);
}

#[test]
fn bad_cohorts_are_refused_field_by_field() {
    let mut c = cohort("FREQ=MONTHLY;BYDAY=2TH", "2027-04-30", "2026-11-01");
    c.slug = "Cohort 3".into();
    c.completion_percent = 0;
    c.applications_close_on = c.applications_open_on - chrono::Duration::days(1);
    let fields: Vec<String> = check(&c).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "slug",
            "ends_on",
            "applications_close_on",
            "completion_percent"
        ]
    );
    let none = cohort("FREQ=MONTHLY;BYDAY=2TH", "2027-01-15", "2027-02-10");
    assert_eq!(check(&none)[0].0, "rule", "no second Thursday in that span");
    let daily = cohort(
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "2027-01-01",
        "2027-12-31",
    );
    assert!(check(&daily)[0].1.contains("at most 60"));
}
