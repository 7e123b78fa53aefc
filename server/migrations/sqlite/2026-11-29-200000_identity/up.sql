-- Identity: accounts (staff, citizens, anonymous devices), refresh-token families, one-time
-- codes and login/code throttles. Times are Unix seconds (BIGINT) so both backends store the
-- same values; ids are UUIDv7 text.
-- Note to the store: this folder sorts after the backbone's first migration (it depends on
-- nothing of it); a later migration that references `users` (a case's reporter) must sort after it.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    -- JSON of auth::Scope: {"kind":"city"}, {"kind":"street","street":"110101001"}, ...
    scope TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- staff sign in with login + password
    login TEXT UNIQUE,
    password_hash TEXT,
    -- citizens sign in with an E.164 phone number + one-time code
    phone TEXT UNIQUE,
    -- anonymous device accounts: SHA-256 of the device secret
    device_secret_hash TEXT UNIQUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX users_role_idx ON users (role);

CREATE TABLE refresh_tokens (
    -- SHA-256 (hex) of the token; the token itself is never stored
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- set when this token was exchanged for the next one of its family
    rotated_at BIGINT,
    -- set on logout, on replay of a rotated token, or when the account is disabled
    revoked_at BIGINT
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE otp_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    -- HMAC-SHA256 (hex) of the E.164 number under the server secret
    phone_hash TEXT NOT NULL,
    -- HMAC-SHA256 (hex) of challenge id + code under the server secret
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at BIGINT
);

CREATE INDEX otp_challenges_phone_idx ON otp_challenges (phone_hash, created_at);

CREATE TABLE auth_throttles (
    -- what is counted, e.g. "login-account:<user id>" or "otp-request-ip:<ip>"
    bucket TEXT PRIMARY KEY NOT NULL,
    hits INTEGER NOT NULL,
    window_started_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
