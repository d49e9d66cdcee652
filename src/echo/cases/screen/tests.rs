use super::*;
use proptest::prelude::*;

fn one(text: &str) -> Vec<(Kind, String, usize, usize)> {
    screen(&[("case", text)])
        .into_iter()
        .map(|f| (f.kind, f.excerpt, f.line, f.column))
        .collect()
}

fn kinds(text: &str) -> Vec<Kind> {
    one(text).into_iter().map(|(k, ..)| k).collect()
}

fn assert_found_once(text: &str, kind: Kind, excerpt: &str) {
    let found = one(text);
    assert_eq!(
        found.len(),
        1,
        "{text:?} should give one finding: {found:?}"
    );
    assert_eq!(found[0].0, kind, "{text:?}");
    assert_eq!(found[0].1, excerpt, "{text:?}");
}

fn assert_clean(text: &str) {
    let found = screen(&[("case", text)]);
    assert!(found.is_empty(), "{text:?} should pass, found {found:?}");
}

// --- e-mail

#[test]
fn an_email_address_is_found_and_masked() {
    assert_eq!(
        one("Reach Jane at jane.doe@example.org today."),
        vec![(Kind::EmailAddress, "j***@example.org".into(), 1, 15)]
    );
}

// --- phone numbers

#[test]
fn phone_numbers_in_every_common_form_are_found() {
    for phone in [
        "555-123-4567",
        "(555) 123-4567",
        "(555)123-4567",
        "555.123.4567",
        "555 123 4567",
        "+1 555 123 4567",
        "+1 (555) 123-4567",
        "1-555-123-4567",
        "5551234567",
        "+15551234567",
    ] {
        let text = format!("Call her at {phone}, after five.");
        assert_eq!(
            one(&text),
            vec![(Kind::PhoneNumber, "(555) ***-4567".into(), 1, 13)],
            "{phone:?} should be found once, at column 13"
        );
    }
}

#[test]
fn years_zip_codes_money_percentages_counts_and_ranges_are_not_phone_numbers() {
    for text in [
        "In 2024 we hired 12.",
        "Our office ZIP is 59301 and 59301-1234.",
        "We spent $1,250,000 and then $5551234567 on nothing.",
        "A 5551234567% increase is impossible.",
        "We have 1200 staff and 988 calls a day.",
        "Between 2019-2023 turnover doubled; 2019-2023-2024 too.",
        "Budget line 12-345-6789-0 stays.",
        "Account 1234567890 starts with 1.",
        "Invoice 55512345678 is eleven digits.",
        "Local number 555-1234 has no area code.",
        "The old lifeline, 1-800-273-8255, and SAMHSA's (800) 662-4357 are help lines.",
    ] {
        assert_clean(text);
    }
}

// --- social security numbers

#[test]
fn a_grouped_social_security_number_is_found_and_masked() {
    assert_eq!(
        one("Her number is 123-45-6789."),
        vec![(Kind::SocialSecurityNumber, "***-**-6789".into(), 1, 15)]
    );
    assert_eq!(
        kinds("Her number is 123 45 6789."),
        vec![Kind::SocialSecurityNumber]
    );
}

#[test]
fn nine_digits_are_an_ssn_only_after_a_cue() {
    assert_eq!(
        one("SSN: 123456789"),
        vec![(Kind::SocialSecurityNumber, "***-**-6789".into(), 1, 6)]
    );
    assert_eq!(
        kinds("his social security number is 123456789"),
        vec![Kind::SocialSecurityNumber]
    );
    assert_eq!(kinds("SSN#123456789"), vec![Kind::SocialSecurityNumber]);
    assert_eq!(kinds("SSN#123-45-6789"), vec![Kind::SocialSecurityNumber]);
    assert_clean("Grant number 123456789 was renewed.");
}

#[test]
fn numbers_never_issued_as_ssns_are_not_flagged() {
    for text in [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "123-00-4567",
        "123-45-0000",
        "SSN 666123456",
        "123-45 6789",
    ] {
        assert_clean(text);
    }
}

// --- dates of birth

