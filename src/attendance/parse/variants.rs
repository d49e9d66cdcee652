//! Every report variant the fixtures hold, read whole: the kind told from
//! the content, the date order the file settles, staff apart, and Zoom's
//! own count of viewers matched.

use super::testing::{at, find, read};
use super::{parse, parse_with, DateOrder, Decided, Report, Role, Source};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/attendance/", $name))
    };
}

fn attendees(report: &Report) -> usize {
    let came = |a: &&super::Attendee| a.attended && !a.role.is_staff();
    report.attendees.iter().filter(came).count()
}

fn staff(report: &Report) -> usize {
    report
        .attendees
        .iter()
        .filter(|a| a.role.is_staff())
        .count()
}

#[test]
fn each_fixture_is_told_by_its_content() {
    for (bytes, kind) in [
        (
            &fixture!("zoom_webinar_12h_no_seconds.csv")[..],
            Source::ZoomWebinar,
        ),
        (fixture!("zoom_old_columns.csv"), Source::ZoomWebinar),
        (fixture!("zoom_registration.csv"), Source::ZoomRegistration),
        (
            fixture!("zoom_meeting_participants.csv"),
            Source::ZoomMeeting,
        ),
        (
            fixture!("zoom_meeting_participants_no_block.csv"),
            Source::ZoomMeeting,
        ),
        (fixture!("teams_attendance.csv"), Source::Teams),
        (fixture!("teams_attendance_utf8.csv"), Source::Teams),
        (fixture!("meet_attendance.csv"), Source::Meet),
        (fixture!("plain.csv"), Source::Plain),
    ] {
        assert_eq!(read(bytes).summary.source, kind);
    }
}

/// The file the issue was found with: `Dec 16, 2025 12:58 PM` in the
/// header, host and panelist sections, a panelist who also registered,
/// custom questions, trailing commas.
#[test]
fn a_webinar_report_with_12_hour_times_and_no_seconds_agrees_with_zoom() {
    let report = read(fixture!("zoom_webinar_12h_no_seconds.csv"));
    assert_eq!(report.summary.started_at, Some(at("2025-12-16 12:58:00")));
    assert_eq!(report.summary.meeting_id.as_deref(), Some("87654321098"));
    assert_eq!(report.summary.unique_viewers, Some(3));
    assert_eq!(
        attendees(&report),
        3,
        "Zoom's Unique Viewers: Jane, Kwame and the walk-in"
    );
    assert_eq!(staff(&report), 2, "the host and the panelist");
    let maria = find(&report, "maria.lopez@example.org");
    assert_eq!(
        maria.role,
        Role::Panelist,
        "registered, but a panelist: staff"
    );
    let jane = find(&report, "jane.doe@example.org");
    assert_eq!((jane.minutes, jane.joins), (54, 2));
    assert_eq!(jane.first_join, Some(at("2025-12-16 13:01:00")));
    assert_eq!(jane.last_leave, Some(at("2025-12-16 14:00:00")));
    assert_eq!(
        jane.extra["Which lever of change matters most to you?"],
        "Retention"
    );
    assert_eq!(report.date_order, (DateOrder::MonthFirst, Decided::Default));
}

#[test]
fn a_day_first_24_hour_report_settles_its_own_order() {
    let report = read(fixture!("zoom_day_first_24h.csv"));
    assert_eq!(report.date_order.0, DateOrder::DayFirst);
    assert!(matches!(report.date_order.1, Decided::File(_)));
    assert_eq!(report.summary.started_at, Some(at("2022-08-15 01:00:00")));
    let sam = find(&report, "sam.smith@example.org");
    assert_eq!(sam.first_join, Some(at("2022-08-15 01:27:00")));
    assert_eq!(
        find(&report, "jane.doe@example.org").extra["Registration Time"],
        "03/08/2022 09:12",
        "kept as written"
    );
}

