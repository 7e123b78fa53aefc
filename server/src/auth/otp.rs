//! One-time codes for citizen sign-in by phone: 6 digits, valid 5 minutes, 5 attempts, stored
//! only as HMAC-SHA256 under a key derived from the server secret (a database copy alone cannot
//! brute-force the million codes). The number is kept only as its look-up hash
//! ([`super::phone_vault`]). Requests are limited per number and per IP, wrong codes
//! per IP (see [`super::throttle`]).
//!
//! Delivery goes through an [`OtpSender`]; [`LogSender`] (development only) writes the code and
//! the number's last two digits to the log, the one place a code may appear.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::Conn;
use super::error::{AuthError, AuthResult};
use super::phone::PhoneNumber;
use super::phone_vault::PhoneVault;
use super::throttle::{self, OTP_REQUEST_PER_IP, OTP_REQUEST_PER_PHONE, OTP_VERIFY_PER_IP};
use crate::store::schema::otp_challenges;

/// How long a code stays valid.
pub const CODE_TTL_SECONDS: i64 = 5 * 60;
/// Wrong tries allowed per code.
pub const MAX_ATTEMPTS: i32 = 5;
/// Digits in a code.
pub const CODE_DIGITS: usize = 6;

/// Delivers a code to a phone (an SMS gateway in production). Called on the blocking thread
/// pool, so an implementation may block on network I/O.
pub trait OtpSender: Send + Sync {
    /// Deliver `code` to `phone`. The error text is logged, never shown to the client.
    fn send(&self, phone: &PhoneNumber, code: &str) -> Result<(), String>;
}

/// Development sender: logs the code at INFO, with the number's last two digits. Never install
/// it in production.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSender;

impl OtpSender for LogSender {
    fn send(&self, phone: &PhoneNumber, code: &str) -> Result<(), String> {
        // The number's last two digits only: enough to tell a developer's test phones apart,
        // not enough to put a citizen's number in a log.
        tracing::info!(?phone, code, "development one-time code (not sent anywhere)");
        Ok(())
    }
}

/// The HMAC key for codes, derived from the server secret with its own
/// label so it is never the JWT key itself.
#[derive(Clone)]
pub struct HashKey(HmacSha256);

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Feed length-prefixed parts, so ("ab","c") and ("a","bc") never collide.
fn feed(mut mac: HmacSha256, parts: &[&[u8]]) -> HmacSha256 {
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac
}

impl HashKey {
    pub fn derive(server_secret: &[u8]) -> AuthResult<Self> {
        let outer = <HmacSha256 as Mac>::new_from_slice(server_secret)
            .map_err(|e| AuthError::Internal(format!("HMAC key: {e}")))?;
        let derived = feed(outer, &[b"gridline/otp-and-phone-hashing/v1"]).finalize().into_bytes();
        let mac = <HmacSha256 as Mac>::new_from_slice(&derived)
            .map_err(|e| AuthError::Internal(format!("HMAC key: {e}")))?;
        Ok(Self(mac))
    }

    fn code_mac(&self, challenge_id: &str, code: &str) -> HmacSha256 {
        feed(self.0.clone(), &[b"code", challenge_id.as_bytes(), code.as_bytes()])
    }

    /// The stored form of `code` for challenge `challenge_id`.
    pub fn code_hash(&self, challenge_id: &str, code: &str) -> String {
        hex::encode(self.code_mac(challenge_id, code).finalize().into_bytes())
    }

    /// Constant-time comparison of a typed code against the stored hash.
    fn code_matches(&self, challenge_id: &str, code: &str, stored_hex: &str) -> bool {
        match hex::decode(stored_hex) {
            Ok(stored) => self.code_mac(challenge_id, code).verify_slice(&stored).is_ok(),
            Err(_) => false,
        }
    }
}

fn generate_code() -> String {
    let n: u32 = rand::Rng::random_range(&mut rand::rng(), 0..1_000_000);
    format!("{n:06}")
}