#[test]
fn full_dates_after_a_birth_cue_are_found_in_every_form() {
    for (text, excerpt) in [
        ("DOB: 03/14/1985", "**/**/1985"),
        ("D.O.B. 3-14-85", "*-**-85"),
        ("born on 1985-03-14", "1985-**-**"),
        ("Her date of birth is March 14, 1985", "***** **, 1985"),
        ("birthday 14 March 1985", "** ***** 1985"),
        ("she was born Mar 14 1985", "*** ** 1985"),
        ("birthdate: Mar. 14th, 1985", "***. ****, 1985"),
    ] {
        assert_found_once(text, Kind::DateOfBirth, excerpt);
    }
}

#[test]
fn event_dates_and_partial_dates_are_not_dates_of_birth() {
    for text in [
        "In March 2024 we started a new schedule.",
        "On 2024-03-14 the board met.",
        "The grant ran 03/14/2022 to 03/13/2024.",
        "She was born in March 1985.",
        "Born 1985.",
        "Since the birth of the program in 2019, we grew.",
        "The program was born. On 2024-03-14 the board met.",
        "Born in a small town, she moved away and much later on 2024-03-14 took the job.",
        "DOB 02/30/1985 is not a real day.",
    ] {
        assert_clean(text);
    }
}

#[test]
fn a_birth_cue_on_the_line_before_does_not_reach_a_date() {
    assert_clean("Date of birth\n03/14/1985");
}

// --- street addresses

#[test]
fn street_addresses_with_suffix_and_unit_are_found() {
    for (text, excerpt) in [
        ("She lives at 123 Main St. nearby", "*** Main St."),
        ("at 4 Oak Lane", "* Oak Lane"),
        ("1600 Pennsylvania Avenue NW", "**** Pennsylvania Avenue NW"),
        ("42 W 5th Ave Apt 4B", "** W *th Ave Apt *B"),
        (
            "900 Old Mill Road, Suite 200",
            "*** Old Mill Road, Suite ***",
        ),
        ("12 Elm Ct #3", "** Elm Ct #*"),
        ("77 Sunset Blvd", "** Sunset Blvd"),
    ] {
        assert_found_once(text, Kind::StreetAddress, excerpt);
    }
}

#[test]
fn post_office_boxes_are_found() {
    for text in [
        "P.O. Box 123",
        "PO Box 12",
        "Post Office Box 9",
        "p.o. box #45",
    ] {
        assert_eq!(kinds(text), vec![Kind::StreetAddress], "{text:?}");
    }
    assert_eq!(one("Write to P.O. Box 123.")[0].1, "P.O. Box ***");
}

#[test]
fn counts_and_road_names_are_not_street_addresses() {
    for text in [
        "3 staff left in one week.",
        "We run a 12 step program.",
        "The Route 66 diner hosts our group.",
        "Our clinic on Highway 50 and County Road 12 is far.",
        "3 staff members Dr. Lee trained stayed.",
        "We found 2 better ways to schedule.",
        "Of our 9 peer specialists, 4 left.",
    ] {
        assert_clean(text);
    }
}

// --- positions and messages

#[test]
fn line_and_column_are_counted_within_the_field() {
    let found = screen(&[
        ("summary", "Nothing here."),
        ("question", "First line.\nSecond: call 555-123-4567\nThird."),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "question");
    assert_eq!((found[0].line, found[0].column), (2, 14));
}

#[test]
fn columns_count_characters_not_bytes() {
    let found = one("Café — résumé naïve: 555-123-4567");
    assert_eq!(
        (found[0].2, found[0].3),
        (1, 22),
        "é, — and ï are several bytes but one column each"
    );
}

#[test]
fn findings_come_in_field_then_position_order() {
    let found = screen(&[
        ("a", "x@example.org then 555-123-4567"),
        ("b", "SSN 123-45-6789\nDOB 03/14/1985 at 12 Elm St"),
    ]);
    let summary: Vec<_> = found
        .iter()
        .map(|f| (f.field.as_str(), f.kind, f.line, f.column))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("a", Kind::EmailAddress, 1, 1),
            ("a", Kind::PhoneNumber, 1, 20),
            ("b", Kind::SocialSecurityNumber, 1, 5),
            ("b", Kind::DateOfBirth, 2, 5),
            ("b", Kind::StreetAddress, 2, 19),
        ]
    );
}

