//! Proxies: an HTTPS collector through `CONNECT`, a plain-HTTP one in absolute form,
//! the standard variables and `NO_PROXY`, credentials (and 407 without them), a dead
//! proxy, and one connection carrying the requests of a drain. The proxy is the test's
//! own (`support::proxy`), on 127.0.0.1.

use crate::support;

use hamustro::log::Level;
use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::child::{self, Child};
use support::collector::Collector;
use support::proxy::TestProxy;
use support::tls::TestCa;
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

const PASSWORD: &str = "pr0xy-s3cret";

/// Tracks one event and flushes; on failure the event must still be queued.
fn deliver_one(config: TrackerConfig) -> hamustro::Result<()> {
    let tracker = Tracker::new(config).unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let result = tracker.flush(WAIT);
    if result.is_err() {
        assert_eq!(tracker.queued(), 1, "the event is kept");
        assert!(tracker.stats().unwrap().consecutive_failures >= 1);
    }
    result
}

#[test]
fn an_https_collector_is_reached_through_a_connect_tunnel() {
    let (_dir, db) = temp_db();
    let ca = TestCa::new("proxy test CA");
    let collector = ca.collector();
    let proxy = TestProxy::start();
    deliver_one(support::with(config(&collector.url, &db), |c| {
        c.ca_certificates = Some(ca.pem());
        c.proxy = Some(proxy.url());
    }))
    .unwrap();
    assert_eq!(collector.requests(), 1);
    let target = collector.url.trim_start_matches("https://");
    assert_eq!(
        proxy.log(),
        [format!("CONNECT {target} HTTP/1.1 -> 200")],
        "the proxy saw the tunnel"
    );
}

#[test]
fn a_plain_http_collector_gets_its_request_in_absolute_form() {
    let (_dir, db) = temp_db();
    let collector = Collector::start(SECRET);
    let proxy = TestProxy::start();
    deliver_one(support::with(config(&collector.url(), &db), |c| {
        c.proxy = Some(proxy.url());
    }))
    .unwrap();
    assert_eq!(collector.events().len(), 1);
    assert_eq!(
        proxy.log(),
        [format!(
            "POST {}/api/v1/track HTTP/1.1 -> forwarded",
            collector.url()
        )]
    );
}

/// Every library log line, while `run` runs (the sink is process-wide: lines of other
/// tests may be among them, which only makes the check stricter).
fn logged_during(run: impl FnOnce()) -> Vec<String> {
    let log = support::log::listen(Level::Debug);
    run();
    log.messages()
}

#[test]
fn a_proxy_needing_credentials_delivers_with_them_and_answers_407_without() {
    let ca = TestCa::new("proxy test CA");
    let https = ca.collector();
    let http = Collector::start(SECRET);
    let proxy = TestProxy::start_with(Some(&format!("user:{PASSWORD}")));
    let with_credentials = format!("http://user:{PASSWORD}@127.0.0.1:{}", proxy.port);
    let lines = logged_during(|| {
        for url in [https.url.clone(), http.url()] {
            let through = |proxy_url: String| {
                let (dir, db) = temp_db();
                let result = deliver_one(support::with(config(&url, &db), |c| {
                    c.ca_certificates = Some(ca.pem());
                    c.proxy = Some(proxy_url);
                }));
                drop(dir);
                result
            };
            through(with_credentials.clone()).unwrap();
            let error = through(proxy.url()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Network, "{error}");
            assert!(error.message().contains("407"), "{error}");
            assert!(
                error.message().contains(&proxy.url()),
                "names the proxy: {error}"
            );
            // With wrong credentials, the message names the proxy without them.
            let wrong = format!("http://user:{PASSWORD}x@127.0.0.1:{}", proxy.port);
            let error = through(wrong).unwrap_err();
            assert!(error.message().contains(&proxy.url()), "{error}");
            assert!(!error.message().contains(PASSWORD), "{error}");
            assert!(!error.message().contains("user:"), "{error}");
        }
    });
    assert_eq!(https.requests(), 1);
    assert_eq!(http.events().len(), 1);
    for line in &lines {
        assert!(
            !line.contains(PASSWORD),
            "a log line has the password: {line}"
        );
    }
    let log = proxy.log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("CONNECT") && l.ends_with("407")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("POST http://") && l.ends_with("407")),
        "{log:?}"
    );
}

