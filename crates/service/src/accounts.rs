//! Accounts: registration with its rules, password sign-in and change (argon2id hashes), and
//! the local accounts of external identities. Tokens are the API's business; this module
//! decides who an account is.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use omics_domain::{Code, FieldCode, FieldError, Role, ValidationErrors, body, limits, valid_email};
use omics_store::{ExternalId, NewExternalUser, NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Error, Result, Service};

pub use omics_domain::limits::{MAX_PASSWORD, MIN_PASSWORD};

/// Hash a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(Error::internal)
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Check the length of `value` in characters: `required` below `min` (when `min` is 1),
/// `too_short` below a larger `min`, `too_long` above `max`.
fn check_length(errors: &mut ValidationErrors, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        let code = if min == 1 { FieldCode::Required } else { FieldCode::TooShort };
        errors.push(FieldError::new(field, code, format!("{field} has {n} characters; use at least {min}")));
    } else if n > max {
        errors.push(FieldError::new(field, FieldCode::TooLong, format!("{field} has {n} characters; at most {max}")));
    }
}

/// A new account. Admins are created with the `create-admin` command, never here.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "ana.silva@example.org")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    #[schema(example = "Ana Silva")]
    pub display_name: String,
    /// `researcher` or `platform_manager`.
    #[schema(example = "platform_manager")]
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(example = "ana.silva@example.org")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// An account as others see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView { id: u.id, email: u.email, display_name: u.display_name, role: u.role, created_at: Some(u.created_at) }
    }
}

/// Who a verified external token names, with the role its claims map to.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub display_name: String,
    pub role: Role,
}

impl Service {
    /// Register an account from a JSON body.
    pub fn register(&self, body: serde_json::Value) -> Result<UserView> {
        let req: RegisterRequest = body::from_value(body)?;
        let mut errors = ValidationErrors::default();
        let email = req.email.trim().to_owned();
        if email.chars().count() > limits::EMAIL {
            check_length(&mut errors, "email", &email, 1, limits::EMAIL);
        } else if !valid_email(&email) {
            errors.push(FieldError::new("email", FieldCode::InvalidFormat, "email must be an address like ana.silva@example.org"));
        }
        check_length(&mut errors, "password", &req.password, MIN_PASSWORD, MAX_PASSWORD);
        let display_name = req.display_name.trim().to_owned();
        check_length(&mut errors, "display_name", &display_name, 1, limits::SHORT_TEXT);
        if req.role == Role::Admin {
            errors.push(FieldError::new(
                "role",
                FieldCode::InvalidValue,
                "role is researcher or platform_manager; admins are created by the operator",
            ));
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let password_hash = hash_password(&req.password)?;
        Ok(self.store.create_user(NewUser { email, display_name, role: req.role, password_hash })?.into())
    }

    /// The account of an email and password (a JSON body), or 401 `invalid_credentials`.
    pub fn sign_in(&self, body: serde_json::Value) -> Result<User> {
        let req: TokenRequest = body::from_value(body)?;
        let mut errors = ValidationErrors::default();
        check_length(&mut errors, "email", &req.email, 0, limits::EMAIL);
        check_length(&mut errors, "password", &req.password, 0, MAX_PASSWORD);
        errors.into_result(())?;
        let user = self.store.user_by_email(&req.email)?;
        user.filter(|u| verify_password(&req.password, &u.password_hash))
            .ok_or_else(|| Error::new(Code::InvalidCredentials, "wrong email or password"))
    }

    /// Change an account's password (a JSON body); every token issued before stops working.
    pub fn change_password(&self, account: Uuid, body: serde_json::Value) -> Result<()> {
        let req: PasswordChange = body::from_value(body)?;
        let mut errors = ValidationErrors::default();
        check_length(&mut errors, "current_password", &req.current_password, 0, MAX_PASSWORD);
        check_length(&mut errors, "new_password", &req.new_password, MIN_PASSWORD, MAX_PASSWORD);
        errors.into_result(())?;
        let user = self.store.user_by_id(account)?.ok_or_else(|| Error::new(Code::InvalidToken, "the account no longer exists"))?;
        if !verify_password(&req.current_password, &user.password_hash) {
            return Err(Error::new(Code::InvalidCredentials, "the current password is wrong"));
        }
        Ok(self.store.set_password(account, &hash_password(&req.new_password)?)?)
    }

    /// The account with this id, if any.
    pub fn account(&self, id: Uuid) -> Result<Option<User>> {
        Ok(self.store.user_by_id(id)?)
    }

    /// The local account of a verified external identity: created on first sight, keyed by
    /// issuer and subject (never by email); its stored role follows the role the token maps to.
    pub fn external_account(&self, issuer: &str, identity: ExternalIdentity) -> Result<User> {
        let ExternalIdentity { subject, email, display_name, role } = identity;
        let id = ExternalId { issuer: issuer.to_owned(), subject };
        let user = match self.store.user_by_external(&id)? {
            Some(u) => u,
            None => {
                tracing::info!(issuer = %id.issuer, "first sight of an external account");
                self.store.external_user(NewExternalUser { id, email, display_name, role })?
            }
        };
        if user.role != role {
            tracing::info!(user = %user.id, from = user.role.as_str(), to = role.as_str(), "external account's role follows its issuer");
            self.store.set_role(user.id, role)?;
        }
        Ok(User { role, ..user })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
