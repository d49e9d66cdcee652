use chrono::{TimeZone, Utc};

use super::*;

fn known() -> Known<'static> {
    Known {
        lists: vec!["jam", "echo"],
        organizer: Some(("Jam Team".into(), "jam@example.org".into())),
        now: Utc.with_ymd_and_hms(2027, 2, 1, 12, 0, 0).unwrap(),
    }
}

fn one_off(dates: &[&str]) -> NewSeriesBody {
    NewSeriesBody {
        slug: Some("nwc".into()),
        title: Some("National Workforce Conversation".into()),
        timezone: Some("America/New_York".into()),
        kind: Some("one_off".into()),
        dates: dates.iter().map(|d| d.to_string()).collect(),
        duration_minutes: Some("90".into()),
        capacity: Some("500".into()),
        join_url: Some("https://zoom.us/j/1".into()),
        ..NewSeriesBody::default()
    }
}

fn fields(errors: Vec<(String, String)>) -> Vec<String> {
    errors.into_iter().map(|(f, _)| f).collect()
}

#[test]
fn a_one_off_events_dates_are_read_in_its_zone_soonest_first() {
    let new = check(
        &one_off(&["2027-04-14 13:00", "2027-03-10 13:00"]),
        &known(),
    )
    .unwrap();
    let Schedule::OneOff { starts } = new.schedule else {
        panic!("a one-off event");
    };
    assert_eq!(
        starts,
        [
            Utc.with_ymd_and_hms(2027, 3, 10, 18, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 4, 14, 17, 0, 0).unwrap(),
        ]
    );
    assert_eq!(
        (new.organizer_name.as_str(), new.organizer_email.as_str()),
        ("Jam Team", "jam@example.org"),
        "the Jam's organizer when none is given"
    );
    assert_eq!(new.list, None, "no list unless one is chosen");
    assert_eq!(offsets_text(&new.invitations), "21d,2d");
    assert_eq!(offsets_text(&new.reminders), "7d,1d,1h");
}

#[test]
fn a_time_the_clocks_repeat_is_the_first_and_said_so() {
    let new = check(&one_off(&["2027-11-07 01:30"]), &known()).unwrap();
    assert_eq!(
        new.schedule,
        Schedule::OneOff {
            starts: vec![Utc.with_ymd_and_hms(2027, 11, 7, 5, 30, 0).unwrap()]
        },
        "1:30 EDT, the earlier"
    );
    assert_eq!(new.notes.len(), 1, "{:?}", new.notes);
}

#[test]
fn each_bad_date_is_named_by_its_place() {
    let errors = check(
        &one_off(&[
            "2027-01-01 13:00",
            "",
            "2027-03-14 02:30",
            "x",
            "2027-06-01",
        ]),
        &known(),
    )
    .unwrap_err();
    assert_eq!(
        fields(errors),
        ["dates[0]", "dates[2]", "dates[3]", "dates[4]"]
    );
    let none = check(&one_off(&[]), &known()).unwrap_err();
    assert_eq!(fields(none), ["dates"]);
    let many: Vec<String> = (1..=13).map(|d| format!("2027-05-{d:02} 13:00")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        fields(check(&one_off(&many), &known()).unwrap_err()),
        ["dates"]
    );
}

#[test]
fn a_recurring_series_needs_a_rule_and_a_time_the_config_parser_reads() {
    let body = NewSeriesBody {
        kind: Some("recurring".into()),
        rule: Some("FREQ=WEEKLY;BYDAY=WE".into()),
        start_time: Some("12:00".into()),
        dates: vec![],
        ..one_off(&[])
    };
    assert!(check(&body, &known()).is_ok());
    let bad = NewSeriesBody {
        rule: Some("FREQ=YEARLY".into()),
        start_time: None,
        ..body
    };
    assert_eq!(
        fields(check(&bad, &known()).unwrap_err()),
        ["rule", "start_time"]
    );
}

#[test]
fn slugs_are_lowercase_letters_digits_and_dashes() {
    for good in ["nwc", "national-conversation-2027"] {
        assert!(is_slug(good), "{good}");
    }
    for bad in ["", "NWC", "-x", "a b", "a/b", "é", &"x".repeat(61)] {
        assert!(!is_slug(bad), "{bad}");
    }
}
