-- Notifications to reporters (server/src/notify/).
--
-- notification_outbox: one row per public change of a case (core's PublicChange), written in the
-- same transaction as the step's event, so a change is never recorded without its notice nor a
-- notice without its change. The delivery job expands each row into deliveries, once.
CREATE TABLE notification_outbox (
    event_id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    public_change TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expanded_at TIMESTAMP
);
CREATE INDEX notification_outbox_waiting ON notification_outbox (created_at) WHERE expanded_at IS NULL;

-- One message to one address by one channel: the per-case notification log. `target` is what
-- the sender needs (the e-mail address, the push token; `phone` for the reporter's sealed
-- number, opened only when sending); `shown_to` is the masked form staff and the reporter see.
-- The unique key makes expanding an outbox row twice impossible.
CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    public_change TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    shown_to TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (event_id, channel, target)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending');
CREATE INDEX notification_deliveries_case ON notification_deliveries (case_id, created_at);

-- What a reporter wants to be told by, and in which language. No row: every channel the
-- account has an address for, in Chinese.
CREATE TABLE notification_preferences (
    user_id TEXT PRIMARY KEY NOT NULL,
    sms BOOLEAN NOT NULL,
    push BOOLEAN NOT NULL,
    email BOOLEAN NOT NULL,
    email_address TEXT,
    language TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Push tokens the apps register for their signed-in account (one device, one token; a token
-- registered again by another account moves to it).
CREATE TABLE push_tokens (
    token TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX push_tokens_user ON push_tokens (user_id);
