//! Which database a tracker opens, and whether it may: without a `database_path`,
//! one file per client id in the `database_directory`, by default in the platform's
//! per-user data directory; and whatever the path, only a database of this app
//! (`Store::claim`). Bindings that keep data in a place of their own (Application
//! Support, Unity's persistent data path) pass the directory, never a name they
//! computed, so that the name stays this one.
//!
//! The default name is a readable prefix and a hash of the whole client id,
//! `<prefix>-<hash>.sqlite3`: the prefix alone (the client id with every character
//! outside `[A-Za-z0-9_-]` replaced by `_`, the name of earlier versions) gave
//! `a.b` and `a_b`, `studio/game` and `studio\game`, `játék` and `jötük` one file, and
//! so one queue. A reversible escaping would not do either: case-insensitive file
//! systems (macOS, Windows) would still give `Game` and `game` one file, and a long
//! id would pass the file system's 255-byte limit. 64 bits of SHA-256 make two ids
//! sharing a name as likely as guessing a random 64-bit number, and the client id
//! recorded in every database (`Store::claim`) refuses another app's queue even then.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorKind};
use crate::platform;
use crate::store::{Owner, Store};
use crate::wire::hex;

/// The most characters of the client id that go into the name's readable prefix.
const PREFIX_CHARS: usize = 64;
/// The hexadecimal digits of the client id's SHA-256 in the name.
const HASH_DIGITS: usize = 16;

/// `<data dir>/hamustro/<prefix>-<hash>.sqlite3`: the name of
/// [`database_path_in`] in the default directory (for tests: `Tracker::new` names the
/// directory itself).
#[cfg(any(test, feature = "internals"))]
pub fn default_database_path(client_id: &str) -> PathBuf {
    database_path_in(&default_database_directory(), client_id)
}

/// `<directory>/<prefix>-<hash>.sqlite3`: `<prefix>` is the client id's first 64
/// characters, each outside `[A-Za-z0-9_-]` replaced by `_`; `<hash>` is the first 16
/// hexadecimal digits (lower case) of the SHA-256 of the whole client id's UTF-8
/// bytes. `com.example.game` gives `com_example_game-c3460848847eb4b4.sqlite3`.
pub fn database_path_in(directory: &Path, client_id: &str) -> PathBuf {
    let prefix = file_safe(client_id.chars().take(PREFIX_CHARS));
    let hash = hex(&Sha256::digest(client_id.as_bytes()));
    directory.join(format!("{prefix}-{}.sqlite3", &hash[..HASH_DIGITS]))
}

/// Where versions before the hash kept the queue of `client_id` in `directory` (the
/// whole id, made file-safe): a file several client ids share, used only while it is
/// this app's.
pub fn legacy_database_path(directory: &Path, client_id: &str) -> PathBuf {
    directory.join(format!("{}.sqlite3", file_safe(client_id.chars())))
}

/// The directory of the default names when the app chooses none:
/// `<data dir>/hamustro` (the system's temporary directory where there is no data
/// directory).
pub fn default_database_directory() -> PathBuf {
    platform::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("hamustro")
}

/// Whether a database at `legacy` is to be tried before the one at `path`: it is
/// there, and the current name is not (once a queue exists under the current name,
/// the legacy file is left alone).
pub fn use_legacy(path: &Path, legacy: &Path) -> bool {
    !path.exists() && legacy.is_file()
}

/// Why a database could not be opened as this tracker's queue: the error, told
/// apart when the database is another app's (the default path then falls back).
pub(super) enum Refused {
    Error(Error),
    OtherClient(Error),
}

impl Refused {
    pub(super) fn error(self) -> Error {
        match self {
            Refused::Error(error) | Refused::OtherClient(error) => error,
        }
    }
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused::Error(error)
    }
}

/// Binds the database at `path` to `client_id`, or refuses it when it is another
/// app's, before anything of this app is written to it.
pub(super) fn check_owner(store: &Store, client_id: &str, path: &Path) -> Result<(), Refused> {
    match store.claim(client_id)? {
        Owner::This => Ok(()),
        Owner::Other(owner) => Err(Refused::OtherClient(Error::new(
            ErrorKind::Storage,
            format!(
                "the queue database {} belongs to client {}, not to client {}: each app \
                 needs a queue of its own, so it was left untouched; choose another \
                 database_path",
                path.display(),
                shown(&owner),
                shown(client_id)
            ),
        ))),
    }
}

/// A client id as a message shows it: quoted and escaped, at most 64 characters.
fn shown(client_id: &str) -> String {
    let mut chars = client_id.chars();
    let kept: String = chars.by_ref().take(64).collect();
    let more = if chars.next().is_some() { "…" } else { "" };
    format!("{kept:?}{more}")
}

fn file_safe(chars: impl Iterator<Item = char>) -> String {
    chars
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(client_id: &str) -> String {
        default_database_path(client_id)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_name_is_a_readable_prefix_and_a_hash_of_the_whole_id() {
        let path = default_database_path("com.example.game");
        assert!(
            path.ends_with("hamustro/com_example_game-c3460848847eb4b4.sqlite3"),
            "{}",
            path.display()
        );
        assert_eq!(
            legacy_database_path(Path::new("d"), "com.example.game"),
            Path::new("d/com_example_game.sqlite3")
        );
    }

    #[test]
    fn client_ids_that_the_old_name_confused_get_their_own_files() {
        for ids in [
            ["a.b", "a_b"],
            ["studio/game", "studio\\game"],
            ["játék", "jötük"],
            ["Game", "game"],
        ] {
            assert_ne!(
                name(ids[0]).to_lowercase(),
                name(ids[1]).to_lowercase(),
                "{ids:?}"
            );
        }
        let long = "x".repeat(10_000);
        let longer = format!("{long}y");
        assert_ne!(name(&long), name(&longer));
        assert!(name(&longer).len() <= PREFIX_CHARS + 1 + HASH_DIGITS + ".sqlite3".len());
    }
}
