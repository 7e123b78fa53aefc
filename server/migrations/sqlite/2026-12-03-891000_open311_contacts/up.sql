-- The e-mail address an Open311 client sent with a request (GeoReport v2's `email`), sealed
-- like the accounts' phone numbers (ChaCha20-Poly1305 under GRIDLINE_PHONE_KEY, bound to this
-- column), so the requester is told by e-mail when the case changes in public. Nothing else
-- reads it; the request's other contact fields are still dropped.
ALTER TABLE open311_requests ADD COLUMN email_sealed TEXT;