// --- work

/// Findings in `text`, and the bytes looked at to place and cue them.
fn screen_counting(text: &str) -> (Vec<Finding>, usize) {
    LOOKED_AT.with(|n| n.set(0));
    let found = screen(&[("case", text)]);
    (found, LOOKED_AT.with(|n| n.get()))
}

#[test]
fn a_text_full_of_phone_numbers_is_placed_in_one_walk() {
    // A quarter megabyte: the count of work, not the time, is pinned.
    let line = "555-123-4567\n";
    let text = line.repeat(256 * 1024 / line.len());
    let lines = text.lines().count();
    let (found, work) = screen_counting(&text);
    assert_eq!(found.len(), lines, "one finding a line");
    let last = found.last().expect("findings");
    assert_eq!((last.line, last.column), (lines, 1), "the last line");
    assert!(
        work <= text.len(),
        "placing {lines} findings looked at {work} bytes of {}: each should be walked once",
        text.len()
    );
}

#[test]
fn a_text_full_of_cued_dates_asks_one_cue_per_date() {
    let line = "DOB 03/14/1985; ";
    let text = line.repeat(256 * 1024 / line.len());
    let dates = text.matches("DOB").count();
    let (found, work) = screen_counting(&text);
    assert_eq!(found.len(), dates, "every date follows its cue");
    assert!(
        found.iter().all(|f| f.kind == Kind::DateOfBirth),
        "{:?}",
        &found[..3]
    );
    assert!(
        work <= 2 * text.len(),
        "{dates} dates looked at {work} bytes of {}: each date should ask only its nearest cue",
        text.len()
    );
}

#[test]
fn only_the_nearest_cue_before_a_date_decides() {
    assert_eq!(
        kinds("born 2020. DOB 03/14/1985"),
        vec![Kind::DateOfBirth],
        "the nearest cue is close enough"
    );
    assert_clean("DOB unknown. Born in spring; later on 03/14/1985 she moved.");
    assert_clean("dob dob dob. the board met on 03/14/1985");
}

#[test]
fn a_phone_number_inside_an_email_address_is_one_finding() {
    assert_eq!(
        kinds("write 5551234567@example.org"),
        vec![Kind::EmailAddress]
    );
}

#[test]
fn the_message_names_the_field_line_kind_and_masked_excerpt() {
    let found = screen(&[("question", "Hello.\nCall (555) 123-4567.")]);
    assert_eq!(
        found[0].message("Case question"),
        "Case question, line 2: a phone number (555) ***-4567 — remove it"
    );
    let found = screen(&[("question", "jane@example.org")]);
    assert_eq!(
        found[0].message("Case question"),
        "Case question, line 1: an e-mail address j***@example.org — remove it"
    );
}

#[test]
fn a_realistic_de_identified_case_passes() {
    let case = "\
Our rural community mental health center serves 3 counties (about 41,000 people) \
from 2 clinics and 1 mobile unit. In March 2024 we started losing peer specialists: \
5 of our 12 left between Q3 2024 and Q1 2025, a 42% turnover rate, up from 18% in 2019-2023.

Starting pay is $17.50/hour ($36,400 a year); the hospital 40 miles away pays $21.25. \
A $250,000 grant ended on 2024-09-30, and on 2024-03-14 the board approved a 4.5% raise \
for FY2025. Since the birth of the peer program in 2016 we have trained 31 people.

Our 24/7 crisis line takes about 1,200 calls a month, and 988 routes roughly 30% of them \
to us. 3 staff left in one week; exit interviews (n=9) named burnout, 60-minute drives \
and on-call nights 1:35 caseloads. We run a 12 step program near the Route 66 diner and \
meet 8:30-5:00, ext. 2 for intake. Our ZIP is 59301. We need 1200 staff hours by 10/2025.";
    assert_clean(case);
}

// --- properties

