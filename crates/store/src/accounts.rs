//! Accounts, passwords (Argon2id) and login sessions.
//!
//! A session token is 32 random bytes shown to the client once; the database keeps only its
//! SHA-256, so any replica can check it and a stolen database copy yields no usable token.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{
    db::{sql, Row, Tx},
    error::{Result, StoreError},
    Actor, Store,
};
use crate::{
    domain::{
        circulation::may_remove_admin,
        status::{roles, Permissions},
        Password, Username, ValidationError,
    },
    model::{RoleInfo, User},
};

impl Store {
    /// Hashes a new password at the configured cost.
    pub(super) async fn hash_password(&self, pw: &Password) -> Result<String> {
        Ok(self.passwords.hash(pw.as_str()).await?)
    }

    /// Checks a password against a stored hash; with none (an unknown username), against a hash
    /// at the same cost, so that a wrong username takes as long as a wrong password.
    async fn verify_password(&self, pw: &SecretString, hash: Option<String>) -> Result<bool> {
        Ok(self.passwords.verify(pw.expose_secret(), hash).await?)
    }
}

/// The SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn user(r: &Row) -> Result<User> {
    Ok(r.decode()?)
}

/// An account with its password hash (for a login).
#[derive(sqlx::FromRow)]
struct UserWithHash {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
}

/// A live session and its account.
#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    #[sqlx(flatten)]
    user: User,
    /// The role's permissions as stored (none when the role is gone).
    permissions: Option<String>,
}

/// A new login session; the token is shown once.
#[derive(Debug)]
pub struct NewSession {
    /// Sent by the client as `Authorization: Bearer` or in the session cookie.
    pub token: SecretString,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
}

/// A session found from its token.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's row id (to revoke it).
    pub id: i64,
    /// Its account.
    pub user: User,
    /// What the account's role may do, read with the session on every request (so a change of
    /// the role's permissions takes effect at the account's next request).
    pub permissions: Permissions,
}

impl Session {
    /// The account as the store's actor.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            username: self.user.username.clone(),
            role: self.user.role.clone(),
            permissions: self.permissions,
            // Only a member account acts for its member, whatever another account's row says.
            member_id: self.user.member_id.filter(|_| self.user.role == roles::MEMBER),
        }
    }
}

