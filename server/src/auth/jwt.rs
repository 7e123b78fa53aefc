//! Access tokens: short-lived JWTs signed with HS256 under `GRIDLINE_JWT_SECRET`.
//!
//! Exactly one algorithm is accepted ([`Validation`] lists only HS256), so `alg: none`, HS384 or
//! HS512 under the same secret and any asymmetric algorithm (the HS/RS confusion) are refused
//! before the signature is looked at. Issuer and audience are fixed per purpose (this module
//! issues only the `gridline-api` audience); `exp` and `nbf` are required and checked with a
//! small leeway for clock skew between nodes.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use gridline_core::workflow::Role;

use super::scope::Scope;

/// The one signing algorithm.
pub const ALGORITHM: Algorithm = Algorithm::HS256;
/// The `iss` of every token this server issues.
pub const ISSUER: &str = "gridline";
/// The `aud` of access tokens for the HTTP API.
pub const API_AUDIENCE: &str = "gridline-api";
/// Access token lifetime: 15 minutes.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// Allowed clock skew between nodes when checking `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 5;
/// Shortest accepted secret: 256 bits, the HS256 output size.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("GRIDLINE_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes, got {0}")]
    SecretTooShort(usize),
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid: {0}")]
    Invalid(&'static str),
    #[error("could not sign the access token: {0}")]
    Signing(String),
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// A unique id per token, for audit trails.
    pub jti: String,
    pub role: Role,
    pub scope: Scope,
}

/// The signing and checking keys, built once at start-up.
#[derive(Clone)]
pub struct AccessTokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for AccessTokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessTokenKeys(..)")
    }
}

impl AccessTokenKeys {
    pub fn from_secret(secret: &[u8]) -> Result<Self, JwtError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(JwtError::SecretTooShort(secret.len()));
        }
        let encoding = EncodingKey::from_secret(secret).map_err(|e| JwtError::Signing(e.to_string()))?;
        let decoding = DecodingKey::from_secret(secret).map_err(|e| JwtError::Signing(e.to_string()))?;
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[API_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Ok(Self { encoding, decoding, validation })
    }

    /// Sign an access token for `user_id` valid from `now` (Unix seconds) for 15 minutes.
    pub fn issue(&self, user_id: &str, role: Role, scope: &Scope, now: i64) -> Result<String, JwtError> {
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            aud: API_AUDIENCE.to_owned(),
            sub: user_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            jti: Uuid::now_v7().to_string(),
            role,
            scope: scope.clone(),
        };
        encode(&Header::new(ALGORITHM), &claims, &self.encoding).map_err(|e| JwtError::Signing(e.to_string()))
    }

    /// Check a token's algorithm, signature, issuer, audience and times; return its claims.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, JwtError> {
        match decode::<AccessClaims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::ExpiredSignature => JwtError::Expired,
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => JwtError::Invalid("algorithm"),
                ErrorKind::InvalidSignature => JwtError::Invalid("signature"),
                ErrorKind::InvalidIssuer => JwtError::Invalid("issuer"),
                ErrorKind::InvalidAudience => JwtError::Invalid("audience"),
                ErrorKind::ImmatureSignature => JwtError::Invalid("not yet valid"),
                ErrorKind::MissingRequiredClaim(_)
                | ErrorKind::InvalidClaimFormat(_)
                | ErrorKind::Json(_) => JwtError::Invalid("claims"),
                _ => JwtError::Invalid("format"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test";

    fn keys() -> AccessTokenKeys {
        AccessTokenKeys::from_secret(SECRET).unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn valid_claims_json(now: i64) -> String {
        format!(
            r#"{{"iss":"gridline","aud":"gridline-api","sub":"u1","iat":{now},"nbf":{now},"exp":{},"jti":"j","role":"citizen","scope":{{"kind":"own"}}}}"#,
            now + 600
        )
    }

    #[test]
    fn a_fresh_token_round_trips() {
        let token = keys().issue("u1", Role::Inspector, &Scope::City, now()).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.role, Role::Inspector);
        assert_eq!(claims.scope, Scope::City);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(AccessTokenKeys::from_secret(b"short").unwrap_err(), JwtError::SecretTooShort(5));
    }

    #[test]
    fn expired_and_future_tokens_are_refused() {
        let old = keys().issue("u1", Role::Citizen, &Scope::Own, now() - 3600).unwrap();
        assert_eq!(keys().verify(&old), Err(JwtError::Expired));
        let future = keys().issue("u1", Role::Citizen, &Scope::Own, now() + 3600).unwrap();
        assert_eq!(keys().verify(&future), Err(JwtError::Invalid("not yet valid")));
    }

    #[test]
    fn alg_none_is_refused() {
        let token = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&valid_claims_json(now())));
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn another_hmac_algorithm_under_the_same_secret_is_refused() {
        let claims = keys().verify(&keys().issue("u1", Role::Admin, &Scope::City, now()).unwrap()).unwrap();
        let hs512 =
            encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET).unwrap())
                .unwrap();
        assert_eq!(keys().verify(&hs512), Err(JwtError::Invalid("algorithm")));
    }

    #[test]
    fn a_different_secret_is_refused() {
        let other = AccessTokenKeys::from_secret(b"another secret that is long enough!!").unwrap();
        let token = other.issue("u1", Role::Admin, &Scope::City, now()).unwrap();
        assert_eq!(keys().verify(&token), Err(JwtError::Invalid("signature")));
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = keys().issue("u1", Role::Citizen, &Scope::Own, now()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = payload.replace(r#""role":"citizen""#, r#""role":"admin""#);
        assert_ne!(payload, forged);
        let token = format!("{}.{}.{}", parts[0], b64(&forged), parts[2]);
        assert_eq!(keys().verify(&token), Err(JwtError::Invalid("signature")));
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let now = now();
        let sign = |claims: &str| {
            let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
            let body = b64(claims);
            let signature = jsonwebtoken::crypto::sign(
                format!("{header}.{body}").as_bytes(),
                &EncodingKey::from_secret(SECRET).unwrap(),
                Algorithm::HS256,
            )
            .unwrap();
            format!("{header}.{body}.{signature}")
        };
        let good = valid_claims_json(now);
        assert!(keys().verify(&sign(&good)).is_ok(), "the hand-made token itself is valid");
        let wrong_aud = good.replace("gridline-api", "gridline-admin");
        assert_eq!(keys().verify(&sign(&wrong_aud)), Err(JwtError::Invalid("audience")));
        let wrong_iss = good.replace(r#""iss":"gridline""#, r#""iss":"someone-else""#);
        assert_eq!(keys().verify(&sign(&wrong_iss)), Err(JwtError::Invalid("issuer")));
        let no_nbf = good.replace(&format!(r#""nbf":{now},"#), "");
        assert_eq!(keys().verify(&sign(&no_nbf)), Err(JwtError::Invalid("claims")));
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9..sig"] {
            assert!(keys().verify(token).is_err(), "{token:?}");
        }
    }
}
