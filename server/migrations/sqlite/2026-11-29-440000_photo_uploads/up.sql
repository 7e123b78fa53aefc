-- Idempotent photo uploads: the first answer to each (account, Idempotency-Key), so a retried
-- upload gets the same photo back and stores nothing new. The primary key is the guard that
-- lets only one of two concurrent duplicates win; `request_sha256` (of the uploaded bytes)
-- tells a retry from a different upload under a reused key.
CREATE TABLE photo_uploads (
    account_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    photo_id TEXT NOT NULL REFERENCES photos (id),
    -- The JSON body of the first answer, replayed as is.
    receipt TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
