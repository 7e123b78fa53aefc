//! The database schema as diesel sees it, one `table!` block per table, for both backends.
//!
//! Kept by hand in the shape `diesel print-schema` produces; `tests/schema_matches.rs` runs the
//! migrations on SQLite and PostgreSQL and fails if a table, column, type or nullability here
//! differs from what either database reports. To add tables: append their `table!` blocks and
//! add their names to `allow_tables_to_appear_in_same_query!` at the end.

diesel::table! {
    grid_cells (code) {
        code -> Text,
        district_code -> Text,
        street_code -> Text,
        community_code -> Text,
        name -> Nullable<Text>,
        geometry -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    grid_revision (id) {
        id -> Integer,
        revision -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        kind -> Text,
        name_zh -> Text,
        name_en -> Text,
        anonymous_allowed -> Bool,
        duplicate_radius_m -> Double,
        definition -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    photos (id) {
        id -> Text,
        sha256 -> Text,
        uploader_id -> Nullable<Text>,
        object_key -> Text,
        thumbnail_key -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        width -> Integer,
        height -> Integer,
        capture_metadata -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    photo_uploads (account_id, idempotency_key) {
        account_id -> Text,
        idempotency_key -> Text,
        request_sha256 -> Text,
        photo_id -> Text,
        receipt -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        tracking_number -> Text,
        idempotency_key -> Text,
        request_sha256 -> Text,
        reporter_id -> Nullable<Text>,
        reporter_role -> Nullable<Text>,
        anonymous -> Bool,
        category_code -> Text,
        description -> Text,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        submitted_crs -> Text,
        captured_at -> Nullable<Timestamp>,
        state -> Text,
        grid_code -> Nullable<Text>,
        community_code -> Nullable<Text>,
        street_code -> Nullable<Text>,
        district_code -> Nullable<Text>,
        routing_outcome -> Text,
        routing_distance_m -> Nullable<Double>,
        geotag_verdict -> Text,
        answers -> Text,
        handling_time_limit -> Nullable<Text>,
        handling_unit -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deadline -> Nullable<Timestamp>,
        overdue -> Bool,
        merged_into -> Nullable<Text>,
        rating -> Nullable<Integer>,
        channel -> Text,
        confirm_requested_at -> Nullable<Timestamp>,
        called_back_at -> Nullable<Timestamp>,
        verifier_id -> Nullable<Text>,
        urgency -> Text,
    }
}

diesel::table! {
    case_photos (case_id, photo_id) {
        case_id -> Text,
        photo_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        note -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        occurred_at -> Timestamp,
        seq -> BigInt,
        reason -> Nullable<Text>,
        accuracy_m -> Nullable<Double>,
        photo_ids -> Text,
        details -> Text,
        idempotency_key -> Nullable<Text>,
        request_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        role -> Text,
        scope -> Text,
        display_name -> Text,
        login -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        phone -> Nullable<Text>,
        device_secret_hash -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        phone_hash -> Nullable<Text>,
        phone_sealed -> Nullable<Text>,
        password_must_change -> Bool,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        issued_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    otp_challenges (id) {
        id -> Text,
        phone_hash -> Text,
        code_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        attempts -> Integer,
        consumed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    auth_throttles (bucket) {
        bucket -> Text,
        hits -> Integer,
        window_started_at -> BigInt,
        locked_until -> BigInt,
    }
}

diesel::table! {
    token_revocations (user_id) {
        user_id -> Text,
        revoked_before_ms -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        created_by -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    open311_requests (case_id) {
        case_id -> Text,
        api_key_id -> Text,
        created_at -> BigInt,
        email_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    deferred_indexes (name) {
        name -> Text,
        table_name -> Text,
        kind -> Text,
        definition -> Text,
    }
}

diesel::table! {
    case_day_summaries (day, grid_code, category_code, channel) {
        day -> Text,
        grid_code -> Text,
        category_code -> Text,
        channel -> Text,
        reports -> BigInt,
    }
}

diesel::table! {
    notification_outbox (event_id) {
        event_id -> Text,
        case_id -> Text,
        public_change -> Text,
        created_at -> Timestamp,
        expanded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_deliveries (id) {
        id -> Text,
        event_id -> Text,
        case_id -> Text,
        recipient_id -> Text,
        public_change -> Text,
        channel -> Text,
        target -> Text,
        shown_to -> Text,
        language -> Text,
        subject -> Text,
        body -> Text,
        urgent -> Bool,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_preferences (user_id) {
        user_id -> Text,
        sms -> Bool,
        push -> Bool,
        email -> Bool,
        email_address -> Nullable<Text>,
        language -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    push_tokens (token) {
        token -> Text,
        user_id -> Text,
        platform -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    callback_tasks (closing_event_id) {
        closing_event_id -> Text,
        case_id -> Text,
        closed_at -> Timestamp,
        call_back_event_id -> Nullable<Text>,
        satisfaction -> Nullable<Text>,
        called_back_at -> Nullable<Timestamp>,
        resolved -> Nullable<Bool>,
    }
}

diesel::table! {
    patrol_positions (inspector_id, recorded_at_ms) {
        inspector_id -> Text,
        recorded_at_ms -> BigInt,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        grid_code -> Nullable<Text>,
    }
}

diesel::joinable!(case_photos -> cases (case_id));
diesel::joinable!(case_photos -> photos (photo_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(photo_uploads -> photos (photo_id));

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_keys -> users (created_by));
diesel::joinable!(open311_requests -> cases (case_id));
diesel::joinable!(open311_requests -> api_keys (api_key_id));
diesel::joinable!(callback_tasks -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    grid_cells,
    grid_revision,
    categories,
    photos,
    photo_uploads,
    cases,
    case_photos,
    case_events,
    users,
    refresh_tokens,
    otp_challenges,
    auth_throttles,
    token_revocations,
    api_keys,
    open311_requests,
    case_day_summaries,
    deferred_indexes,
    notification_outbox,
    notification_deliveries,
    notification_preferences,
    push_tokens,
    callback_tasks,
    patrol_positions,
    case_stat_facts,
    case_rollups,
    case_rollup_deltas,
    case_rollup_keys,
    case_rollup_rules,
    case_summary_zone,
);

diesel::table! {
    handling_units (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        contact -> Text,
        categories -> Text,
        area -> Nullable<Text>,
        retired_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
// Topics of early warning, 每月一题 (store/warning_topics.rs).

diesel::table! {
    warning_topics (id) {
        id -> Text,
        month -> Text,
        level -> Text,
        place -> Text,
        category -> Text,
        owner_unit -> Nullable<Text>,
        note -> Nullable<Text>,
        case_ids -> Text,
        recurrences -> Integer,
        closures -> Integer,
        state -> Text,
        reason -> Nullable<Text>,
        version -> Integer,
        adopted_by -> Text,
        adopted_at -> Timestamp,
        updated_at -> Timestamp,
        settled_by -> Nullable<Text>,
        settled_at -> Nullable<Timestamp>,
        signal_id -> Nullable<Text>,
    }
}

// Sensor alarms (store/sensors.rs).

diesel::table! {
    sensor_systems (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        created_by -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sensor_devices (id) {
        id -> Text,
        system_id -> Text,
        kind -> Text,
        lat -> Double,
        lon -> Double,
        grid_code -> Text,
        owning_unit -> Text,
        faulty -> Bool,
        flap_window_started_at -> Nullable<BigInt>,
        flap_count -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sensor_rules (kind) {
        kind -> Text,
        category_code -> Text,
        answers -> Text,
        min_duration_s -> Integer,
        second_device_confirms -> Bool,
        group_window_s -> Integer,
        flap_limit_per_hour -> Integer,
        updated_at -> BigInt,
        closes_on_all_clear -> Bool,
    }
}

diesel::table! {
    sensor_groups (id) {
        id -> Text,
        purpose -> Text,
        kind -> Text,
        grid_code -> Text,
        device_id -> Nullable<Text>,
        severity -> Text,
        opened_at -> BigInt,
        window_ends_at -> BigInt,
        episode_count -> Integer,
        active_count -> Integer,
        case_id -> Nullable<Text>,
        cleared_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sensor_alarms (id) {
        id -> Text,
        system_id -> Text,
        device_id -> Text,
        kind -> Text,
        sub_category -> Nullable<Text>,
        severity -> Text,
        grid_code -> Text,
        state -> Text,
        first_at -> BigInt,
        last_at -> BigInt,
        repeat_count -> Integer,
        value -> Nullable<Double>,
        unit -> Nullable<Text>,
        media_url -> Nullable<Text>,
        issued_at -> Nullable<Text>,
        valid_from -> Nullable<Text>,
        valid_to -> Nullable<Text>,
        confirmed_at -> Nullable<BigInt>,
        confirmed_by -> Nullable<Text>,
        confirmed_by_user -> Nullable<Text>,
        group_id -> Nullable<Text>,
        cleared_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sensor_messages (system_id, sender_alarm_id) {
        system_id -> Text,
        sender_alarm_id -> Text,
        alarm_id -> Nullable<Text>,
        signal -> Text,
        message_sha256 -> Text,
        received_at -> BigInt,
    }
}

diesel::joinable!(sensor_alarms -> sensor_devices (device_id));

diesel::allow_tables_to_appear_in_same_query!(
    sensor_systems,
    sensor_devices,
    sensor_rules,
    sensor_groups,
    sensor_alarms,
    sensor_messages,
);

diesel::table! {
    emergencies (id) {
        id -> Text,
        area_code -> Text,
        level -> Text,
        kind -> Text,
        categories -> Text,
        commander_id -> Text,
        command_unit -> Text,
        drill -> Bool,
        state -> Text,
        version -> Integer,
        started_at -> Timestamp,
        started_by -> Text,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
        joint_units -> Text,
    }
}

diesel::table! {
    emergency_decisions (id) {
        id -> Text,
        emergency_id -> Text,
        kind -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        occurred_at -> Timestamp,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    emergency_cases (case_id) {
        case_id -> Text,
        emergency_id -> Text,
        drill -> Bool,
        queued_at -> Timestamp,
        dispatch_minutes -> Integer,
        handle_minutes -> Integer,
    }
}

diesel::joinable!(emergency_cases -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(emergencies, emergency_decisions, emergency_cases);
diesel::allow_tables_to_appear_in_same_query!(emergency_cases, cases);
diesel::allow_tables_to_appear_in_same_query!(emergency_cases, case_events);
diesel::allow_tables_to_appear_in_same_query!(emergency_cases, case_stat_facts);

diesel::table! {
    hotline_calls (id) {
        id -> Text,
        case_id -> Text,
        linked -> Bool,
        operator_id -> Text,
        idempotency_key -> Text,
        call_type -> Text,
        urgency -> Text,
        anonymous -> Bool,
        confidential -> Bool,
        caller_phone_hash -> Nullable<Text>,
        caller_phone_sealed -> Nullable<Text>,
        caller_name_sealed -> Nullable<Text>,
        transferred_to -> Nullable<Text>,
        hotline_code -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::joinable!(hotline_calls -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(hotline_calls, cases);
diesel::allow_tables_to_appear_in_same_query!(hotline_calls, emergency_cases);

diesel::table! {
    gazetteer (name) {
        name -> Text,
        search_key -> Text,
        kind -> Text,
        lat -> Double,
        lon -> Double,
    }
}

diesel::table! {
    hotline_codes (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        category_code -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    case_rollups (level, street_code, lo, figure, hi, end_day, start_day, bucket, district_code, category_code, handling_unit, channel) {
        level -> Integer,
        street_code -> Text,
        lo -> Integer,
        figure -> Integer,
        hi -> Integer,
        end_day -> Integer,
        start_day -> Integer,
        bucket -> Integer,
        district_code -> Text,
        category_code -> Text,
        handling_unit -> Text,
        channel -> Text,
        cases -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    case_rollup_deltas (level, street_code, lo, figure, hi, end_day, start_day, bucket, district_code, category_code, handling_unit, channel) {
        level -> Integer,
        street_code -> Text,
        lo -> Integer,
        figure -> Integer,
        hi -> Integer,
        end_day -> Integer,
        start_day -> Integer,
        bucket -> Integer,
        district_code -> Text,
        category_code -> Text,
        handling_unit -> Text,
        channel -> Text,
        cases -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    case_rollup_keys (case_id) {
        case_id -> Text,
        district_code -> Text,
        street_code -> Text,
        category_code -> Text,
        handling_unit -> Text,
        channel -> Text,
    }
}

diesel::table! {
    case_rollup_rules (id) {
        id -> Integer,
        fingerprint -> Text,
        complete -> Bool,
    }
}

diesel::table! {
    case_summary_zone (id) {
        id -> Integer,
        timezone -> Text,
        complete -> Bool,
    }
}

diesel::table! {
    case_stat_facts (case_id, seq) {
        case_id -> Text,
        seq -> BigInt,
        occurred_at -> Timestamp,
        marks -> Integer,
        on_time -> Nullable<Integer>,
        cycle_start -> Nullable<Timestamp>,
        rating -> Nullable<Integer>,
        state_before -> Nullable<Text>,
        deadline_before -> Nullable<Timestamp>,
        state_after -> Nullable<Text>,
        deadline_after -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_parts (id) {
        id -> Text,
        case_id -> Text,
        unit_code -> Text,
        note -> Text,
        state -> Text,
        time_limit -> Nullable<Text>,
        deadline -> Nullable<Timestamp>,
        overdue -> Bool,
        on_time -> Nullable<Bool>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_disputes (id) {
        id -> Text,
        case_id -> Text,
        unit_code -> Text,
        reason -> Text,
        raised_by -> Text,
        raised_at -> Timestamp,
        decide_by -> Nullable<Timestamp>,
        decision -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        late -> Bool,
        escalated_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(case_parts -> cases (case_id));
diesel::joinable!(case_disputes -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(case_parts, case_disputes, cases);

diesel::table! {
    warning_signals (id) {
        id -> Text,
        method -> Text,
        category -> Nullable<Text>,
        class -> Nullable<Text>,
        centre_grid -> Text,
        cells -> Text,
        window_from -> Text,
        window_to -> Text,
        observed -> Integer,
        expected -> Double,
        recurrence_days -> Double,
        p_value -> Double,
        case_ids -> Text,
        state -> Text,
        reason -> Nullable<Text>,
        opened_case_id -> Nullable<Text>,
        runs -> Integer,
        version -> Integer,
        raised_at -> Timestamp,
        updated_at -> Timestamp,
        acted_by -> Nullable<Text>,
        acted_at -> Nullable<Timestamp>,
        opened_topic_id -> Nullable<Text>,
    }
}

diesel::table! {
    warning_scan_claims (city_day, class) {
        city_day -> Text,
        class -> Text,
        node -> Text,
        claimed_at -> Timestamp,
        lease_until -> Timestamp,
        attempts -> Integer,
        finished_at -> Nullable<Timestamp>,
        raised -> Nullable<Integer>,
        grown -> Nullable<Integer>,
    }
}