const BENIGN: &[&str] = &[
    "we lost 4 of 9 peer specialists",
    "in Q3 2024",
    "turnover was 30%",
    "pay rose to $45,000",
    "the 988 line",
    "our 24/7 crisis line",
    "between 2019-2023",
    "1200 staff",
    "in March 2024",
    "on 2024-03-14 the board met",
    "a 12 step program",
    "near the Route 66 diner",
    "ZIP 97301",
    "FY2025",
    "1,250 hours per week",
    "3.5 FTE",
    "since birth of the program",
    "Dr. Lee",
    "Main Street clinic",
];

fn benign_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(BENIGN),
            prop::sample::select(&[", ", ". ", "; ", "\n", " and "][..]),
        ),
        0..12,
    )
    .prop_map(|parts| parts.into_iter().map(|(p, s)| format!("{p}{s}")).collect())
}

fn phone() -> impl Strategy<Value = String> {
    (200u32..1000, 0u32..1000, 0u32..10000, 0usize..6)
        .prop_filter("toll-free numbers are help lines", |(a, ..)| {
            !TOLL_FREE.contains(&a.to_string().as_str())
        })
        .prop_map(|(a, e, l, form)| match form {
            0 => format!("{a}-{e:03}-{l:04}"),
            1 => format!("({a}) {e:03}-{l:04}"),
            2 => format!("{a}.{e:03}.{l:04}"),
            3 => format!("+1 {a} {e:03} {l:04}"),
            4 => format!("1-{a}-{e:03}-{l:04}"),
            _ => format!("{a}{e:03}{l:04}"),
        })
}

fn ssn() -> impl Strategy<Value = String> {
    (1u32..900, 1u32..100, 1u32..10000, any::<bool>())
        .prop_filter("666 is never issued", |(a, ..)| *a != 666)
        .prop_map(|(a, g, s, dash)| {
            let sep = if dash { '-' } else { ' ' };
            format!("{a:03}{sep}{g:02}{sep}{s:04}")
        })
}

fn email() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9.]{0,9}",
        "[a-z]{2,10}",
        prop::sample::select(&["org", "com", "net"][..]),
    )
        .prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
}

fn identifying() -> impl Strategy<Value = (Kind, String)> {
    prop_oneof![
        phone().prop_map(|p| (Kind::PhoneNumber, p)),
        ssn().prop_map(|s| (Kind::SocialSecurityNumber, s)),
        email().prop_map(|e| (Kind::EmailAddress, e)),
    ]
}

proptest! {
    #[test]
    fn benign_prose_is_never_flagged(text in benign_text()) {
        let found = screen(&[("case", &text)]);
        prop_assert!(found.is_empty(), "{text:?}: {found:?}");
    }

    #[test]
    fn identifying_text_dropped_into_prose_is_found_where_it_is(
        before in benign_text(),
        (kind, secret) in identifying(),
        after in benign_text(),
    ) {
        let text = format!("{before}x {secret} y{after}");
        let found = screen(&[("case", &text)]);
        prop_assert_eq!(found.len(), 1, "{:?}: {:?}", text, found);
        let at = before.len() + 2;
        let line = text[..at].matches('\n').count() + 1;
        let column = text[..at].rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        prop_assert_eq!(found[0].kind, kind);
        prop_assert_eq!((found[0].line, found[0].column), (line, column));
        prop_assert_ne!(&found[0].excerpt, &secret, "the excerpt is masked");
    }

    #[test]
    fn never_issued_ssn_areas_are_never_flagged(
        area in prop_oneof![Just(0u32), Just(666u32), 900u32..1000],
        group in 0u32..100,
        serial in 0u32..10000,
    ) {
        let text = format!("SSN {area:03}-{group:02}-{serial:04} and SSN {area:03}{group:02}{serial:04}");
        prop_assert!(screen(&[("case", &text)]).is_empty(), "{}", text);
    }

    #[test]
    fn any_text_is_screened_without_panic_and_positions_fall_inside_it(text in any::<String>()) {
        for f in screen(&[("case", &text)]) {
            let line = text.split('\n').nth(f.line - 1);
            prop_assert!(line.is_some(), "line {} of {:?}", f.line, text);
            prop_assert!(f.column <= line.unwrap().chars().count(), "{:?} in {:?}", f, text);
        }
    }
}
