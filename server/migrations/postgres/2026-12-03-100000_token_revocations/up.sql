-- Access tokens of an account issued before `revoked_before_ms` (Unix milliseconds) are no
-- longer accepted: written when the account signs out, is disabled or changes role, scope or
-- password. Every node keeps the recent rows in memory (see server/src/auth/revocation.rs).
CREATE TABLE token_revocations (
    user_id TEXT PRIMARY KEY NOT NULL,
    revoked_before_ms BIGINT NOT NULL
);
