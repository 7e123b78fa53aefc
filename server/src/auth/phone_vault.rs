//! Phone numbers at rest: the one module that turns a citizen's number into what the database
//! keeps, and back.
//!
//! A number is stored twice, neither time as text: sealed with ChaCha20-Poly1305 under a fresh
//! random 96-bit nonce (`users.phone_sealed`, readable only with the key), and as an
//! HMAC-SHA256 look-up hash (`users.phone_hash`, `otp_challenges.phone_hash` and the per-number
//! throttle key), so an account is found by its number without decrypting every row. Both keys
//! are derived from `GRIDLINE_PHONE_KEY` under their own labels; a copy of the database alone
//! gives neither the numbers nor a way to test guesses against the hashes.
//!
//! [`seal_plain_numbers`] encrypts the numbers an older version stored in `users.phone` (run
//! once after the migrations, at every start-up: it finds nothing to do once done).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Conn;
use super::error::{AuthError, AuthResult};
use super::phone::PhoneNumber;
use crate::store::schema::users;

type HmacSha256 = Hmac<Sha256>;

/// The format tag of a sealed number; a later key or cipher gets a new tag.
const SEALED_PREFIX: &str = "v1:";
/// Bound into every sealed value, so a sealed number cannot be passed off as another field.
const ASSOCIATED_DATA: &[u8] = b"gridline/users.phone/v1";
/// The same for a hotline caller's name (`hotline_calls.caller_name_sealed`).
const CALLER_NAME_ASSOCIATED_DATA: &[u8] = b"gridline/hotline_calls.caller_name/v1";
const OPEN311_EMAIL_ASSOCIATED_DATA: &[u8] = b"gridline/open311_requests.email/v1";
const NONCE_BYTES: usize = 12;

/// The keys that seal and hash phone numbers (from `GRIDLINE_PHONE_KEY`).
#[derive(Clone)]
pub struct PhoneVault {
    cipher: ChaCha20Poly1305,
    lookup: HmacSha256,
}

impl std::fmt::Debug for PhoneVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneVault(..)")
    }
}

fn hmac(key: &[u8]) -> AuthResult<HmacSha256> {
    <HmacSha256 as Mac>::new_from_slice(key).map_err(|e| AuthError::Internal(format!("HMAC key: {e}")))
}

impl PhoneVault {
    /// Derives the encryption key and the look-up key from the configured phone key.
    pub fn from_key(phone_key: &[u8]) -> AuthResult<Self> {
        let derive = |label: &[u8]| -> AuthResult<[u8; 32]> {
            let mut mac = hmac(phone_key)?;
            mac.update(label);
            Ok(mac.finalize().into_bytes().into())
        };
        let encryption = derive(b"gridline/phone-encryption/v1")?;
        let lookup = derive(b"gridline/phone-lookup/v1")?;
        Ok(Self { cipher: ChaCha20Poly1305::new(Key::from_slice(&encryption)), lookup: hmac(&lookup)? })
    }

    /// The look-up hash of `phone` (hex): equal numbers give equal hashes under one key.
    pub fn lookup_hash(&self, phone: &PhoneNumber) -> String {
        let mut mac = self.lookup.clone();
        mac.update(phone.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// `phone` encrypted under a fresh random nonce: `v1:` and the hex of nonce and ciphertext.
    pub fn seal(&self, phone: &PhoneNumber) -> AuthResult<String> {
        self.seal_bytes(phone.as_str().as_bytes(), ASSOCIATED_DATA)
    }

    /// The number sealed in `sealed`; a value sealed under another key, or altered, is an error.
    pub fn open(&self, sealed: &str) -> AuthResult<PhoneNumber> {
        let text = self.open_text(sealed, ASSOCIATED_DATA)?;
        PhoneNumber::parse(&text)
            .map_err(|_| AuthError::Internal("a stored phone number does not open with this key".into()))
    }

    /// A hotline caller's name, sealed like a number but bound to its own field.
    pub fn seal_caller_name(&self, name: &str) -> AuthResult<String> {
        self.seal_bytes(name.as_bytes(), CALLER_NAME_ASSOCIATED_DATA)
    }

    /// The caller's name sealed by [`Self::seal_caller_name`].
    pub fn open_caller_name(&self, sealed: &str) -> AuthResult<String> {
        self.open_text(sealed, CALLER_NAME_ASSOCIATED_DATA)
    }

    /// An Open311 requester's e-mail address, sealed for its own column.
    pub fn seal_open311_email(&self, address: &str) -> AuthResult<String> {
        self.seal_bytes(address.as_bytes(), OPEN311_EMAIL_ASSOCIATED_DATA)
    }

    /// The address sealed by [`Self::seal_open311_email`].
    pub fn open_open311_email(&self, sealed: &str) -> AuthResult<String> {
        self.open_text(sealed, OPEN311_EMAIL_ASSOCIATED_DATA)
    }

    fn seal_bytes(&self, msg: &[u8], aad: &[u8]) -> AuthResult<String> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad })
            .map_err(|_| AuthError::Internal("personal data encryption failed".into()))?;
        Ok(format!("{SEALED_PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed)))
    }

    fn open_text(&self, sealed: &str, aad: &[u8]) -> AuthResult<String> {
        let broken = || AuthError::Internal("a stored sealed value does not open with this key".into());
        let bytes =
            sealed.strip_prefix(SEALED_PREFIX).and_then(|h| hex::decode(h).ok()).ok_or_else(broken)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(broken());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad })
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

/// Encrypts every number still stored as text in `users.phone` (by a version before numbers
/// were sealed), in one transaction: each gets its sealed value and look-up hash and its text
/// is cleared. Returns how many rows it changed; once done it finds nothing to do.
pub fn seal_plain_numbers(conn: &mut Conn, vault: &PhoneVault) -> AuthResult<usize> {
    crate::store::write_transaction(conn, |conn| {
        let plain: Vec<(String, String)> = users::table
            .filter(users::phone.is_not_null())
            .select((users::id, users::phone.assume_not_null()))
            .load(conn)?;
        for (id, text) in &plain {
            let phone = PhoneNumber::parse(text)
                .map_err(|e| AuthError::Internal(format!("user {id}: stored phone number: {e}")))?;
            diesel::update(users::table.filter(users::id.eq(id)))
                .set((
                    users::phone.eq(None::<String>),
                    users::phone_hash.eq(vault.lookup_hash(&phone)),
                    users::phone_sealed.eq(vault.seal(&phone)?),
                ))
                .execute(conn)?;
        }
        Ok(plain.len())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sealed_numbers_open_only_with_their_key_and_never_repeat() {
        let vault = PhoneVault::from_key(b"0123456789abcdef0123456789abcdef").unwrap();
        let other = PhoneVault::from_key(b"fedcba9876543210fedcba9876543210").unwrap();
        let phone = PhoneNumber::parse("13800138000").unwrap();
        let (a, b) = (vault.seal(&phone).unwrap(), vault.seal(&phone).unwrap());
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("13800138000"));
        assert_eq!(vault.open(&a).unwrap(), phone);
        assert!(other.open(&a).is_err());
        let mut altered = a.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert!(vault.open(std::str::from_utf8(&altered).unwrap()).is_err());
        assert_eq!(
            vault.lookup_hash(&phone),
            vault.lookup_hash(&PhoneNumber::parse("+86 138 0013 8000").unwrap())
        );
        assert_ne!(vault.lookup_hash(&phone), other.lookup_hash(&phone));
    }
}
