-- Sealed numbers cannot be turned back into text by SQL: going down loses them.
DROP INDEX users_phone_hash_idx;
ALTER TABLE users DROP COLUMN phone_sealed;
ALTER TABLE users DROP COLUMN phone_hash;
