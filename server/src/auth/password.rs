//! Staff passwords: argon2id hashing in PHC string form, verification, and the dummy hash
//! that makes a login for an unknown account cost the same as one for a real account.
//!
//! Parameters (OWASP Password Storage Cheat Sheet, first argon2id row): 19 MiB of memory,
//! 2 iterations, 1 lane, 16-byte random salt, 32-byte output. The parameters travel inside
//! each stored PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`), so raising them later only
//! affects new hashes and old ones keep verifying.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

/// Memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Number of passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Degree of parallelism.
pub const LANES: u32 = 1;
/// Shortest password an account may be given.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted; bounds the work an attacker can ask for.
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters, got {0}")]
    TooShort(usize),
    #[error("a password may have at most {MAX_PASSWORD_CHARS} characters, got {0}")]
    TooLong(usize),
    #[error("argon2 could not hash the password: {0}")]
    Hashing(String),
}

fn argon2id() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Check the length rules for a new password.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong(chars));
    }
    Ok(())
}

/// Hash a password with argon2id and a fresh random salt; returns the PHC string to store.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let hash = argon2id()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Spend the same time as a real verification, for a login name that has no account (or no
/// password), so response times do not reveal which accounts exist. Always returns `false`.
pub fn verify_against_dummy(password: &str) -> bool {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password(&generate_password()).ok());
    match dummy {
        Some(hash) => {
            let _ = verify_password(password, hash);
            false
        }
        None => false,
    }
}

/// A random password of 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
/// for initial and demo accounts; about 115 bits of entropy.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            let i = rand::Rng::random_range(&mut rng, 0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_and_no_other() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_malformed_stored_hash_never_matches() {
        assert!(!verify_password("anything", "not a phc string"));
        assert!(!verify_password("", ""));
    }

    #[test]
    fn the_dummy_never_matches() {
        assert!(!verify_against_dummy("anything at all"));
    }

    #[test]
    fn new_password_length_rules() {
        assert!(matches!(check_new_password("short"), Err(PasswordError::TooShort(5))));
        assert!(check_new_password("ten chars!").is_ok());
        assert!(matches!(check_new_password(&"x".repeat(257)), Err(PasswordError::TooLong(257))));
    }

    #[test]
    fn generated_passwords_are_long_random_and_acceptable() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(check_new_password(&a).is_ok());
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
    }
}
