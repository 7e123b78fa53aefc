-- Phone numbers at rest: the sealed number (ChaCha20-Poly1305) and its keyed look-up hash
-- (HMAC-SHA256), both written by the server (server/src/auth/phone_vault.rs). SQL cannot
-- encrypt: the numbers already in `phone` are sealed and cleared by the server's one-time step
-- after the migrations (`seal_plain_numbers`), in one transaction. `phone` stays for that step.
ALTER TABLE users ADD COLUMN phone_hash TEXT;
ALTER TABLE users ADD COLUMN phone_sealed TEXT;
CREATE UNIQUE INDEX users_phone_hash_idx ON users (phone_hash);
