use super::*;

fn body(v: Value) -> ReviewBody {
    serde_json::from_value(v).expect("a review body")
}

fn fields(e: ApiError) -> Vec<String> {
    match e {
        ApiError::Invalid { fields, .. } => fields.into_iter().map(|(f, _)| f).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

#[test]
fn accepting_needs_a_session_and_takes_it_as_a_number_or_text() {
    assert_eq!(
        fields(decision(&body(json!({ "decision": "accept" }))).unwrap_err()),
        ["session_id"]
    );
    for id in [json!(7), json!("7")] {
        let review = decision(&body(json!({ "decision": "accept", "session_id": id })));
        assert!(
            matches!(
                review,
                Ok(Review::Accept {
                    session_id: 7,
                    message: None
                })
            ),
            "{review:?}"
        );
    }
}

#[test]
fn revising_and_declining_need_a_message_the_presenter_reads() {
    for d in ["revise", "decline"] {
        assert_eq!(
            fields(decision(&body(json!({ "decision": d, "message": "  " }))).unwrap_err()),
            ["message"],
            "{d}"
        );
    }
    let long = "x".repeat(2001);
    assert_eq!(
        fields(decision(&body(json!({ "decision": "decline", "message": long }))).unwrap_err()),
        ["message"]
    );
    assert!(matches!(
        decision(&body(json!({ "decision": "revise", "message": " Shorter, please. " }))),
        Ok(Review::Revise { message }) if message == "Shorter, please."
    ));
}

#[test]
fn an_unknown_decision_is_named() {
    assert_eq!(
        fields(decision(&body(json!({ "decision": "maybe" }))).unwrap_err()),
        ["decision"]
    );
    assert_eq!(
        fields(decision(&body(json!({}))).unwrap_err()),
        ["decision"]
    );
}
