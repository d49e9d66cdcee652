//! Users: create, find, change password, disable, and the bookkeeping of
//! sign-in attempts (lockout). Every change is audited by the caller's
//! transaction through `crate::audit`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::role::{Caller, Role};
use crate::db::schema::users;
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub token_version: i32,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        // Only valid roles are ever written; an unknown one reads as the
        // least privileged.
        Role::parse(&self.role).unwrap_or(Role::Facilitator)
    }
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.id,
            role: self.role(),
        }
    }
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
    pub fn is_locked(&self, now: NaiveDateTime) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
    /// What the audit log and the API show of a user.
    pub fn summary(&self) -> serde_json::Value {
        json!({
            "id": self.id, "email": self.email, "name": self.name, "role": self.role,
            "disabled": self.is_disabled(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user with e-mail {0} already exists")]
    Exists(String),
    #[error("no user with e-mail {0}")]
    NoSuchUser(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<diesel::result::Error> for UserError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let email = email.trim().to_lowercase();
    if find_by_email(conn, &email)?.is_some() {
        return Err(UserError::Exists(email));
    }
    let user: User = diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::name.eq(name.trim()),
            users::role.eq(role.as_str()),
            users::password_hash.eq(password_hash),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        "user.create",
        &format!("user:{}", user.id),
        None,
        Some(user.summary()),
        now,
    )?;
    Ok(user)
}

fn existing(conn: &mut DbConnection, email: &str) -> Result<User, UserError> {
    find_by_email(conn, email)?.ok_or_else(|| UserError::NoSuchUser(email.to_string()))
}

/// A new password; every token issued before is revoked and any lockout
/// lifted.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let user = existing(conn, email)?;
    diesel::update(users::table.find(user.id))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "user.reset_password",
        &format!("user:{}", user.id),
        None,
        None,
        now,
    )?;
    Ok(user)
}

/// Disables the account and revokes its tokens at once.
pub fn disable(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let user = existing(conn, email)?;
    diesel::update(users::table.find(user.id))
        .set((
            users::disabled_at.eq(Some(now)),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = User {
        disabled_at: Some(now),
        ..user.clone()
    };
    audit::record(
        conn,
        actor,
        "user.disable",
        &format!("user:{}", user.id),
        Some(user.summary()),
        Some(after.summary()),
        now,
    )?;
    Ok(after)
}

/// Revokes every token of the user (sign-out).
pub fn revoke_tokens(conn: &mut DbConnection, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A wrong password: counts it, and locks the account once `lock_after`
/// wrong ones come in a row. Returns whether the account is now locked.
pub fn record_failed_login(
    conn: &mut DbConnection,
    user_id: i64,
    lock_after: u32,
    lock_for: Duration,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let failed: i32 = diesel::update(users::table.find(user_id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .returning(users::failed_logins)
        .get_result(conn)?;
    if failed as u32 >= lock_after {
        diesel::update(users::table.find(user_id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(Some(now + lock_for)),
            ))
            .execute(conn)?;
        return Ok(true);
    }
    Ok(false)
}

pub fn record_login(conn: &mut DbConnection, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::last_login_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order(users::email)
        .select(User::as_select())
        .load(conn)
}
