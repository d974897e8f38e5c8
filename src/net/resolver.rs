//! Name resolution for the HTTP agent, on a thread of the library's own.
//!
//! ureq's default resolver runs each lookup on a new `std::thread` so that it can give
//! up after the request's timeout. std's thread start-up takes a process-wide lock of
//! std's that a fork can leave held (`platform::OwnThread` says how), and a forked
//! child's lookups then never ran: every delivery of a tracker made in the child timed
//! out. This resolver answers an IP address at once, without any thread, and looks a
//! name up on a `platform::OwnThread`, giving up after the same timeout.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::platform::OwnThread;

/// The resolver of every agent the library makes.
#[derive(Debug, Default)]
pub struct OwnThreadResolver;

impl Resolver for OwnThreadResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(ureq::Error::BadUri(format!("{uri} has no scheme or host")));
        };
        let host_and_port = DefaultResolver::host_and_port(scheme, authority)
            .ok_or_else(|| ureq::Error::BadUri(format!("{uri} has no port")))?;
        let found: Vec<SocketAddr> = match host_and_port.parse::<SocketAddr>() {
            Ok(address) => vec![address],
            Err(_) if timeout.after.is_not_happening() => {
                host_and_port.to_socket_addrs()?.collect()
            }
            Err(_) => look_up(host_and_port, &timeout)?,
        };
        let mut resolved = self.empty();
        for address in config.ip_family().keep_wanted(found.into_iter()) {
            if resolved.try_push(address).is_err() {
                break; // as many as ureq takes
            }
        }
        if resolved.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(resolved)
    }
}

/// `host:port` looked up on a thread of its own, waited for at most the timeout; a
/// lookup that outlives it ends by itself and its answer is dropped.
fn look_up(host_and_port: String, timeout: &NextTimeout) -> Result<Vec<SocketAddr>, ureq::Error> {
    let (sender, receiver) = mpsc::sync_channel(1);
    OwnThread::spawn("hamustro-lookup", move || {
        let found = host_and_port
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>);
        let _ = sender.send(found);
    })?;
    match receiver.recv_timeout(*timeout.after) {
        Ok(found) => Ok(found?),
        Err(RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(timeout.reason)),
        Err(RecvTimeoutError::Disconnected) => Err(ureq::Error::HostNotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration;
    use ureq::Timeout;

    fn resolve(uri: &str, after: Duration) -> Result<Vec<SocketAddr>, ureq::Error> {
        let timeout = NextTimeout {
            after,
            reason: Timeout::Resolve,
            ..NextTimeout::default()
        };
        let resolved =
            OwnThreadResolver.resolve(&uri.parse().unwrap(), &Config::default(), timeout)?;
        Ok(resolved.iter().copied().collect())
    }

    #[test]
    fn an_address_is_its_own_answer() {
        let found = resolve(
            "http://127.0.0.1:8080/x",
            Duration::Exact(std::time::Duration::from_secs(1)),
        );
        assert_eq!(
            found.unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        let found = resolve("https://[::1]/x", Duration::NotHappening);
        assert_eq!(found.unwrap(), ["[::1]:443".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    // Wine's resolver answers "Host not found" even for localhost.
    #[cfg_attr(windows, ignore = "needs a resolver that knows localhost")]
    fn a_name_is_looked_up_on_a_thread_within_the_timeout() {
        let found = resolve(
            "http://localhost:9/x",
            Duration::Exact(std::time::Duration::from_secs(10)),
        );
        let found = found.unwrap();
        assert!(
            found.iter().all(|a| a.port() == 9 && a.ip().is_loopback()),
            "{found:?}"
        );
    }
}
