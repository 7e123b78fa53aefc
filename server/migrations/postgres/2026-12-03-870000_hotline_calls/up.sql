-- One row per call the hotline took: the case it made (or, for "same problem", the open case
-- the caller was linked to), who took it, the call's type and urgency, and the caller. The
-- caller's number and name are kept only sealed (ChaCha20-Poly1305 under GRIDLINE_PHONE_KEY,
-- see auth/phone_vault.rs), the number also as its look-up hash; `confidential` asks that
-- nobody outside the hotline sees them. A retried call (same operator, same Idempotency-Key)
-- is one row. `transferred_to` names where a transferred call went (110, 119, 120,
-- other_city); the reason is in the case's `transfer` step.
CREATE TABLE hotline_calls (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    linked BOOLEAN NOT NULL,
    operator_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    call_type TEXT NOT NULL,
    urgency TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    confidential BOOLEAN NOT NULL,
    caller_phone_hash TEXT,
    caller_phone_sealed TEXT,
    caller_name_sealed TEXT,
    transferred_to TEXT,
    hotline_code TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (operator_id, idempotency_key)
);
CREATE INDEX hotline_calls_case ON hotline_calls (case_id);
