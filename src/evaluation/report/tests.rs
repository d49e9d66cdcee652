use super::*;

fn answer(id: i64, role: &str, kind: Kind, value: &str) -> Answer {
    Answer {
        question_id: id,
        role: role.into(),
        kind,
        label: format!("Q{id}"),
        value: value.into(),
    }
}

fn evaluation(id: i64, session_id: i64, answers: Vec<Answer>) -> Evaluation {
    Evaluation {
        id,
        session_id,
        anonymous: false,
        took_back: false,
        asked: false,
        answered: false,
        acted_on: None,
        since_levers: Vec::new(),
        since_changed: String::new(),
        answers,
    }
}

fn session(id: i64, registrants: i64) -> SessionRow {
    SessionRow {
        id,
        title: format!("Session {id}"),
        date: format!("2027-0{id}-19"),
        registrants,
    }
}

#[test]
fn an_answer_names_a_lever_by_its_code_or_its_label() {
    assert_eq!(lever_of("payment"), Some("payment"));
    assert_eq!(lever_of(" Clinical model "), Some("clinical-model"));
    assert_eq!(
        lever_of("quality and accountability"),
        Some("quality-accountability")
    );
    assert_eq!(lever_of("vibes"), None);
    assert_eq!(lever_of(""), None);
}

#[test]
fn a_scale_counts_each_score_and_averages_to_two_decimals() {
    let s = Scale::of([0, 0, 1, 1, 1]);
    assert_eq!((s.average, s.answers), (Some(4.0), 3));
    assert_eq!(s.counts, vec![0, 0, 1, 1, 1]);
    assert_eq!(Scale::of([1, 0, 0, 0, 2]).average, Some(3.67));
    assert_eq!(Scale::of([0; 5]).average, None);
}

#[test]
fn figures_per_session_and_over_the_period() {
    let mut a = evaluation(
        1,
        1,
        vec![
            answer(10, RATING, Kind::Choice, "5"),
            answer(11, USEFULNESS, Kind::Choice, "4"),
            answer(12, TAKE_BACK, Kind::Text, "Peer roles"),
            answer(13, LEVER, Kind::Choices, r#"["Payment","clinical-model"]"#),
        ],
    );
    a.took_back = true;
    a.asked = true;
    a.answered = true;
    a.acted_on = Some(true);
    a.since_levers = vec!["payment"];
    a.since_changed = "We bill peers now".into();
    let mut b = evaluation(
        2,
        1,
        vec![
            answer(10, RATING, Kind::Choice, "3"),
            answer(13, LEVER, Kind::Choice, "technology"),
            answer(14, OWN, Kind::Text, "More on rural"),
        ],
    );
    b.anonymous = true;
    let c = evaluation(3, 2, vec![answer(10, RATING, Kind::Choice, "six")]);
    let (sessions, totals, texts) = count(&[session(1, 4), session(2, 0)], &[a, b, c]);

    let first = &sessions[0].figures;
    assert_eq!(
        (
            first.responses,
            first.registrant_responses,
            first.anonymous_responses
        ),
        (2, 1, 1)
    );
    assert_eq!(first.response_rate, Some(0.5));
    assert_eq!(first.rating.average, Some(4.0));
    assert_eq!(first.usefulness.answers, 1);
    let lever = |f: &Figures, code: &str| {
        let l = f.levers.iter().find(|l| l.code == code).unwrap();
        (l.took_back, l.acted_on)
    };
    assert_eq!(lever(first, "payment"), (1, 1));
    assert_eq!(lever(first, "clinical-model"), (1, 0));
    assert_eq!(lever(first, "technology"), (0, 0), "not taken back");
    assert_eq!(
        (first.since_asked, first.since_answered, first.acted_on),
        (1, 1, 1)
    );

    let second = &sessions[1].figures;
    assert_eq!(second.response_rate, None, "no registrants");
    assert_eq!(second.rating.answers, 0, "not a score");

    assert_eq!((totals.registrants, totals.responses), (4, 3));
    assert_eq!(totals.response_rate, Some(0.75));
    assert_eq!(totals.rating.counts, vec![0, 0, 1, 0, 1]);
    assert_eq!(lever(&totals, "payment"), (1, 1));

    let said: Vec<(&str, &str)> = texts
        .iter()
        .map(|t| (t.role.as_str(), t.text.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            (TAKE_BACK, "Peer roles"),
            (SINCE_CHANGED, "We bill peers now"),
            (OWN, "More on rural"),
        ]
    );
}