impl Store {
    /// Checks a username and password; on success opens a session.
    ///
    /// The attempt is counted before the password is checked (see [`Store::reserve_attempt`]),
    /// so parallel guesses cannot all slip under the limit; a correct password takes its count
    /// back and forgives this address's earlier failures for the account.
    pub async fn login(&self, username: &str, password: &SecretString, address: &str) -> Result<NewSession> {
        let username = username.trim().to_lowercase();
        let attempt = self.reserve_attempt(&username, address).await?;
        let checked =
            async {
                let row = self
                .db
                .opt(
                    sql("SELECT id, username, role, member_id, created_at, password_hash FROM users WHERE username = ?")
                        .bind(&username),
                )
                .await?;
                let (found, hash) = match row.map(|r| r.decode::<UserWithHash>()).transpose()? {
                    Some(u) => (Some(u.user), Some(u.password_hash)),
                    None => (None, None),
                };
                let ok = self.verify_password(password, hash).await?;
                Ok::<_, StoreError>(found.filter(|_| ok))
            }
            .await;
        let user = match checked {
            Ok(Some(u)) => u,
            // A wrong password: the reserved attempt stays, as a failure.
            Ok(None) => return Err(StoreError::BadCredentials),
            // Not checked at all (busy, database down): not a failure.
            Err(e) => {
                if let Err(release) = self.release_attempt(attempt).await {
                    tracing::warn!(error = %release, "could not take back a login attempt");
                }
                return Err(e);
            }
        };
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let at = self.now();
        let expires_at = at + Duration::hours(self.session_hours);
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(
                    sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
                        .bind(token_hash(&token))
                        .bind(user.id)
                        .bind(at)
                        .bind(expires_at),
                )
                .await?;
                // Keep the table small: drop this account's long-dead sessions.
                tx.exec(
                    sql("DELETE FROM sessions WHERE user_id = ? AND expires_at < ?")
                        .bind(user.id)
                        .bind(at - Duration::days(30)),
                )
                .await?;
                // A successful login takes back its own attempt and forgives this address's
                // earlier failures for the account (not other addresses': a stranger's guesses
                // still count against the stranger).
                tx.exec(
                    sql("DELETE FROM login_failures WHERE address = ? AND username = ?")
                        .bind(attempt_key(address))
                        .bind(attempt_key(&username)),
                )
                .await?;
                Ok::<_, StoreError>(())
            }
            .await
        })?;
        Ok(NewSession { token: token.into(), expires_at, user })
    }

    /// The live session behind a token, if any.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let row = self
            .db
            .opt(
                sql("SELECT s.id AS session_id, u.id, u.username, u.role, u.member_id, u.created_at, r.permissions \
                     FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN roles r ON r.code = u.role \
                     WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?")
                .bind(token_hash(token))
                .bind(self.now()),
            )
            .await?;
        row.map(|r| {
            let s: SessionRow = r.decode()?;
            // A stored name this version does not know grants nothing rather than failing.
            let permissions = Permissions::parse(s.permissions.as_deref().unwrap_or("")).unwrap_or_else(|e| {
                tracing::warn!(role = %s.user.role, error = %e, "a role holds an unknown permission");
                Permissions::NONE
            });
            Ok(Session { id: s.session_id, user: s.user, permissions })
        })
        .transpose()
    }

    /// Ends one session.
    pub async fn logout(&self, session_id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(
                sql("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                    .bind(self.now())
                    .bind(session_id),
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await)
    }

    /// Changes the caller's password after checking the current one; their other sessions end.
    ///
    /// The check of the current password is a guess like a login's: it is counted against the
    /// same throttle (this account from `address`, see [`Store::reserve_attempt`]), so a session
    /// left open cannot be used to try passwords faster than the login page allows.
    pub async fn change_password(
        &self,
        s: &Session,
        current: &SecretString,
        new: &Password,
        address: &str,
    ) -> Result<()> {
        let username = s.user.username.to_lowercase();
        let attempt = self.reserve_attempt(&username, address).await?;
        let checked = async {
            let row = self.db.opt(sql("SELECT password_hash FROM users WHERE id = ?").bind(s.user.id)).await?;
            let (hash,): (String,) = row.ok_or(StoreError::NotFound("user"))?.decode()?;
            self.verify_password(current, Some(hash)).await
        }
        .await;
        match checked {
            // A wrong password: the reserved attempt stays, as a failure.
            Ok(false) => {
                return Err(StoreError::invalid(
                    "current_password",
                    ValidationError::new("wrong_password", "the current password is wrong"),
                ))
            }
            Ok(true) => {}
            Err(e) => {
                if let Err(release) = self.release_attempt(attempt).await {
                    tracing::warn!(error = %release, "could not take back a password attempt");
                }
                return Err(e);
            }
        }
        let new_hash = self.hash_password(new).await?;
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(sql("UPDATE users SET password_hash = ? WHERE id = ?").bind(&new_hash).bind(s.user.id)).await?;
                tx.exec(
                    sql("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL")
                        .bind(self.now())
                        .bind(s.user.id)
                        .bind(s.id),
                )
                .await?;
                // As a login: the right password takes its attempt back and forgives this
                // address's earlier failures for the account.
                tx.exec(
                    sql("DELETE FROM login_failures WHERE address = ? AND username = ?")
                        .bind(attempt_key(address))
                        .bind(attempt_key(&username)),
                )
                .await?;
                // The first start's first step is done once an admin has a password of their own.
                if s.user.role == roles::ADMIN {
                    tx.exec(
                        sql("UPDATE first_start SET step = ?, updated_at = ? WHERE id = 1 AND step = ?")
                            .bind(FirstStep::Identity.as_str())
                            .bind(self.now())
                            .bind(FirstStep::Password.as_str()),
                    )
                    .await?;
                }
                self.audit(&mut tx, &s.actor(), "user.password", "user", s.user.id, "password changed").await
            }
            .await
        })
    }

    /// The account of a login name (as typed: trimmed, lower case).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row = self
            .db
            .opt(
                sql("SELECT id, username, role, member_id, created_at FROM users WHERE username = ?")
                    .bind(username.trim().to_lowercase()),
            )
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// Sets an account's password without its current one: the command line for a locked-out
    /// admin, staff for a member who forgot theirs. Every session of the account ends and its
    /// failed logins are forgiven (from every address).
    pub async fn set_password(&self, actor: &Actor, id: i64, new: &Password) -> Result<User> {
        let hash = self.hash_password(new).await?;
        crate::transaction!(self.db, |tx| async {
            let u = self.user_in(&mut tx, id).await?;
            tx.exec(sql("UPDATE users SET password_hash = ? WHERE id = ?").bind(&hash).bind(id)).await?;
            tx.exec(
                sql("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
                    .bind(self.now())
                    .bind(id),
            )
            .await?;
            tx.exec(sql("DELETE FROM login_failures WHERE username = ?").bind(attempt_key(&u.username))).await?;
            self.audit(&mut tx, actor, "user.password_reset", "user", id, format!("{} ({})", u.username, u.role))
                .await?;
            Ok::<_, StoreError>(u)
        }
        .await)
    }

    /// The login account of a member, if they have one.
    pub async fn member_user(&self, member_id: i64) -> Result<Option<User>> {
        let row = self
            .db
            .opt(sql("SELECT id, username, role, member_id, created_at FROM users WHERE member_id = ?").bind(member_id))
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// All accounts.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows =
            self.db.all(sql("SELECT id, username, role, member_id, created_at FROM users ORDER BY username")).await?;
        rows.iter().map(user).collect()
    }

    async fn user_in(&self, tx: &mut Tx, id: i64) -> Result<User> {
        let row =
            tx.opt(sql("SELECT id, username, role, member_id, created_at FROM users WHERE id = ?").bind(id)).await?;
        row.as_ref().map(user).transpose()?.ok_or(StoreError::NotFound("user"))
    }

    /// Creates an account. A member account must name its member; staff accounts must not.
    pub async fn create_user(
        &self,
        actor: &Actor,
        username: &Username,
        password: &Password,
        role: &str,
        member_id: Option<i64>,
    ) -> Result<User> {
        let hash = self.hash_password(password).await?;
        crate::transaction!(self.db, |tx| {
            async {
            self.role_in(&mut tx, role).await?;
            if let Some(id) = member_id {
                tx.opt(sql("SELECT id FROM members WHERE id = ?").bind(id)).await?.ok_or(StoreError::NotFound("member"))?;
            }
            let id = tx
                .exec(
                    sql("INSERT INTO users (username, password_hash, role, member_id, created_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(username.as_str())
                        .bind(&hash)
                        .bind(role)
                        .bind(member_id)
                        .bind(self.now()),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "username", "this username is taken, or the member already has a login"))?
                .last_id;
            self.audit(&mut tx, actor, "user.create", "user", id, format!("{} ({role})", username.as_str())).await?;
            self.user_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Deletes an account and its sessions; the last admin cannot be deleted.
    pub async fn delete_user(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let u = self.user_in(&mut tx, id).await?;
            if u.role == roles::ADMIN {
                let lock = tx.for_update();
                let admins = tx.all(sql(format!("SELECT id FROM users WHERE role = 'admin'{lock}"))).await?;
                may_remove_admin(i64::try_from(admins.len()).unwrap_or(i64::MAX) - 1)?;
            }
            tx.exec(sql("DELETE FROM sessions WHERE user_id = ?").bind(id)).await?;
            tx.exec(sql("DELETE FROM users WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "user.delete", "user", id, format!("{} ({})", u.username, u.role)).await
        }
        .await)
    }

    /// Creates the first `admin` account when no admin exists. With no password given, one is
    /// generated and returned so the caller can show it once. Returns `None` when an admin exists.
    pub async fn ensure_admin(&self, password: Option<&SecretString>) -> Result<Option<SecretString>> {
        if self.db.opt(sql("SELECT id FROM users WHERE role = 'admin' LIMIT 1")).await?.is_some() {
            return Ok(None);
        }
        let generated = password.is_none();
        let password: SecretString = match password {
            Some(p) => p.clone(),
            None => {
                let mut bytes = [0u8; 12];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                hex::encode(bytes).into()
            }
        };
        let pw = Password::parse(password.expose_secret())
            .map_err(|e| StoreError::Internal(anyhow::anyhow!("PUSTAKA_ADMIN_PASSWORD: {}", e.message)))?;
        let username = Username::parse("admin").map_err(|e| StoreError::Internal(anyhow::anyhow!(e.message)))?;
        match self.create_user(&Actor::system(), &username, &pw, roles::ADMIN, None).await {
            Ok(_) => {
                // A generated password is for the first login only: the page's first start
                // begins with a new one.
                if generated {
                    self.set_first_start_step(&Actor::system(), FirstStep::Password).await?;
                }
                Ok(generated.then_some(password))
            }
            // Another replica starting at the same moment made it first.
            Err(StoreError::Duplicate { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Where the admin's guided first start stands (issue #32), in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FirstStep {
    /// The generated admin password must be changed.
    Password,
    /// The library's name, address and logo.
    Identity,
    /// Member categories and loan rules.
    Rules,
    /// Bringing the old catalogue and members in (the import page).
    MoveIn,
    /// Finished or skipped: the page no longer guides.
    Done,
}

impl FirstStep {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Identity => "identity",
            Self::Rules => "rules",
            Self::MoveIn => "move_in",
            Self::Done => "done",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "password" => Self::Password,
            "identity" => Self::Identity,
            "rules" => Self::Rules,
            "move_in" => Self::MoveIn,
            _ => Self::Done,
        }
    }
}

impl Store {
    /// Where the first start stands.
    pub async fn first_start(&self) -> Result<FirstStep> {
        let row = self.db.opt(sql("SELECT step FROM first_start WHERE id = 1")).await?;
        Ok(match row {
            Some(r) => FirstStep::parse(&r.decode::<(String,)>()?.0),
            None => FirstStep::Done,
        })
    }

    /// Moves the first start to `step` (on, back, or skipped to `done`). The password step is
    /// left only by changing the password ([`Store::change_password`]).
    pub async fn set_first_start_step(&self, actor: &Actor, step: FirstStep) -> Result<FirstStep> {
        crate::transaction!(self.db, |tx| async {
            let lock = tx.for_update();
            let row = tx.opt(sql(format!("SELECT step FROM first_start WHERE id = 1{lock}"))).await?;
            let now = row.map(|r| r.decode::<(String,)>()).transpose()?.map(|(s,)| FirstStep::parse(&s));
            if now == Some(FirstStep::Password) && step != FirstStep::Password && actor.user_id != 0 {
                return Err(StoreError::invalid(
                    "step",
                    ValidationError::new("password_first", "change the generated admin password first"),
                ));
            }
            tx.exec(sql("DELETE FROM first_start WHERE id = 1")).await?;
            tx.exec(
                sql("INSERT INTO first_start (id, step, updated_at) VALUES (1, ?, ?)")
                    .bind(step.as_str())
                    .bind(self.now()),
            )
            .await?;
            self.audit(&mut tx, actor, "first_start.step", "first_start", 1, step.as_str()).await?;
            Ok::<_, StoreError>(step)
        }
        .await)
    }
}

/// A role as stored.
#[derive(sqlx::FromRow)]
struct RoleRow {
    code: String,
    name: String,
    permissions: String,
    builtin: bool,
    accounts: i64,
}

impl RoleRow {
    fn info(self) -> RoleInfo {
        let set = Permissions::parse(&self.permissions).unwrap_or(Permissions::NONE);
        RoleInfo {
            fixed: roles::is_fixed(&self.code),
            code: self.code,
            name: self.name,
            permissions: set.list(),
            builtin: self.builtin,
            accounts: self.accounts,
        }
    }
}

const ROLE_SELECT: &str = "SELECT r.code, r.name, r.permissions, r.builtin, \
     (SELECT COUNT(*) FROM users u WHERE u.role = r.code) AS accounts FROM roles r";

impl Store {
    /// Every role with its permissions and how many accounts hold it.
    pub async fn roles(&self) -> Result<Vec<RoleInfo>> {
        let rows = self.db.all(sql(format!("{ROLE_SELECT} ORDER BY r.builtin DESC, r.code"))).await?;
        rows.iter().map(|r| Ok(r.decode::<RoleRow>()?.info())).collect()
    }

    /// The role `code`, or a field error on `role` naming it unknown.
    async fn role_in(&self, tx: &mut Tx, code: &str) -> Result<RoleInfo> {
        let row = tx.opt(sql(format!("{ROLE_SELECT} WHERE r.code = ?")).bind(code)).await?;
        match row {
            Some(r) => Ok(r.decode::<RoleRow>()?.info()),
            None => Err(StoreError::invalid("role", ValidationError::new("unknown_role", "no role has this code"))),
        }
    }

    /// Adds a role or changes one's name and permissions. The fixed roles (`admin`, `member`,
    /// `kiosk`) cannot be changed. Accounts holding the role get the new permissions at their
    /// next request.
    pub async fn put_role(&self, actor: &Actor, code: &str, name: &str, permissions: Permissions) -> Result<RoleInfo> {
        if roles::is_fixed(code) {
            return Err(StoreError::invalid(
                "code",
                ValidationError::new("fixed_role", "the admin, member and kiosk roles cannot be changed"),
            ));
        }
        let text = permissions.to_text();
        crate::transaction!(self.db, |tx| async {
            let lock = tx.for_update();
            let found = tx.opt(sql(format!("SELECT code FROM roles WHERE code = ?{lock}")).bind(code)).await?;
            if found.is_some() {
                tx.exec(
                    sql("UPDATE roles SET name = ?, permissions = ?, updated_at = ? WHERE code = ?")
                        .bind(name)
                        .bind(&text)
                        .bind(self.now())
                        .bind(code),
                )
                .await?;
            } else {
                tx.exec(
                    sql("INSERT INTO roles (code, name, permissions, builtin, updated_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(code)
                        .bind(name)
                        .bind(&text)
                        .bind(false)
                        .bind(self.now()),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "code", "a role with this code exists"))?;
            }
            self.audit(&mut tx, actor, "role.put", "role", 0, format!("{code} ({name}): {text}")).await?;
            self.role_in(&mut tx, code).await
        }
        .await)
    }

    /// Removes a role an admin made; not a seeded one, nor one an account holds.
    pub async fn delete_role(&self, actor: &Actor, code: &str) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let role = match self.role_in(&mut tx, code).await {
                Ok(r) => r,
                Err(StoreError::Invalid { .. }) => return Err(StoreError::NotFound("role")),
                Err(e) => return Err(e),
            };
            if role.builtin {
                return Err(StoreError::invalid(
                    "code",
                    ValidationError::new("builtin_role", "a role Pustaka comes with cannot be removed"),
                ));
            }
            if role.accounts > 0 {
                return Err(StoreError::invalid(
                    "code",
                    ValidationError::new("role_in_use", "accounts hold this role: give them another role first"),
                ));
            }
            tx.exec(sql("DELETE FROM roles WHERE code = ?").bind(code)).await?;
            self.audit(
                &mut tx,
                actor,
                "role.delete",
                "role",
                0,
                format!("{code} ({}): {}", role.name, role.set().to_text()),
            )
            .await
        }
        .await)
    }

    /// Gives a staff account another role (not a member account, nor a staff account the member
    /// role); the last admin keeps theirs.
    pub async fn set_user_role(&self, actor: &Actor, id: i64, role: &str) -> Result<User> {
        crate::transaction!(self.db, |tx| async {
            let u = self.user_in(&mut tx, id).await?;
            self.role_in(&mut tx, role).await?;
            if (u.role == roles::MEMBER) != (role == roles::MEMBER) {
                return Err(StoreError::invalid(
                    "role",
                    ValidationError::new("member_role", "a member account keeps the member role, and only it"),
                ));
            }
            if u.role == roles::ADMIN && role != roles::ADMIN {
                let lock = tx.for_update();
                let admins = tx.all(sql(format!("SELECT id FROM users WHERE role = 'admin'{lock}"))).await?;
                may_remove_admin(i64::try_from(admins.len()).unwrap_or(i64::MAX) - 1)?;
            }
            tx.exec(sql("UPDATE users SET role = ? WHERE id = ?").bind(role).bind(id)).await?;
            self.audit(&mut tx, actor, "user.role", "user", id, format!("{}: {} -> {role}", u.username, u.role))
                .await?;
            self.user_in(&mut tx, id).await
        }
        .await)
    }
}

/// Failed logins allowed for one account from one client address within
/// [`THROTTLE_WINDOW_MINUTES`]; then that address must wait to try that account again. Other
/// addresses (the account's owner at the desk) are not affected.
pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: usize = 5;
/// Failed logins from one client address (any accounts) within [`THROTTLE_WINDOW_MINUTES`]
/// beyond which the address may try only accounts it has not failed on: one guess per account
/// instead of [`MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS`], while everyone behind a shared address
/// (a school's NAT) who types their password right still gets in.
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
/// How far back failures count.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// A username or address as counted (attempts name any text; the columns hold 64 characters).
fn attempt_key(text: &str) -> String {
    text.chars().take(64).collect()
}

impl Store {
    /// Counts a login attempt before its password is checked, or refuses it (429) while this
    /// address has failed too often lately for this account (or, beyond
    /// [`MAX_FAILURES_PER_ADDRESS`], at all for this account). The attempt is written as a failure
    /// at once and taken back when the password is right, so parallel attempts see each other.
    /// Attempts from one address are counted one at a time: each locks its address's row in
    /// `login_addresses` first (SQLite has a single writer anyway). Counted in the database, so
    /// every replica sees the same count. Returns the attempt's row id.
    async fn reserve_attempt(&self, username: &str, address: &str) -> Result<i64> {
        let at = self.now();
        let since = at - Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let (username, address) = (attempt_key(username), attempt_key(address));
        let upsert = match self.db.backend() {
            super::settings::Backend::MariaDb => {
                "INSERT INTO login_addresses (address, at) VALUES (?, ?) ON DUPLICATE KEY UPDATE at = VALUES(at)"
            }
            super::settings::Backend::Sqlite => {
                "INSERT INTO login_addresses (address, at) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET at = excluded.at"
            }
        };
        crate::transaction!(self.db, |tx| async {
            // The lock comes first: InnoDB takes the snapshot the counts read at the first plain
            // read, so they see every attempt committed before the lock was granted.
            tx.exec(sql(upsert).bind(&address).bind(at)).await?;
            let pair = tx
                .all(
                    sql("SELECT at FROM login_failures WHERE address = ? AND username = ? AND at > ? \
                         ORDER BY at DESC LIMIT ?")
                    .bind(&address)
                    .bind(&username)
                    .bind(since)
                    .bind(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS as i64),
                )
                .await?
                .iter()
                .map(|r| Ok(r.decode::<(DateTime<Utc>,)>()?.0))
                .collect::<Result<Vec<_>>>()?;
            // Open again when the oldest of the last `max` failures leaves the window.
            let opens = |oldest: DateTime<Utc>| (oldest - since).num_seconds().max(1);
            if pair.len() >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
                let retry_after = opens(pair[MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1]);
                return Err(StoreError::Throttled { retry_after });
            }
            if let Some(&newest) = pair.first() {
                let all = tx
                    .all(
                        sql("SELECT at FROM login_failures WHERE address = ? AND at > ? ORDER BY at DESC LIMIT ?")
                            .bind(&address)
                            .bind(since)
                            .bind(MAX_FAILURES_PER_ADDRESS as i64),
                    )
                    .await?;
                if all.len() >= MAX_FAILURES_PER_ADDRESS {
                    // Open again when this account's failures from here have all left the
                    // window, or the address is back under its limit, whichever comes first.
                    let (under_limit,): (DateTime<Utc>,) = all[MAX_FAILURES_PER_ADDRESS - 1].decode()?;
                    return Err(StoreError::Throttled { retry_after: opens(newest.min(under_limit)) });
                }
            }
            let id = tx
                .exec(
                    sql("INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)")
                        .bind(&username)
                        .bind(&address)
                        .bind(at),
                )
                .await?
                .last_id;
            Ok::<_, StoreError>(id)
        }
        .await)
    }

    /// Takes back an attempt whose password was never checked.
    async fn release_attempt(&self, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(sql("DELETE FROM login_failures WHERE id = ?").bind(id)).await?;
            Ok::<_, StoreError>(())
        }
        .await)
    }

    /// Forgets login failures older than a day and the addresses not seen since (they no longer
    /// count). Run now and then, outside any login's transaction.
    pub async fn prune_login_failures(&self) -> Result<u64> {
        let before = self.now() - Duration::days(1);
        crate::transaction!(self.db, |tx| async {
            let failures = tx.exec(sql("DELETE FROM login_failures WHERE at < ?").bind(before)).await?.rows;
            tx.exec(sql("DELETE FROM login_addresses WHERE at < ?").bind(before)).await?;
            Ok::<_, StoreError>(failures)
        }
        .await)
    }
}
