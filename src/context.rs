//! The device context filled into every event: time, UTC offset, IPv4 address and
//! country. Computed by the library so that the app does not have to.

use std::sync::{Arc, PoisonError, RwLock};

use crate::clock::now_epoch_seconds;
use crate::config::IpSource;
use crate::platform;

/// How long, in seconds, a detected IP address is reused before the interfaces are
/// read again: a phone changes networks, but reading them on every event would cost
/// the caller.
const IP_REFRESH_SECONDS: u64 = 60;

/// The texts are shared (`Arc<str>`): every event takes them, and a reference count
/// costs less than a copy of each.
pub struct DeviceContext {
    ip_source: IpSource,
    /// The configured address, when `ip_source` fixes one.
    fixed_ip: Option<Arc<str>>,
    /// The detected address and when it was read (epoch seconds: the event's own
    /// time tells whether it is due, with no clock read of its own). Read-mostly:
    /// `track_event` takes only the read lock, so tracking threads do not queue here.
    detected_ip: RwLock<(u64, Option<Arc<str>>)>,
    /// The UTC offset text for one minute of time (`epoch_seconds / 60`): offsets
    /// change on minute boundaries at the finest, so one C library call a minute does.
    timezone: RwLock<(u64, Option<Arc<str>>)>,
    country: Option<String>,
}

impl DeviceContext {
    pub fn new(ip_source: IpSource, country: Option<String>) -> DeviceContext {
        let country = country
            .filter(|c| !c.is_empty())
            .or_else(|| country_from_locale(&locale_name()));
        let detected = match ip_source {
            IpSource::Detect => platform::primary_ipv4().map(|ip| ip.to_string().into()),
            _ => None,
        };
        let fixed_ip = match &ip_source {
            IpSource::Fixed(ip) => Some(ip.as_str().into()),
            _ => None,
        };
        DeviceContext {
            ip_source,
            fixed_ip,
            detected_ip: RwLock::new((now_epoch_seconds(), detected)),
            timezone: RwLock::new((u64::MAX, None)),
            country,
        }
    }

    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// The address for an event at `epoch_seconds`: detected ones are read again
    /// once `IP_REFRESH_SECONDS` have passed (either way: a clock set back counts).
    pub fn ip(&self, epoch_seconds: u64) -> Option<Arc<str>> {
        match &self.ip_source {
            IpSource::Omit => None,
            IpSource::Fixed(_) => self.fixed_ip.clone(),
            IpSource::Detect => {
                {
                    let cached = self
                        .detected_ip
                        .read()
                        .unwrap_or_else(PoisonError::into_inner);
                    if cached.0.abs_diff(epoch_seconds) < IP_REFRESH_SECONDS {
                        return cached.1.clone();
                    }
                }
                let ip: Option<Arc<str>> = platform::primary_ipv4().map(|ip| ip.to_string().into());
                *self
                    .detected_ip
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = (epoch_seconds, ip.clone());
                ip
            }
        }
    }

    /// The local UTC offset at `epoch_seconds` as `+HH:MM`/`-HH:MM`, current to the
    /// minute so that a DST change shows at once.
    pub fn timezone(&self, epoch_seconds: u64) -> Option<Arc<str>> {
        let minute = epoch_seconds / 60;
        {
            let cached = self.timezone.read().unwrap_or_else(PoisonError::into_inner);
            if cached.0 == minute {
                return cached.1.clone();
            }
        }
        let offset: Option<Arc<str>> = platform::utc_offset_seconds(epoch_seconds as i64)
            .map(|offset| format_offset(offset).into());
        *self
            .timezone
            .write()
            .unwrap_or_else(PoisonError::into_inner) = (minute, offset.clone());
        offset
    }
}

fn format_offset(offset_seconds: i64) -> String {
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let minutes = offset_seconds.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The operating system's name, for the collection's `system` when the app sets none.
pub fn detected_system() -> Option<String> {
    let name = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "ios" => "iOS",
        "android" => "Android",
        "windows" => "Windows",
        "freebsd" => "FreeBSD",
        "" => return None,
        other => other,
    };
    Some(name.to_string())
}

/// The operating system's version, for the collection's `system_version` when the
/// app sets none.
pub fn detected_system_version() -> Option<String> {
    platform::os_version()
}

/// The locale's language as a BCP 47 tag (`en_US.UTF-8` → `en-US`), for the
/// collection's `system_language` when the app sets none.
pub fn detected_system_language() -> Option<String> {
    language_tag(&locale_name())
}

fn language_tag(locale: &str) -> Option<String> {
    let base = locale.split(['.', '@']).next()?;
    let mut parts = base.split(['_', '-']);
    let language = parts.next()?;
    if language.len() < 2
        || language.len() > 3
        || !language.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let language = language.to_ascii_lowercase();
    Some(match country_from_locale(locale) {
        Some(region) => format!("{language}-{region}"),
        None => language,
    })
}

fn locale_name() -> String {
    platform::locale_name()
}

/// The region of a POSIX locale name: `en_US.UTF-8@euro` → `US`.
fn country_from_locale(locale: &str) -> Option<String> {
    let region = locale.split(['.', '@']).next()?.split(['_', '-']).nth(1)?;
    (region.len() == 2 && region.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| region.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_formatted_with_sign_hours_and_minutes() {
        assert_eq!(format_offset(3600), "+01:00");
        assert_eq!(format_offset(0), "+00:00");
        assert_eq!(format_offset(-(9 * 3600 + 30 * 60)), "-09:30");
        assert_eq!(format_offset(5 * 3600 + 45 * 60), "+05:45");
    }

    #[test]
    fn country_comes_from_the_locale_region() {
        assert_eq!(country_from_locale("en_US.UTF-8"), Some("US".into()));
        assert_eq!(country_from_locale("de_at@euro"), Some("AT".into()));
        assert_eq!(country_from_locale("C.UTF-8"), None);
        assert_eq!(country_from_locale("POSIX"), None);
        assert_eq!(country_from_locale(""), None);
    }

    #[test]
    fn language_tags_come_from_the_locale() {
        assert_eq!(language_tag("en_US.UTF-8"), Some("en-US".into()));
        assert_eq!(language_tag("de"), Some("de".into()));
        assert_eq!(language_tag("C.UTF-8"), None);
        assert_eq!(language_tag("POSIX"), None);
    }

    #[test]
    fn a_detected_ip_is_read_again_a_minute_later_or_when_the_clock_went_back() {
        let context = DeviceContext::new(IpSource::Detect, None);
        let planted = |at: u64| {
            *context.detected_ip.write().unwrap() = (at, Some("192.0.2.1".into()));
        };
        let is_planted = |ip: Option<Arc<str>>| ip.as_deref() == Some("192.0.2.1");
        planted(1000);
        assert!(is_planted(context.ip(1000)));
        assert!(is_planted(context.ip(1059)));
        assert!(!is_planted(context.ip(1060)), "a minute on: read again");
        planted(1000);
        assert!(
            !is_planted(context.ip(900)),
            "the clock set back: read again"
        );
    }

    #[test]
    fn configured_ip_wins_and_omit_sends_none() {
        let fixed = DeviceContext::new(IpSource::Fixed("10.1.2.3".into()), Some("HU".into()));
        assert_eq!(fixed.ip(0).as_deref(), Some("10.1.2.3"));
        assert_eq!(fixed.country(), Some("HU"));
        assert_eq!(DeviceContext::new(IpSource::Omit, None).ip(0), None);
    }
}
