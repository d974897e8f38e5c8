//! Where a tracker keeps its queue, and what an earlier run left there: the journal's
//! records and the stored settings. The files a tracker holds are in `files::held`.

use std::collections::hash_map::{Entry, HashMap};
use std::path::Path;

use super::input::{settings_size, MAX_SETTINGS_BYTES};
use crate::error::Result;
use crate::journal::Journal;
use crate::log::{log, Level};
use crate::store::{GlobalParameters, Store, User};
use crate::worker::MAX_PENDING;

/// Moves what a killed process left in the journal into the store, empties the
/// journal, and sets it to number this session's events after the last stored one.
pub(super) fn recover_journal(
    store: &mut Store,
    path: &Path,
    session: &str,
    max_queued_events: u64,
) -> Result<Journal> {
    let (mut journal, left) = Journal::open(path)?;
    // A record belongs here only if it names attributes of its own session in this
    // database; anything else (a journal that outlived its database) is kept aside.
    let mut belonging = Vec::with_capacity(left.len());
    let mut foreign = Vec::new();
    let mut sessions: HashMap<i64, Option<String>> = HashMap::new();
    for record in left {
        let session = match sessions.entry(record.profile_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(store.profile_session(record.profile_id)?),
        };
        if session.as_deref() == Some(record.session.as_str()) {
            belonging.push(record);
        } else {
            foreign.push(record);
        }
    }
    if !foreign.is_empty() {
        store.quarantine_records(&foreign, "journal record of another database")?;
        log(Level::Error, || {
            format!(
                "{} journal records did not match the queue database {}; kept in its quarantine table",
                foreign.len(),
                path.display()
            )
        });
    }
    let left = belonging;
    if !left.is_empty() {
        let inserted = store.insert(&left, max_queued_events)?;
        if inserted.conflicts > 0 {
            log(Level::Error, || {
                format!(
                    "{} journal records carried an event number already used by a different \
                     event in {}; they were kept in its quarantine table, not sent",
                    inserted.conflicts,
                    path.display()
                )
            });
        }
        log(Level::Info, || {
            format!(
                "recovered {} events from the journal of an earlier run",
                inserted.stored
            )
        });
    }
    journal.clear()?;
    for warning in journal.take_warnings() {
        log(Level::Warn, || warning);
    }
    journal.start(store.last_nr(session)?, MAX_PENDING);
    Ok(journal)
}

/// The user and global parameters an earlier run stored, as far as they are still
/// usable: a stored setting that breaks today's limits (from an older version, a
/// hand-edited file) is dropped, with a log message, rather than making every event
/// fail.
pub(super) fn load_settings(store: &mut Store) -> Result<(User, GlobalParameters)> {
    let path = store.path().display().to_string();
    let mut dropped = Vec::new();
    let mut globals = match store.global_parameters()? {
        Some(globals) => globals,
        None => {
            dropped.push(("global parameters", "do not decode".to_string()));
            Vec::new()
        }
    };
    let unnamed = globals.iter().filter(|p| p.name.is_empty()).count();
    if unnamed > 0 {
        dropped.push((
            "global parameters",
            format!("include {unnamed} without a name"),
        ));
        globals.retain(|p| !p.name.is_empty());
    }
    let size = settings_size(&User::default(), &globals);
    if size > MAX_SETTINGS_BYTES {
        dropped.push((
            "global parameters",
            format!("take {size} bytes, more than the {MAX_SETTINGS_BYTES} allowed"),
        ));
        globals.clear();
    }
    let mut user = store.user()?;
    let size = settings_size(&user, &globals);
    if size > MAX_SETTINGS_BYTES {
        dropped.push((
            "user",
            format!("takes {size} bytes, more than the {MAX_SETTINGS_BYTES} allowed"),
        ));
        user = User::default();
    }
    for (what, why) in &dropped {
        log(Level::Error, || {
            format!("the stored {what} of the queue database {path} {why}; dropped")
        });
    }
    if !dropped.is_empty() {
        // Best effort: what was dropped is already out of use; writing the result
        // back only spares the next start the same message.
        let _ = store.set_global_parameters(&globals);
        let _ = store.set_user(&user);
    }
    Ok((user, globals))
}
