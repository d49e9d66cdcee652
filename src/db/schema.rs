// The tables of both backends' migrations (they must stay in step).

diesel::table! {
    series (id) {
        id -> BigInt,
        slug -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        timezone -> Text,
        start_time -> Text,
        duration_minutes -> Integer,
        rule -> Text,
        capacity -> Integer,
        join_url -> Text,
        organizer_name -> Text,
        organizer_email -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        edited_fields -> Text,
        baseline -> Nullable<Integer>,
        list_slug -> Nullable<Text>,
        invitations -> Text,
        reminders -> Text,
        recurring -> Bool,
        origin -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        series_id -> BigInt,
        uid -> Text,
        title -> Text,
        description -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        timezone -> Text,
        capacity -> Integer,
        join_url -> Text,
        status -> Text,
        sequence -> Integer,
        occurrence_date -> Nullable<Date>,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    people (id) {
        id -> BigInt,
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        organization -> Text,
        job_title -> Text,
        sector -> Text,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    registrations (id) {
        id -> BigInt,
        session_id -> BigInt,
        person_id -> BigInt,
        token_hash -> Text,
        status -> Text,
        subscribe -> Bool,
        calendar_sequence -> Integer,
        confirmations_sent -> Integer,
        last_confirmation_at -> Nullable<Timestamp>,
        waitlisted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        registered_at -> Nullable<Timestamp>,
        token_sealed -> Nullable<Text>,
        place -> Nullable<Integer>,
    }
}

diesel::table! {
    full_sessions (session_id) {
        session_id -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        idempotency_key -> Text,
        template -> Text,
        recipient -> Text,
        context -> Text,
        calendar -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        subscription_id -> Nullable<BigInt>,
        list_id -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        origin -> Nullable<Text>,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> BigInt,
        person_id -> BigInt,
        list_slug -> Text,
        status -> Text,
        token_hash -> Text,
        confirm_token_hash -> Nullable<Text>,
        confirm_sent_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_sealed -> Nullable<Text>,
        confirm_token_sealed -> Nullable<Text>,
        consent_source -> Nullable<Text>,
        consent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    send_rate (name) {
        name -> Text,
        next_at_us -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        token_version -> Integer,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        subject -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    proposals (id) {
        id -> BigInt,
        person_id -> BigInt,
        topic -> Text,
        #[sql_name = "abstract"]
        abstract_ -> Text,
        levers -> Text,
        preferred_months -> Text,
        status -> Text,
        decision_message -> Nullable<Text>,
        session_id -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    working_group_interests (id) {
        id -> BigInt,
        person_id -> BigInt,
        lever -> Text,
        created_at -> Timestamp,
        contacted_at -> Nullable<Timestamp>,
        token_hash -> Nullable<Text>,
        token_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    spent_group_links (token_hash) {
        token_hash -> Text,
        lever -> Text,
        left_at -> Timestamp,
    }
}

diesel::table! {
    group_messages (id) {
        id -> BigInt,
        message_key -> Text,
        session_id -> Nullable<BigInt>,
        lever -> Nullable<Text>,
        audience -> Text,
        subject -> Text,
        body -> Text,
        recipients -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lineup_slots (id) {
        id -> BigInt,
        session_id -> BigInt,
        position -> Integer,
        name -> Text,
        email -> Text,
        role -> Text,
        talk_title -> Text,
        /// `abstract` is a Rust keyword.
        #[sql_name = "abstract"]
        talk_abstract -> Text,
        minutes -> Nullable<Integer>,
        bio -> Text,
        levers -> Text,
        status -> Text,
        response_token_hash -> Nullable<Text>,
        token_expires_at -> Nullable<Timestamp>,
        invitations_sent -> Integer,
        invited_at -> Nullable<Timestamp>,
        responded_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        response_token_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    session_levers (session_id, lever) {
        session_id -> BigInt,
        lever -> Text,
    }
}

diesel::table! {
    cohorts (id) {
        id -> BigInt,
        series_id -> BigInt,
        slug -> Text,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        rule -> Text,
        timezone -> Text,
        start_time -> Text,
        duration_minutes -> Integer,
        capacity -> Integer,
        join_url -> Text,
        applications_open_on -> Date,
        applications_close_on -> Date,
        completion_percent -> Integer,
        case_slots -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    echo_sessions (session_id) {
        session_id -> BigInt,
        cohort_id -> BigInt,
        occurrence_date -> Date,
        didactic_topic -> Text,
        faculty_name -> Text,
        faculty_email -> Text,
        case_slots -> Integer,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        cohort_id -> BigInt,
        person_id -> BigInt,
        organization_type -> Text,
        role -> Text,
        hopes_to_bring -> Text,
        hopes_to_learn -> Text,
        status -> Text,
        decision_message -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        access_token_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        access_token_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        application_id -> BigInt,
        cohort_id -> BigInt,
        title -> Text,
        organization_type -> Text,
        size_band -> Text,
        setting -> Text,
        state -> Text,
        challenge -> Text,
        tried -> Text,
        question -> Text,
        levers -> Text,
        preferred_session_id -> Nullable<BigInt>,
        attested -> Bool,
        status -> Text,
        revision -> Integer,
        session_id -> Nullable<BigInt>,
        review_message -> Nullable<Text>,
        recommendations -> Nullable<Text>,
        recommendations_at -> Nullable<Timestamp>,
        follow_up_due_at -> Nullable<Timestamp>,
        follow_up_sent_at -> Nullable<Timestamp>,
        follow_up_answer -> Nullable<Text>,
        follow_up_answered_at -> Nullable<Timestamp>,
        submitted_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        challenge_text -> Text,
    }
}

diesel::table! {
    case_attachments (case_id) {
        case_id -> BigInt,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attendance_imports (id) {
        id -> BigInt,
        session_id -> BigInt,
        source -> Text,
        file_sha256 -> Text,
        meeting_id -> Nullable<Text>,
        topic -> Nullable<Text>,
        attendees -> Integer,
        imported_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attendance (id) {
        id -> BigInt,
        session_id -> BigInt,
        person_id -> BigInt,
        import_id -> Nullable<BigInt>,
        attended -> Bool,
        first_join -> Nullable<Timestamp>,
        last_leave -> Nullable<Timestamp>,
        minutes -> Integer,
        joins -> Integer,
        registered_here -> Bool,
        role -> Text,
        adjusted_by -> Nullable<Text>,
        adjust_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> series (series_id));
diesel::joinable!(attendance -> people (person_id));
diesel::joinable!(attendance -> sessions (session_id));
diesel::table! {
    materials (id) {
        id -> BigInt,
        session_id -> BigInt,
        kind -> Text,
        title -> Text,
        presenter -> Text,
        published -> Bool,
        published_at -> Nullable<Timestamp>,
        url -> Nullable<Text>,
        sha256 -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        media_type -> Nullable<Text>,
        filename -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    follow_ups (session_id) {
        session_id -> BigInt,
        with_materials -> Bool,
        queued -> Integer,
        created_at -> Timestamp,
        notice_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cohort_facilitators (cohort_id, user_id) {
        cohort_id -> BigInt,
        user_id -> BigInt,
        assigned_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(materials -> sessions (session_id));
diesel::joinable!(follow_ups -> sessions (session_id));
diesel::joinable!(attendance_imports -> sessions (session_id));
diesel::joinable!(cohorts -> series (series_id));
diesel::joinable!(echo_sessions -> sessions (session_id));
diesel::joinable!(echo_sessions -> cohorts (cohort_id));
diesel::joinable!(applications -> cohorts (cohort_id));
diesel::joinable!(applications -> people (person_id));
diesel::joinable!(cases -> applications (application_id));
diesel::joinable!(case_attachments -> cases (case_id));
diesel::joinable!(lineup_slots -> sessions (session_id));
diesel::joinable!(session_levers -> sessions (session_id));
diesel::joinable!(proposals -> people (person_id));
diesel::joinable!(working_group_interests -> people (person_id));
diesel::joinable!(group_messages -> sessions (session_id));
diesel::joinable!(audit_log -> users (user_id));
diesel::joinable!(subscriptions -> people (person_id));
diesel::joinable!(outbox -> subscriptions (subscription_id));
diesel::joinable!(registrations -> sessions (session_id));
diesel::joinable!(full_sessions -> sessions (session_id));
diesel::joinable!(registrations -> people (person_id));
diesel::joinable!(cohort_facilitators -> cohorts (cohort_id));
diesel::joinable!(cohort_facilitators -> users (user_id));

diesel::table! {
    registration_questions (id) {
        id -> BigInt,
        series_id -> BigInt,
        position -> Integer,
        kind -> Text,
        label -> Text,
        help -> Text,
        choices -> Text,
        required -> Bool,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        form -> Text,
        role -> Text,
    }
}

diesel::table! {
    registration_answers (id) {
        id -> BigInt,
        registration_id -> BigInt,
        question_id -> BigInt,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    evaluations (id) {
        id -> BigInt,
        session_id -> BigInt,
        registration_id -> Nullable<BigInt>,
        took_back -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        since_asked_at -> Nullable<Timestamp>,
        since_answered_at -> Nullable<Timestamp>,
        acted_on -> Nullable<Bool>,
        since_levers -> Text,
        since_changed -> Text,
    }
}

diesel::table! {
    evaluation_answers (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        question_id -> BigInt,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(registration_questions -> series (series_id));
diesel::joinable!(evaluations -> sessions (session_id));
diesel::joinable!(evaluations -> registrations (registration_id));
diesel::joinable!(evaluation_answers -> evaluations (evaluation_id));
diesel::joinable!(evaluation_answers -> registration_questions (question_id));
diesel::joinable!(registration_answers -> registrations (registration_id));
diesel::joinable!(registration_answers -> registration_questions (question_id));

diesel::allow_tables_to_appear_in_same_query!(
    series,
    sessions,
    people,
    registrations,
    full_sessions,
    outbox,
    subscriptions,
    send_rate,
    users,
    audit_log,
    proposals,
    working_group_interests,
    spent_group_links,
    group_messages,
    lineup_slots,
    session_levers,
    cohorts,
    echo_sessions,
    applications,
    cases,
    case_attachments,
    attendance_imports,
    attendance,
    materials,
    follow_ups,
    cohort_facilitators,
    registration_questions,
    registration_answers,
    evaluations,
    evaluation_answers
);
