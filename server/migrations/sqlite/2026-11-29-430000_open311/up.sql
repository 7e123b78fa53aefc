-- Open311 GeoReport v2: the API keys that let other systems submit service requests, and which
-- key submitted each case that came in that way. Times are Unix seconds, as for accounts.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    -- who the key was issued to, e.g. "City 311 app"
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the key; the key itself is shown once at creation and never stored
    key_hash TEXT NOT NULL UNIQUE,
    -- the key's first characters, so an admin can tell keys apart without the secret
    key_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- A case's Open311 origin. The requester's contact details are not kept: nothing would read
-- them, and the case itself never names its reporter publicly.
CREATE TABLE open311_requests (
    case_id TEXT PRIMARY KEY NOT NULL REFERENCES cases (id),
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    created_at BIGINT NOT NULL
);

CREATE INDEX open311_requests_key_idx ON open311_requests (api_key_id);

-- GET /open311/v2/requests reads by request time (the last 90 days by default).
CREATE INDEX cases_created_idx ON cases (created_at);
