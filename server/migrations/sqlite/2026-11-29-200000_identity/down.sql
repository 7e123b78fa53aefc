DROP TABLE auth_throttles;
DROP TABLE otp_challenges;
DROP TABLE refresh_tokens;
DROP TABLE users;