#[test]
fn a_dead_proxy_keeps_the_events_and_backs_off() {
    let (_dir, db) = temp_db();
    let collector = Collector::start(SECRET);
    let dead = refused_url();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.proxy = Some(dead.replace("http://", "http://user:pw@"));
    }))
    .unwrap();
    track_n(&tracker, "E", 3);
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(
        error.message().contains(&format!("proxy {dead}")),
        "{error}"
    );
    assert!(!error.message().contains("pw"), "{error}");
    let stats = tracker.stats().unwrap();
    assert_eq!(stats.queued, 3);
    // At least the flush's attempt failed; a delivery the tracking started may have
    // failed before it (under Wine a refused connection takes long enough for that).
    assert!(stats.consecutive_failures >= 1, "{stats:?}");
    assert!(stats.next_retry_in.is_some(), "a retry is scheduled");
    assert!(collector.requests().is_empty());
}

#[test]
fn a_proxy_url_that_cannot_be_used_is_refused_at_configuration() {
    let (_dir, db) = temp_db();
    for (proxy, named) in [
        ("https://p:443", "https:// proxy"),
        ("socks5://p:1080", "only http://"),
        ("p:3128", "must start with http://"),
        ("http://p:3128/x", "no path"),
    ] {
        let error = Tracker::new(support::with(
            config("https://collector.example.com", &db),
            |c| c.proxy = Some(proxy.to_string()),
        ))
        .err()
        .unwrap();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains(named), "{proxy}: {error}");
    }
}

#[test]
fn one_connection_carries_the_requests_of_a_drain() {
    let (_dir, db) = temp_db();
    let ca = TestCa::new("keep-alive CA");
    let collector = ca.collector();
    let tracker = Tracker::new(support::with(config(&collector.url, &db), |c| {
        c.ca_certificates = Some(ca.pem());
        c.queue_size = 100_000;
    }))
    .unwrap();
    // A batch is at most 1000 events: at least ten requests drain the queue (one more
    // when the first event, never synced, starts a drain of its own).
    track_n(&tracker, "E", 10_000);
    tracker.flush(WAIT * 3).unwrap();
    assert!(collector.requests() >= 10, "{}", collector.requests());
    assert_eq!(
        collector.connections(),
        1,
        "every request on one connection"
    );
    println!(
        "keep-alive: {} requests on {} connection",
        collector.requests(),
        collector.connections()
    );
}

// The environment's proxy: the variables are process-wide, so each case runs in a
// child process of this binary, started with them.

/// Runs `env_child` with `env`, delivering one event to `url`; what it said.
fn deliver_in_child(url: &str, use_environment: bool, env: &[(&str, &str)]) -> String {
    let job = format!("{use_environment} {url}");
    let (status, said) = Child::spawn_with_env("proxy::env_child", &job, env).finish(WAIT * 3);
    assert!(status.success(), "{said:?}");
    said.into_iter()
        .map(|(word, value)| format!("{word} {value}"))
        .collect()
}

#[test]
fn the_standard_variables_choose_the_proxy_and_no_proxy_bypasses_it() {
    let collector = Collector::start(SECRET);
    let proxy = TestProxy::start();
    let url = collector.url();
    let via_http_proxy = deliver_in_child(&url, true, &[("http_proxy", &proxy.url())]);
    assert_eq!(via_http_proxy, "delivered 1");
    assert_eq!(proxy.log().len(), 1, "{:?}", proxy.log());
    let upper = deliver_in_child(&url, true, &[("HTTP_PROXY", &proxy.url())]);
    assert_eq!(upper, "delivered 1");
    assert_eq!(proxy.log().len(), 2);
    let bypassed = deliver_in_child(
        &url,
        true,
        &[
            ("http_proxy", &proxy.url()),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(bypassed, "delivered 1");
    let turned_off = deliver_in_child(&url, false, &[("http_proxy", &proxy.url())]);
    assert_eq!(turned_off, "delivered 1");
    // An https_proxy is not for an http:// collector.
    let other_scheme = deliver_in_child(&url, true, &[("https_proxy", &proxy.url())]);
    assert_eq!(other_scheme, "delivered 1");
    assert_eq!(
        proxy.log().len(),
        2,
        "only the first two went through the proxy"
    );
    assert_eq!(collector.events().len(), 5);
    let unusable = deliver_in_child(&url, true, &[("http_proxy", "socks5://u:pw@p:1080")]);
    assert!(unusable.starts_with("error "), "{unusable}");
    assert!(unusable.contains("http_proxy"), "{unusable}");
    assert!(!unusable.contains("pw"), "{unusable}");
}

/// The child of the environment tests: job `<use environment> <url>`.
#[test]
fn env_child() {
    let Some(job) = child::job() else { return };
    let (use_environment, url) = job.split_once(' ').unwrap();
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(url, &db), |c| {
        c.proxy_from_environment = use_environment == "true";
    }))
    .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    match tracker.flush(WAIT) {
        Ok(()) => child::say("delivered", 1),
        Err(error) => child::say("error", error),
    }
}
