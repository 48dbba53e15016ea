//! The account store's operations: register, log in, find a session's user, log out.
//! Every value reaches the database as a bound parameter, never as SQL text.

use std::net::IpAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use super::{AccountError, Database, SESSION_SECONDS, User, password, throttle, validate};
use crate::http::date::unix_now;
use crate::http::hex;

/// A session is slid forward (one write) at most this often.
const SLIDE_EVERY_SECONDS: i64 = 60;

/// One worker's handle on the account store: its own connection pool, on its own loop.
pub struct AccountStore {
    pool: AnyPool,
    database: Arc<Database>,
}

/// A live session's user, and whether this lookup slid its expiry (so its cookie should be
/// sent again with a fresh `Max-Age`).
pub type SessionUser = (User, bool);

impl AccountStore {
    pub(super) fn new(pool: AnyPool, database: Arc<Database>) -> Self {
        Self { pool, database }
    }

    /// Connects and migrates the schema if needed, logging an outage once: the worker
    /// calls it at start so the first request does not pay for it.
    pub async fn warm_up(&self) -> Result<(), AccountError> {
        self.run(async { Ok::<(), sqlx::Error>(()) }).await
    }

    /// Runs `operation` once the schema is in place, turning a database failure into
    /// [`AccountError::Unavailable`] (noted in the log) and a unique-key clash into
    /// [`AccountError::Taken`]. The whole of it, waiting for the migration included, takes
    /// at most `--database-timeout`: during an outage, calls queued behind the one that
    /// migrates used to wait a timeout each, in turn.
    async fn run<T>(
        &self,
        operation: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, AccountError> {
        let attempt = async {
            self.database.migrate(&self.pool).await?;
            operation.await
        };
        let outcome = tokio::time::timeout(self.database.timeout(), attempt)
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut));
        match outcome {
            Ok(value) => {
                self.database.note(None);
                Ok(value)
            }
            Err(error)
                if error
                    .as_database_error()
                    .is_some_and(|error| error.is_unique_violation()) =>
            {
                self.database.note(None);
                Err(AccountError::Taken)
            }
            Err(error) => {
                self.database.note(Some(&error));
                Err(AccountError::Unavailable)
            }
        }
    }

    /// Registers `account` with `password`: 409 when the name is taken, however many
    /// registrations of it race (the unique key decides).
    pub async fn register(&self, account: &str, password: &str) -> Result<User, AccountError> {
        validate::account(account).map_err(AccountError::Invalid)?;
        validate::password(password).map_err(AccountError::Invalid)?;
        if self.find(account).await?.is_some() {
            return Err(AccountError::Taken);
        }
        let hash = password::hash(password.to_owned()).await?;
        let user = User {
            uuid: uuid::Uuid::new_v4().hyphenated().to_string(),
            account: account.to_owned(),
            created: unix_now(),
        };
        self.run(
            sqlx::query(
                "INSERT INTO users (uuid, account, password_hash, created) VALUES (?, ?, ?, ?)",
            )
            .bind(&user.uuid)
            .bind(&user.account)
            .bind(&hash)
            .bind(user.created as i64)
            .execute(&self.pool),
        )
        .await?;
        Ok(user)
    }

    /// The user and password hash of `account`, if registered.
    async fn find(&self, account: &str) -> Result<Option<(User, String)>, AccountError> {
        let row: Option<(String, String, i64, String)> = self
            .run(
                sqlx::query_as(
                    "SELECT uuid, account, created, password_hash FROM users WHERE account = ?",
                )
                .bind(account)
                .fetch_optional(&self.pool),
            )
            .await?;
        Ok(row.map(|(uuid, account, created, hash)| (user(uuid, account, created), hash)))
    }

    /// Checks the password and starts a session; returns the user and the session id for
    /// the cookie. An unknown account and a wrong password fail alike, in the same time (a
    /// name registration would refuse fails at once: it is no secret that it cannot exist).
    pub async fn login(
        &self,
        account: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<(User, String), AccountError> {
        // Nothing that could never log in is hashed or remembered: a name or password past
        // what registration accepts is the same failure, at once.
        if validate::account(account).is_err()
            || password.chars().count() > validate::MAX_PASSWORD_CHARS
        {
            return Err(AccountError::BadCredentials);
        }
        let attempt = throttle::begin(account, client)?;
        let found = self.find(account).await?;
        let (user, hash) = found.map_or((None, None), |(user, hash)| (Some(user), Some(hash)));
        let matches = password::verify(password.to_owned(), hash).await?;
        let Some(user) = user.filter(|_| matches) else {
            attempt.failed();
            return Err(AccountError::BadCredentials);
        };
        attempt.succeeded();
        let mut id = [0u8; 32];
        getrandom::fill(&mut id).expect("the OS random source");
        let id = hex::encode(&id);
        let now = unix_now() as i64;
        self.run(async {
            // Housekeeping: sessions past their expiry are dead already; drop them here.
            sqlx::query("DELETE FROM sessions WHERE expires <= ?")
                .bind(now)
                .execute(&self.pool)
                .await?;
            sqlx::query("INSERT INTO sessions (id, user_uuid, expires) VALUES (?, ?, ?)")
                .bind(session_key(&id))
                .bind(&user.uuid)
                .bind(now + SESSION_SECONDS)
                .execute(&self.pool)
                .await
        })
        .await?;
        Ok((user, id))
    }

    /// The user of a live session, sliding its expiry; `None` when it is unknown, ended or
    /// expired.
    pub async fn session_user(&self, id: &str) -> Result<Option<SessionUser>, AccountError> {
        let key = session_key(id);
        let now = unix_now() as i64;
        let row: Option<(String, String, i64, i64)> = self
            .run(
                sqlx::query_as(
                    "SELECT u.uuid, u.account, u.created, s.expires FROM sessions s \
                     JOIN users u ON u.uuid = s.user_uuid WHERE s.id = ? AND s.expires > ?",
                )
                .bind(&key)
                .bind(now)
                .fetch_optional(&self.pool),
            )
            .await?;
        let Some((uuid, account, created, expires)) = row else {
            return Ok(None);
        };
        let slide = now + SESSION_SECONDS - expires >= SLIDE_EVERY_SECONDS;
        if slide {
            self.run(
                sqlx::query("UPDATE sessions SET expires = ? WHERE id = ?")
                    .bind(now + SESSION_SECONDS)
                    .bind(&key)
                    .execute(&self.pool),
            )
            .await?;
        }
        Ok(Some((user(uuid, account, created), slide)))
    }

    /// Ends a session in the store, so its cookie opens nothing anywhere.
    pub async fn logout(&self, id: &str) -> Result<(), AccountError> {
        self.run(
            sqlx::query("DELETE FROM sessions WHERE id = ?")
                .bind(session_key(id))
                .execute(&self.pool),
        )
        .await?;
        Ok(())
    }
}

fn user(uuid: String, account: String, created: i64) -> User {
    User {
        uuid,
        account,
        created: created.max(0) as u64,
    }
}

/// What the sessions table keys a session by: the SHA-256 of its id.
fn session_key(id: &str) -> String {
    hex::encode(&Sha256::digest(id.as_bytes()))
}
