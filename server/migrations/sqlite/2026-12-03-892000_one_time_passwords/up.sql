-- A password reset issues a one-time password: the account signs in with it only by choosing
-- a new password in the same sign-in (`new_password`), which clears this flag. Set by a reset
-- (an admin's, or a street office's for its inspectors and handlers); cleared by any change of
-- password.
ALTER TABLE users ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;
