// The tables as diesel sees them. Kept by hand beside the two migration folders (which differ
// only in dialect); the migration test proves both folders build what this file describes.

diesel::table! {
    groups (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        path -> Text,
        name -> Text,
        name_key -> Text,
        level -> Integer,
        service_type -> Text,
        state -> Text,
        trial_expires_at -> Nullable<Timestamp>,
        customer_reference -> Nullable<Text>,
        automatic_deployment -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        own_devices -> BigInt,
    }
}

diesel::table! {
    company_profiles (group_id) {
        group_id -> BigInt,
        legal_name -> Nullable<Text>,
        website -> Nullable<Text>,
        phone -> Nullable<Text>,
        fax -> Nullable<Text>,
        vat_number -> Nullable<Text>,
        chamber_of_commerce_number -> Nullable<Text>,
        bank_account -> Nullable<Text>,
        street -> Nullable<Text>,
        city -> Nullable<Text>,
        district -> Nullable<Text>,
        state -> Nullable<Text>,
        zip -> Nullable<Text>,
        country -> Nullable<Text>,
        billing_contact -> Nullable<Text>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        group_id -> BigInt,
        name -> Text,
        os -> Text,
        created_at -> Timestamp,
        enrolled -> Bool,
        status -> Nullable<Text>,
        selected_bytes -> BigInt,
        used_bytes -> BigInt,
        last_session_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
        credential_hash -> Nullable<Text>,
        passphrase_hash -> Nullable<Text>,
        passphrase_by -> Nullable<BigInt>,
        passphrase_at -> Nullable<Timestamp>,
        profile_id -> Nullable<BigInt>,
        retention_policy_id -> Nullable<BigInt>,
        machine_id -> Nullable<Text>,
    }
}

diesel::table! {
    device_sessions (id) {
        id -> BigInt,
        device_id -> BigInt,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        status -> Text,
        selected_bytes -> BigInt,
        used_bytes -> BigInt,
        files -> BigInt,
        errors -> BigInt,
        received_at -> Timestamp,
    }
}

diesel::table! {
    device_history (device_id, day) {
        device_id -> BigInt,
        day -> Date,
        sessions -> BigInt,
        sessions_with_errors -> BigInt,
        selected_bytes -> BigInt,
        used_bytes -> BigInt,
        sessions_completed -> BigInt,
        sessions_failed -> BigInt,
    }
}

diesel::table! {
    known_plugins (name) {
        name -> Text,
        route_paths -> Text,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    rollup_marks (day) {
        day -> Date,
        marked_at -> Timestamp,
    }
}

diesel::table! {
    group_daily (group_id, day) {
        group_id -> BigInt,
        day -> Date,
        devices -> BigInt,
        selected_bytes -> BigInt,
        used_bytes -> BigInt,
        sessions_completed -> BigInt,
        sessions_failed -> BigInt,
        sessions_with_errors -> BigInt,
        customers -> BigInt,
        rolled_up_at -> Timestamp,
    }
}

diesel::table! {
    deployment_tokens (id) {
        id -> BigInt,
        group_id -> BigInt,
        token_hash -> Text,
        name -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    backup_defaults (group_id) {
        group_id -> BigInt,
        profile_id -> Nullable<BigInt>,
        retention_policy_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    backup_settings (id) {
        id -> BigInt,
        kind -> Text,
        group_id -> BigInt,
        name -> Text,
        settings -> Text,
        is_default -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        group_id -> BigInt,
        username -> Text,
        username_key -> Text,
        name -> Nullable<Text>,
        role -> Text,
        security_officer -> Bool,
        kind -> Text,
        password_hash -> Nullable<Text>,
        failed_logins -> Integer,
        first_failed_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        idle_expires_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    plugin_records (id) {
        id -> BigInt,
        plugin -> Text,
        group_id -> BigInt,
        collection -> Text,
        sort_key -> Text,
        data -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        unique_key -> Nullable<Text>,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        plugin -> Text,
        group_id -> BigInt,
        source -> Text,
        recipients -> Text,
        subject -> Text,
        content -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(company_profiles -> groups (group_id));
diesel::joinable!(mail_outbox -> groups (group_id));
diesel::joinable!(plugin_records -> groups (group_id));
diesel::joinable!(device_sessions -> devices (device_id));
diesel::joinable!(deployment_tokens -> groups (group_id));
diesel::joinable!(backup_settings -> groups (group_id));
diesel::joinable!(device_history -> devices (device_id));
diesel::joinable!(devices -> groups (group_id));
diesel::joinable!(group_daily -> groups (group_id));
diesel::joinable!(users -> groups (group_id));
diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    groups,
    company_profiles,
    devices,
    users,
    sessions,
    plugin_records,
    device_sessions,
    device_history,
    deployment_tokens,
    backup_settings,
    backup_defaults,
    group_daily,
    rollup_marks,
    mail_outbox
);
