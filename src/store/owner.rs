//! Which app a queue database belongs to. A database records the client id of the
//! tracker that created it, and a tracker of another client id is refused: it would
//! send the first app's queued events to its own collector, as versions whose default
//! file name several client ids shared did. The collector URL and the secret are not
//! part of it: an app that changes them keeps its queue.

use prost::Message as _;
use rusqlite::{params, OptionalExtension as _};

use super::settings::put;
use super::{stored_bytes, Store};
use crate::error::Result;
use crate::wire::Collection;

/// The settings key of the owning client id.
const CLIENT_ID: &str = "client_id";

/// What `Store::claim` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Owner {
    /// The database is this client's (recorded now if it was not).
    This,
    /// The database is another client's: this one is named, nothing was written.
    Other(String),
}

impl Store {
    /// Binds the database to `client_id`, or says whose it is. A database with no
    /// recorded owner (new, or made by a version before the record) is claimed by
    /// the first tracker that opens it, unless the events it holds or has held were
    /// tracked by another client (their attributes say so): those are never sent
    /// under another app's name.
    pub fn claim(&self, client_id: &str) -> Result<Owner> {
        let recorded: Option<String> = self
            .conn
            .query_row(
                "SELECT CAST(value AS TEXT) FROM settings WHERE key = ?1",
                params![CLIENT_ID],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.error("cannot read the owner of", e))?;
        if let Some(owner) = recorded {
            return Ok(if owner == client_id {
                Owner::This
            } else {
                Owner::Other(owner)
            });
        }
        if let Some(other) = self.other_client_in_profiles(client_id)? {
            return Ok(Owner::Other(other));
        }
        put(&self.conn, CLIENT_ID, Some(client_id))
            .map_err(|e| self.error("cannot record the owner in", e))?;
        Ok(Owner::This)
    }

    /// A client id other than `client_id` that events of this database were tracked
    /// with, if any.
    fn other_client_in_profiles(&self, client_id: &str) -> Result<Option<String>> {
        let run = || -> rusqlite::Result<Option<String>> {
            let mut statement = self.conn.prepare("SELECT header FROM profiles")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let header = stored_bytes(row.get_ref(0)?)
                    .and_then(|bytes| Collection::decode(bytes.as_slice()).ok());
                if let Some(header) = header.filter(|h| h.client_id != client_id) {
                    return Ok(Some(header.client_id));
                }
            }
            Ok(None)
        };
        run().map_err(|e| self.error("cannot read tracker attributes from", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Collection;

    #[test]
    fn the_first_client_claims_a_database_and_another_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let (store, _) = Store::open(&path).unwrap();
        assert_eq!(store.claim("a.b").unwrap(), Owner::This);
        assert_eq!(store.claim("a.b").unwrap(), Owner::This);
        assert_eq!(store.claim("a_b").unwrap(), Owner::Other("a.b".into()));
    }

    #[test]
    fn a_database_without_an_owner_is_not_claimed_over_another_clients_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let (store, _) = Store::open(&path).unwrap();
        let header = Collection {
            client_id: "a.b".into(),
            session: "s".into(),
            ..Collection::default()
        };
        store.profile_id(&header).unwrap();
        assert_eq!(store.claim("a_b").unwrap(), Owner::Other("a.b".into()));
        assert_eq!(store.claim("a.b").unwrap(), Owner::This);
    }
}
