//! No secret in any output: the shared secret, the user id salt and URL credentials
//! appear in no `Debug` output, no error and no log message (the C API's log callback
//! is in `control.rs`).

use crate::support;

use hamustro::log::Level;
use hamustro::Tracker;
use support::collector::Collector;
use support::{config, temp_db, track_n, WAIT};

#[test]
fn no_debug_output_or_message_carries_the_secret_or_the_salt() {
    let log = support::log::listen(Level::Debug);
    let secret = "SECRET-e7d1c0";
    let salt = "SALT-4b9f22";
    let password = "PASSWORD-93aa";
    let collector = Collector::start(secret);
    let (_dir, db) = temp_db();
    let config = support::with(config(&collector.url(), &db), |c| {
        c.shared_secret_key = secret.into();
        c.user_id_salt = Some(salt.into());
        c.collector_url = collector
            .url()
            .replace("://", &format!("://user:{password}@"));
    });
    let debug = format!("{config:?} {config:#?}");
    for hidden in [secret, salt, password] {
        assert!(!debug.contains(hidden), "Debug shows {hidden}: {debug}");
    }
    let tracker = Tracker::new(config.clone()).unwrap();
    tracker.set_user(Some("t"), Some("player-1")).unwrap();
    track_n(&tracker, "Seen", 2);
    tracker.flush(WAIT).unwrap();
    let stats = format!("{:?}", tracker.stats().unwrap());
    let invalid = support::with(config, |c| {
        c.collector_url = format!("ftp://user:{password}@h");
    });
    let error = invalid.validate().unwrap_err();
    let messages = log.messages().join("\n");
    for text in [stats, format!("{error} {error:?}"), messages] {
        for hidden in [secret, salt, password] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }
}
