//! `--db FILE`: every accepted event in SQLite, one JSON document a row, so a restarted
//! collector shows what it had.

use std::path::Path;

use rusqlite::Connection;

use super::store::Event;

pub struct Db {
    connection: Connection,
}

impl Db {
    /// Opens (or creates) the file and reads back every event it holds, oldest first.
    pub fn open(path: &Path) -> Result<(Db, Vec<Event>), String> {
        let fail = |e: rusqlite::Error| format!("{}: {e}", path.display());
        let connection = Connection::open(path).map_err(fail)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS events (
                     id INTEGER PRIMARY KEY,
                     event TEXT NOT NULL
                 );",
            )
            .map_err(fail)?;
        let mut events = Vec::new();
        {
            let mut rows = connection
                .prepare("SELECT event FROM events ORDER BY id")
                .map_err(fail)?;
            let texts = rows
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(fail)?;
            for text in texts {
                let text = text.map_err(fail)?;
                let event = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: an unreadable event: {e}", path.display()))?;
                events.push(event);
            }
        }
        Ok((Db { connection }, events))
    }

    /// Stores one request's accepted events, in one transaction.
    pub fn insert(&mut self, events: &[Event]) -> Result<(), String> {
        let transaction = self.connection.transaction().map_err(|e| e.to_string())?;
        for event in events {
            let text = serde_json::to_string(event).map_err(|e| e.to_string())?;
            transaction
                .execute(
                    "INSERT OR REPLACE INTO events (id, event) VALUES (?1, ?2)",
                    (event.id as i64, text),
                )
                .map_err(|e| e.to_string())?;
        }
        transaction.commit().map_err(|e| e.to_string())
    }

    pub fn clear(&mut self) -> Result<(), String> {
        self.connection
            .execute("DELETE FROM events", [])
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
