//! Signed tokens (JWT, HS256 only). API bearer tokens and page sign-ins
//! have different audiences, so one cannot stand in for the other. `exp`
//! is checked against the service clock; `iss`, `aud`, `sub` and the
//! algorithm by jsonwebtoken (`alg: none` and any other algorithm refused).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::role::Role;

pub const API_AUDIENCE: &str = "convene-api";
pub const PAGES_AUDIENCE: &str = "convene-pages";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub role: Role,
    /// The user's token version when issued: a bump revokes the token.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
    /// Page sign-ins only: the value every organizer form must echo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
}

#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

impl Keys {
    /// From the configured secret; an empty one gets a random key.
    pub fn new(secret: &str, issuer: &str) -> Self {
        let secret = if secret.is_empty() {
            crate::web::token::new_token() + &crate::web::token::new_token()
        } else {
            secret.to_string()
        };
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_string(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        version: i32,
        audience: &str,
        lifetime: Duration,
        now: DateTime<Utc>,
        csrf: Option<String>,
    ) -> (String, Claims) {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: audience.to_string(),
            sub: user_id.to_string(),
            role,
            ver: version,
            iat: now.timestamp(),
            exp: (now + lifetime).timestamp(),
            csrf,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail");
        (token, claims)
    }

    pub fn verify(
        &self,
        token: &str,
        audience: &str,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry against the service clock, below.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> Keys {
        Keys::new("a test secret of at least thirty-two bytes", "convene")
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn token() -> String {
        keys()
            .issue(
                7,
                Role::Organizer,
                0,
                API_AUDIENCE,
                Duration::minutes(30),
                now(),
                None,
            )
            .0
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let claims = keys().verify(&token(), API_AUDIENCE, now()).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("7", Role::Organizer));
        assert_eq!(
            keys().verify(&token(), API_AUDIENCE, now() + Duration::minutes(30)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn wrong_audience_key_or_tampering_is_refused() {
        let t = token();
        assert_eq!(
            keys().verify(&t, PAGES_AUDIENCE, now()),
            Err(TokenError::Invalid)
        );
        let other = Keys::new("another secret of at least thirty-two bytes", "convene");
        assert_eq!(
            other.verify(&t, API_AUDIENCE, now()),
            Err(TokenError::Invalid)
        );
        let (head, rest) = t.split_once('.').unwrap();
        let (payload, sig) = rest.split_once('.').unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut json: serde_json::Value =
            serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
        json["role"] = "admin".into();
        let forged = format!("{head}.{}.{sig}", b64.encode(json.to_string()));
        assert_eq!(
            keys().verify(&forged, API_AUDIENCE, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = t_payload();
        for alg in ["none", "None", "HS512"] {
            let header = b64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            let unsigned = format!("{header}.{payload}.");
            assert_eq!(
                keys().verify(&unsigned, API_AUDIENCE, now()),
                Err(TokenError::Invalid),
                "{alg}"
            );
        }
        // Signed with the same secret but HS384: still refused.
        let claims = keys().verify(&token(), API_AUDIENCE, now()).unwrap();
        let hs384 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS384),
            &claims,
            &EncodingKey::from_secret(b"a test secret of at least thirty-two bytes"),
        )
        .unwrap();
        assert_eq!(
            keys().verify(&hs384, API_AUDIENCE, now()),
            Err(TokenError::Invalid)
        );
    }

    fn t_payload() -> String {
        token().split('.').nth(1).unwrap().to_string()
    }
}
