use super::*;

fn question(id: i64, kind: Kind, choices: &[&str], required: bool) -> Question {
    let t = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
    Question {
        id,
        series_id: 1,
        position: id as i32,
        kind: kind.code().into(),
        label: format!("Question {id}"),
        help: String::new(),
        choices: serde_json::to_string(choices).unwrap(),
        required,
        archived_at: None,
        created_at: t,
        updated_at: t,
        form: Form::Registration.code().into(),
        role: String::new(),
    }
}

fn given(pairs: &[(i64, &[&str])]) -> Given {
    pairs
        .iter()
        .map(|(id, v)| (*id, v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn a_required_question_left_blank_is_named() {
    let qs = [
        question(1, Kind::Text, &[], true),
        question(2, Kind::Text, &[], false),
    ];
    let err = answers(&qs, &given(&[(1, &["  "])])).unwrap_err();
    assert_eq!(err, vec![(1, "Answer “Question 1”".to_string())]);
}

#[test]
fn several_choices_are_stored_in_the_order_offered_each_once() {
    let qs = [question(3, Kind::Choices, &["a", "b", "c"], false)];
    let got = answers(&qs, &given(&[(3, &["c", "a", "c"])])).unwrap();
    assert_eq!(got, vec![(3, r#"["a","c"]"#.to_string())]);
    assert_eq!(qs[0].shown(&got[0].1), "a; c");
}

#[test]
fn a_value_not_offered_is_refused() {
    let qs = [
        question(4, Kind::Choice, &["a"], false),
        question(5, Kind::YesNo, &[], false),
    ];
    let err = answers(&qs, &given(&[(4, &["z"]), (5, &["maybe"])])).unwrap_err();
    assert_eq!(err.len(), 2, "{err:?}");
}

#[test]
fn a_tally_keeps_answers_to_choices_no_longer_offered() {
    let q = question(6, Kind::Choices, &["new", "b"], false);
    let t = tally(&q, &[r#"["old","b"]"#.into(), r#"["b"]"#.into()]);
    assert_eq!(
        t.counts,
        vec![("new".into(), 0), ("b".into(), 2), ("old".into(), 1)]
    );
    assert_eq!(t.answered, 2);
}

#[test]
fn drafts_check_kinds_labels_and_choices() {
    let mut errors = Vec::new();
    let asked = Asked {
        kind: "choice".into(),
        label: "Role".into(),
        choices: vec!["x".into(), "x".into()],
        ..Asked::default()
    };
    assert!(draft(&asked, "q.", &mut errors).is_none());
    assert_eq!(errors[0].0, "q.choices");
    let mut errors = Vec::new();
    let asked = Asked {
        kind: "yes_no".into(),
        label: "Vegan?".into(),
        ..Asked::default()
    };
    assert_eq!(draft(&asked, "", &mut errors).unwrap().kind, Kind::YesNo);
}

#[test]
fn a_question_keeps_its_kind() {
    let current = [question(7, Kind::Text, &[], false)];
    let d = Draft {
        id: Some(7),
        kind: Kind::YesNo,
        label: "x".into(),
        help: String::new(),
        choices: Vec::new(),
        required: false,
        role: None,
    };
    assert_eq!(check_list(&current, &[d])[0].0, "questions[0].kind");
}

#[test]
fn a_rating_is_one_of_one_to_five() {
    let qs = [question(8, Kind::Rating, &[], true)];
    assert_eq!(
        answers(&qs, &given(&[(8, &["4"])])).unwrap(),
        vec![(8, "4".to_string())]
    );
    for bad in ["0", "6", "five", "4.5"] {
        assert!(answers(&qs, &given(&[(8, &[bad])])).is_err(), "{bad}");
    }
    let t = tally(&qs[0], &["5".into(), "5".into(), "1".into()]);
    assert_eq!(t.counts[4], ("5".to_string(), 2));
    assert_eq!(t.counts.len(), 5);
}

#[test]
fn a_built_in_question_keeps_its_role_and_choices() {
    let mut lever = question(9, Kind::Choice, &["payment", "technology"], false);
    lever.role = "lever".into();
    let current = [lever.clone()];
    let same = Draft::of(&lever);
    assert!(check_list(&current, std::slice::from_ref(&same)).is_empty());
    let relabelled = Draft {
        label: "Which lever?".into(),
        role: Some("lever".into()),
        ..same.clone()
    };
    assert!(check_list(&current, &[relabelled]).is_empty());
    let other_role = Draft {
        role: Some("topics".into()),
        ..same.clone()
    };
    assert_eq!(
        check_list(&current, &[other_role])[0].0,
        "questions[0].role"
    );
    let other_choices = Draft {
        choices: vec!["payment".into()],
        ..same.clone()
    };
    assert_eq!(
        check_list(&current, &[other_choices])[0].0,
        "questions[0].choices"
    );
    let new_with_role = Draft {
        id: None,
        role: Some("rating".into()),
        ..same
    };
    assert_eq!(
        check_list(&current, &[new_with_role])[0].0,
        "questions[0].role"
    );
}
