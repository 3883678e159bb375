use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use omics_domain::Role;
use uuid::Uuid;

use crate::conn::Store;
use crate::schema::users;
use crate::{Result, StoreError};

/// An account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    /// Raised to revoke every token issued before.
    pub token_version: i64,
    pub created_at: DateTime<Utc>,
    /// Set for an account of an external OpenID Connect issuer (it has no password).
    pub external: Option<ExternalId>,
}

/// Who an external identity provider says the user is: its issuer and the subject it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId {
    pub issuer: String,
    pub subject: String,
}

/// An account of an external issuer, seen for the first time.
#[derive(Debug, Clone)]
pub struct NewExternalUser {
    pub id: ExternalId,
    /// The address the issuer gives, if any; kept only when no other account uses it.
    pub email: Option<String>,
    pub display_name: String,
    pub role: Role,
}

/// A new account (the password already hashed).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: String,
    password_hash: String,
    token_version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    external_issuer: Option<String>,
    external_subject: Option<String>,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        Ok(User {
            id: Uuid::parse_str(&self.id).map_err(|e| StoreError::Corrupt(self.id.clone(), e.to_string()))?,
            role: Role::parse(&self.role).ok_or_else(|| StoreError::Corrupt(self.id.clone(), "role".into()))?,
            email: self.email,
            display_name: self.display_name,
            password_hash: self.password_hash,
            token_version: self.token_version,
            created_at: self.created_at.and_utc(),
            external: match (self.external_issuer, self.external_subject) {
                (Some(issuer), Some(subject)) => Some(ExternalId { issuer, subject }),
                _ => None,
            },
        })
    }
}

/// Emails are kept lower-cased so that one address is one account.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Create an account; `Duplicate("email")` when the address is taken.
    pub fn create_user(&self, new: NewUser) -> Result<User> {
        let now = Utc::now().naive_utc();
        let row = UserRow {
            id: Uuid::now_v7().to_string(),
            email: email_key(&new.email),
            display_name: new.display_name,
            role: new.role.as_str().to_owned(),
            password_hash: new.password_hash,
            token_version: 0,
            created_at: now,
            updated_at: now,
            external_issuer: None,
            external_subject: None,
        };
        self.write(|c| {
            diesel::insert_into(users::table).values(&row).execute(c).map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Duplicate("email"),
                other => StoreError::Db(other),
            })?;
            Ok(())
        })?;
        row.into_user()
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let mut c = self.conn()?;
        users::table
            .filter(users::email.eq(email_key(email)))
            .select(UserRow::as_select())
            .first::<UserRow>(&mut *c)
            .optional()?
            .map(UserRow::into_user)
            .transpose()
    }

    pub fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        let mut c = self.conn()?;
        users::table
            .find(id.to_string())
            .select(UserRow::as_select())
            .first::<UserRow>(&mut *c)
            .optional()?
            .map(UserRow::into_user)
            .transpose()
    }

    /// Set a new password hash and revoke every token issued before.
    pub fn set_password(&self, id: Uuid, password_hash: &str) -> Result<()> {
        self.write(|c| {
            let n = diesel::update(users::table.find(id.to_string()))
                .set((
                    users::password_hash.eq(password_hash),
                    users::token_version.eq(users::token_version + 1),
                    users::updated_at.eq(Utc::now().naive_utc()),
                ))
                .execute(c)?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    /// The account of an external issuer's subject, if it has been seen.
    pub fn user_by_external(&self, id: &ExternalId) -> Result<Option<User>> {
        let mut c = self.conn()?;
        users::table
            .filter(users::external_issuer.eq(&id.issuer))
            .filter(users::external_subject.eq(&id.subject))
            .select(UserRow::as_select())
            .first::<UserRow>(&mut *c)
            .optional()?
            .map(UserRow::into_user)
            .transpose()
    }

    /// The account of an external subject, created on first sight (so two first requests at
    /// once make one account). It has no password, so it cannot get a local token. The email
    /// is kept when no other account uses it (accounts are never linked by email); otherwise
    /// the account gets a placeholder address under `.invalid`.
    pub fn external_user(&self, new: NewExternalUser) -> Result<User> {
        self.write(|c| {
            let existing = users::table
                .filter(users::external_issuer.eq(&new.id.issuer))
                .filter(users::external_subject.eq(&new.id.subject))
                .select(UserRow::as_select())
                .first::<UserRow>(c)
                .optional()?;
            if let Some(row) = existing {
                return row.into_user();
            }
            let id = Uuid::now_v7();
            let wanted = new.email.as_deref().map(email_key).filter(|e| !e.is_empty());
            let free = match &wanted {
                Some(e) => users::table.filter(users::email.eq(e)).count().get_result::<i64>(c)? == 0,
                None => false,
            };
            let email = match wanted {
                Some(e) if free => e,
                _ => format!("{}@external.invalid", id.simple()),
            };
            let now = Utc::now().naive_utc();
            let row = UserRow {
                id: id.to_string(),
                email,
                display_name: new.display_name,
                role: new.role.as_str().to_owned(),
                password_hash: String::new(),
                token_version: 0,
                created_at: now,
                updated_at: now,
                external_issuer: Some(new.id.issuer),
                external_subject: Some(new.id.subject),
            };
            diesel::insert_into(users::table).values(&row).execute(c)?;
            row.into_user()
        })
    }

    /// Set an account's role (external accounts follow the role their issuer gives).
    pub fn set_role(&self, id: Uuid, role: Role) -> Result<()> {
        self.write(|c| {
            let n = diesel::update(users::table.find(id.to_string()))
                .set((users::role.eq(role.as_str()), users::updated_at.eq(Utc::now().naive_utc())))
                .execute(c)?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    /// Display names of the accounts of `ids` (those that exist), one query per 500 ids.
    pub fn display_names(&self, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, String>> {
        let mut c = self.conn()?;
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            let rows: Vec<(String, String)> =
                users::table.filter(users::id.eq_any(keys)).select((users::id, users::display_name)).load(&mut *c)?;
            for (id, name) in rows {
                out.insert(crate::records::parse_uuid(&id)?, name);
            }
        }
        Ok(out)
    }
}
