//! The queue's small persistent state beside the events: the user, the last sync
//! time, the opt-out switch, global parameters and the lifetime counters.

use prost::Message as _;
use rusqlite::{params, Connection, OptionalExtension as _};

use super::Store;
use crate::error::Result;
use crate::wire::{Parameter, Payload};

pub(super) const LAST_SYNC: &str = "last_sync";
pub(super) const DELIVERED: &str = "delivered";
pub(super) const DROPPED: &str = "dropped";
const TENANT_ID: &str = "tenant_id";
const USER_ID: &str = "user_id";
const ENABLED: &str = "enabled";
const GLOBAL_PARAMETERS: &str = "global_parameters";

/// The user an event is attributed to, as persisted by `set_user`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
}

/// Parameters added to every event, in the order they were first set.
pub type GlobalParameters = Vec<Parameter>;

pub(super) fn put(conn: &Connection, key: &str, value: Option<&str>) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO settings(key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])
        .map(|_| ())
}

pub(super) fn add_to_counter(conn: &Connection, key: &str, amount: u64) -> rusqlite::Result<()> {
    if amount == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?2",
    )?
    .execute(params![key, amount as i64])
    .map(|_| ())
}

impl Store {
    fn get(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT CAST(value AS TEXT) FROM settings WHERE key = ?1",
                params![key],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.error("cannot read settings from", e))
    }

    fn set(&self, key: &str, value: Option<&str>) -> Result<()> {
        put(&self.conn, key, value).map_err(|e| self.error("cannot write settings to", e))
    }

    fn counter(&self, key: &str) -> Result<u64> {
        Ok(self.get(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Epoch seconds of the last successful delivery; `None` before the first.
    pub fn last_sync(&self) -> Result<Option<u64>> {
        Ok(self.get(LAST_SYNC)?.and_then(|v| v.parse().ok()))
    }

    /// Events the collector accepted, over the database's lifetime.
    pub fn delivered_total(&self) -> Result<u64> {
        self.counter(DELIVERED)
    }

    /// Events dropped to respect the queue cap, over the database's lifetime.
    pub fn dropped_total(&self) -> Result<u64> {
        self.counter(DROPPED)
    }

    pub fn user(&self) -> Result<User> {
        Ok(User {
            tenant_id: self.get(TENANT_ID)?,
            user_id: self.get(USER_ID)?,
        })
    }

    pub fn set_user(&mut self, user: &User) -> Result<()> {
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            put(&tx, TENANT_ID, user.tenant_id.as_deref())?;
            put(&tx, USER_ID, user.user_id.as_deref())?;
            tx.commit()
        };
        run(&mut self.conn).map_err(|e| self.error("cannot store the user in", e))
    }

    /// Whether tracking is enabled; true until the app opts out.
    pub fn enabled(&self) -> Result<bool> {
        Ok(self.get(ENABLED)?.as_deref() != Some("0"))
    }

    pub fn set_enabled(&self, enabled: bool) -> Result<()> {
        self.set(ENABLED, Some(if enabled { "1" } else { "0" }))
    }

    /// The stored global parameters; `None` when what is stored does not decode (a
    /// hand-edited or damaged file).
    pub fn global_parameters(&self) -> Result<Option<GlobalParameters>> {
        // Stored as the parameters of an otherwise empty Payload: the wire type already
        // encodes a list of name/value pairs.
        let Some(text) = self.get(GLOBAL_PARAMETERS)? else {
            return Ok(Some(Vec::new()));
        };
        Ok(base64_decode(&text)
            .and_then(|bytes| Payload::decode(bytes.as_slice()).ok())
            .map(|payload| payload.parameters))
    }

    pub fn set_global_parameters(&self, parameters: &[Parameter]) -> Result<()> {
        let payload = Payload {
            parameters: parameters.to_vec(),
            ..Payload::default()
        };
        self.set(
            GLOBAL_PARAMETERS,
            Some(&base64_encode(&payload.encode_to_vec())),
        )
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