/// Whether `code` has the shape of a code (6 ASCII digits); anything else is refused before
/// touching the database.
fn well_formed(code: &str) -> bool {
    code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// Create a code for `phone` and deliver it. Rate limits: per number and per IP.
pub fn request_code(
    conn: &mut Conn,
    key: &HashKey,
    phones: &PhoneVault,
    sender: &dyn OtpSender,
    phone: &PhoneNumber,
    client_ip: &str,
    now: i64,
) -> AuthResult<()> {
    let phone_hash = phones.lookup_hash(phone);
    throttle::check(conn, &OTP_REQUEST_PER_PHONE, &phone_hash, now)?;
    throttle::check(conn, &OTP_REQUEST_PER_IP, client_ip, now)?;
    throttle::record(conn, &OTP_REQUEST_PER_PHONE, &phone_hash, now)?;
    throttle::record(conn, &OTP_REQUEST_PER_IP, client_ip, now)?;
    let id = Uuid::now_v7().to_string();
    let code = generate_code();
    // a new code replaces any earlier one still open for this number
    diesel::update(
        otp_challenges::table
            .filter(otp_challenges::phone_hash.eq(&phone_hash))
            .filter(otp_challenges::consumed_at.is_null()),
    )
    .set(otp_challenges::consumed_at.eq(now))
    .execute(conn)?;
    diesel::insert_into(otp_challenges::table)
        .values((
            otp_challenges::id.eq(&id),
            otp_challenges::phone_hash.eq(&phone_hash),
            otp_challenges::code_hash.eq(key.code_hash(&id, &code)),
            otp_challenges::created_at.eq(now),
            otp_challenges::expires_at.eq(now + CODE_TTL_SECONDS),
            otp_challenges::attempts.eq(0),
        ))
        .execute(conn)?;
    sender.send(phone, &code).map_err(AuthError::Delivery)
}

/// Check `code` for `phone`. On success the code is used up and cannot be used again.
pub fn verify_code(
    conn: &mut Conn,
    key: &HashKey,
    phones: &PhoneVault,
    phone: &PhoneNumber,
    code: &str,
    client_ip: &str,
    now: i64,
) -> AuthResult<()> {
    throttle::check(conn, &OTP_VERIFY_PER_IP, client_ip, now)?;
    let phone_hash = phones.lookup_hash(phone);
    let challenge: Option<(String, String, i32)> = otp_challenges::table
        .filter(otp_challenges::phone_hash.eq(&phone_hash))
        .filter(otp_challenges::consumed_at.is_null())
        .filter(otp_challenges::expires_at.gt(now))
        .order(otp_challenges::created_at.desc())
        .select((otp_challenges::id, otp_challenges::code_hash, otp_challenges::attempts))
        .first(conn)
        .optional()?;
    // No code, a used-up code and a wrong code answer alike (`OtpInvalid`): the answer must
    // not tell whether a code is pending for the number. A wrong guess counts against the
    // client IP either way.
    let Some((id, code_hash, _)) = challenge else {
        throttle::record(conn, &OTP_VERIFY_PER_IP, client_ip, now)?;
        return Err(AuthError::OtpInvalid);
    };
    // count the attempt first, atomically, so parallel guesses cannot exceed the limit
    let counted =
        diesel::update(otp_challenges::table.find(&id).filter(otp_challenges::attempts.lt(MAX_ATTEMPTS)))
            .set(otp_challenges::attempts.eq(otp_challenges::attempts + 1))
            .execute(conn)?;
    if counted == 0 || !well_formed(code) || !key.code_matches(&id, code, &code_hash) {
        throttle::record(conn, &OTP_VERIFY_PER_IP, client_ip, now)?;
        return Err(AuthError::OtpInvalid);
    }
    let consumed =
        diesel::update(otp_challenges::table.find(&id).filter(otp_challenges::consumed_at.is_null()))
            .set(otp_challenges::consumed_at.eq(now))
            .execute(conn)?;
    if consumed == 0 {
        return Err(AuthError::OtpInvalid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::auth::test_db;

    /// Keeps what it was asked to send, so a test can read the code like the phone would.
    #[derive(Default)]
    struct Inbox(Mutex<Vec<(String, String)>>);

    impl OtpSender for Inbox {
        fn send(&self, phone: &PhoneNumber, code: &str) -> Result<(), String> {
            self.0.lock().unwrap().push((phone.as_str().to_owned(), code.to_owned()));
            Ok(())
        }
    }

    impl Inbox {
        fn last_code(&self) -> String {
            self.0.lock().unwrap().last().unwrap().1.clone()
        }
    }

    fn phones() -> PhoneVault {
        PhoneVault::from_key(b"fedcba9876543210fedcba9876543210").unwrap()
    }

    fn key() -> HashKey {
        HashKey::derive(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("13800138000").unwrap()
    }

    fn wrong(code: &str) -> String {
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
    }

    #[test]
    fn a_delivered_code_signs_in_once() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        let code = inbox.last_code();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        verify_code(&mut conn, &key(), &phones(), &phone(), &code, "ip", 10).unwrap();
        assert!(matches!(
            verify_code(&mut conn, &key(), &phones(), &phone(), &code, "ip", 11),
            Err(AuthError::OtpInvalid)
        ));
    }

    #[test]
    fn codes_are_stored_hashed_and_numbers_not_at_all() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        let (phone_hash, code_hash): (String, String) = otp_challenges::table
            .select((otp_challenges::phone_hash, otp_challenges::code_hash))
            .first(&mut *conn)
            .unwrap();
        assert!(!phone_hash.contains("13800138000"));
        assert_ne!(code_hash, inbox.last_code());
        assert_eq!(code_hash.len(), 64);
    }

    #[test]
    fn a_code_expires_after_five_minutes() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        let code = inbox.last_code();
        assert!(matches!(
            verify_code(&mut conn, &key(), &phones(), &phone(), &code, "ip", CODE_TTL_SECONDS),
            Err(AuthError::OtpInvalid)
        ));
    }

    #[test]
    fn five_wrong_tries_burn_the_code() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        let code = inbox.last_code();
        for _ in 1..MAX_ATTEMPTS {
            let result = verify_code(&mut conn, &key(), &phones(), &phone(), &wrong(&code), "ip", 1);
            assert!(matches!(result, Err(AuthError::OtpInvalid)), "{result:?}");
        }
        assert!(matches!(
            verify_code(&mut conn, &key(), &phones(), &phone(), &wrong(&code), "ip", 1),
            Err(AuthError::OtpInvalid)
        ));
        assert!(
            matches!(
                verify_code(&mut conn, &key(), &phones(), &phone(), &code, "ip", 1),
                Err(AuthError::OtpInvalid)
            ),
            "the right code no longer works"
        );
    }

    #[test]
    fn a_new_code_replaces_the_old_one() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        let first = inbox.last_code();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 1).unwrap();
        let second = inbox.last_code();
        if first != second {
            assert!(verify_code(&mut conn, &key(), &phones(), &phone(), &first, "ip", 2).is_err());
        }
        verify_code(&mut conn, &key(), &phones(), &phone(), &second, "ip", 2).unwrap();
    }

    #[test]
    fn requests_are_limited_per_number_and_per_ip() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        for _ in 0..OTP_REQUEST_PER_PHONE.max_hits {
            request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip-a", 0).unwrap();
        }
        let refused = request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip-b", 1);
        assert!(matches!(refused, Err(AuthError::RateLimited { .. })), "{refused:?}");
        assert_eq!(inbox.0.lock().unwrap().len(), 3, "no code was sent for the refused request");

        let mut n = 0;
        let result = loop {
            let other = PhoneNumber::parse(&format!("1390000{n:04}")).unwrap();
            n += 1;
            if let Err(e) = request_code(&mut conn, &key(), &phones(), &inbox, &other, "ip-c", 0) {
                break e;
            }
        };
        assert!(matches!(result, AuthError::RateLimited { .. }));
        assert_eq!(n - 1, OTP_REQUEST_PER_IP.max_hits as usize, "requests allowed from one IP");
    }

    #[test]
    fn malformed_codes_count_as_wrong() {
        let mut conn = test_db::sqlite();
        let inbox = Inbox::default();
        request_code(&mut conn, &key(), &phones(), &inbox, &phone(), "ip", 0).unwrap();
        for code in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert!(matches!(
                verify_code(&mut conn, &key(), &phones(), &phone(), code, "ip", 1),
                Err(AuthError::OtpInvalid)
            ));
        }
    }

    #[test]
    fn verify_requires_a_request_first() {
        let mut conn = test_db::sqlite();
        assert!(matches!(
            verify_code(&mut conn, &key(), &phones(), &phone(), "123456", "ip", 0),
            Err(AuthError::OtpInvalid)
        ));
    }
}