#[test]
fn an_ambiguous_report_is_read_in_the_order_asked_for() {
    let text = String::from_utf8(fixture!("zoom_day_first_24h.csv").to_vec())
        .unwrap()
        .replace("15/08/2022", "12/08/2022");
    let us = parse(text.as_bytes()).unwrap();
    assert_eq!(us.date_order, (DateOrder::MonthFirst, Decided::Default));
    assert_eq!(
        find(&us, "sam.smith@example.org").first_join,
        Some(at("2022-12-08 01:27:00"))
    );
    let uk = parse_with(text.as_bytes(), Some(DateOrder::DayFirst)).unwrap();
    assert_eq!(uk.date_order, (DateOrder::DayFirst, Decided::Asked));
    assert_eq!(
        find(&uk, "sam.smith@example.org").first_join,
        Some(at("2022-08-12 01:27:00"))
    );
    // A file that says otherwise wins over what was asked.
    let file = parse_with(fixture!("zoom_us_12h.csv"), Some(DateOrder::DayFirst)).unwrap();
    assert!(matches!(
        file.date_order,
        (DateOrder::MonthFirst, Decided::File(_))
    ));
}

#[test]
fn a_meeting_report_names_its_host_in_its_block() {
    let report = read(fixture!("zoom_meeting_participants.csv"));
    assert_eq!(report.summary.meeting_id.as_deref(), Some("85712345678"));
    assert_eq!(
        report.summary.topic.as_deref(),
        Some("Workforce ECHO: Session 4")
    );
    assert_eq!(report.summary.started_at, Some(at("2025-12-16 12:58:10")));
    assert_eq!(find(&report, "host@convene.example.org").role, Role::Host);
    assert_eq!((attendees(&report), staff(&report)), (2, 1));
    let jane = find(&report, "jane.doe@example.org");
    assert_eq!((jane.minutes, jane.joins), (56, 2), "a rejoin merged");
    assert_eq!(
        report.summary.without_address, 1,
        "the dial-in, counted apart"
    );
    assert_eq!(jane.extra["Guest"], "Yes");
}

#[test]
fn a_meeting_report_without_its_block_reads_its_participants() {
    let report = read(fixture!("zoom_meeting_participants_no_block.csv"));
    assert_eq!(report.summary.meeting_id, None);
    assert_eq!((attendees(&report), staff(&report)), (2, 0));
    assert_eq!(report.summary.without_address, 1);
    assert_eq!(
        find(&report, "kwame@example.com").first_join,
        Some(at("2025-12-16 13:05:00"))
    );
}

#[test]
fn metadata_that_will_not_read_never_sinks_a_report() {
    let text = String::from_utf8(fixture!("zoom_webinar_12h_no_seconds.csv").to_vec())
        .unwrap()
        .replace("\"Dec 16, 2025 12:58 PM\",67", "sometime on Tuesday,67")
        .replace(
            "Report Generated:,\"Dec 17, 2025 09:14 AM\"",
            "Report Generated:,soon",
        );
    let report = parse(text.as_bytes()).unwrap();
    assert_eq!(report.summary.started_at, None);
    assert_eq!(attendees(&report), 3);
}

#[test]
fn a_hostile_header_costs_its_bytes_once_not_once_per_row() {
    let name = "Q".repeat(1 << 20);
    let mut text = format!("Email,{name}\n");
    for i in 0..2_000 {
        text.push_str(&format!("p{i}@example.org,yes\n"));
    }
    let report = parse(text.as_bytes()).unwrap();
    assert_eq!(report.attendees.len(), 2_000);
    let keys: Vec<_> = report
        .attendees
        .iter()
        .map(|a| a.extra.keys().next().unwrap().clone())
        .collect();
    assert!(keys[0].len() <= 200, "the name is cut: {}", keys[0].len());
    assert!(
        keys.iter().all(|k| std::sync::Arc::ptr_eq(k, &keys[0])),
        "every row shares the one name"
    );
}
