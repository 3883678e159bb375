// The diesel schema, shared by both backends (the `schema_matches_migrations` test checks it
// against the migrations of each).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        token_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        external_issuer -> Nullable<Text>,
        external_subject -> Nullable<Text>,
        email_digest -> Text,
        digest_cursor_seq -> BigInt,
        digest_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    records (id) {
        id -> Text,
        kind -> Text,
        external_key -> Nullable<Text>,
        owner_id -> Text,
        status -> Text,
        label -> Text,
        country -> Text,
        body -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        kind -> Text,
        entity_id -> Text,
        op -> Text,
        version -> BigInt,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    introductions (id) {
        id -> Text,
        need_id -> Text,
        platform_id -> Text,
        proposed_by -> Text,
        proposer_id -> Text,
        state -> Text,
        score -> Double,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    introduction_messages (id) {
        id -> Text,
        introduction_id -> Text,
        author_id -> Nullable<Text>,
        side -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        recipient_id -> Text,
        subject_id -> Text,
        payload -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        owner_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        cursor_seq -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        attempts -> BigInt,
        last_status -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        kind -> Text,
        query -> Text,
        need_id -> Nullable<Text>,
        min_score -> Nullable<Double>,
        cursor_seq -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_search_hits (saved_search_id, record_id) {
        saved_search_id -> Text,
        record_id -> Text,
        hit_seq -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket, client, window_start) {
        bucket -> Text,
        client -> Text,
        window_start -> BigInt,
        hits -> BigInt,
    }
}

diesel::joinable!(records -> users (owner_id));
diesel::joinable!(events -> users (recipient_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(saved_search_hits -> saved_searches (saved_search_id));
diesel::joinable!(introduction_messages -> introductions (introduction_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    records,
    change_log,
    introductions,
    introduction_messages,
    events,
    webhooks,
    webhook_deliveries,
    saved_searches,
    saved_search_hits,
    rate_limits
);
