//! `configure(settings)`: a Dictionary into the library's `TrackerConfig`. Each key is
//! the name of an option of the C API (`hamustro_config_set_<key>`, as in every other
//! binding); a key left out keeps the library's default, which this file never
//! restates, except where Godot knows better than the library (`godot_defaults`).

use std::path::PathBuf;
use std::time::Duration;

use godot::builtin::{GString, VarDictionary, Variant, VariantType};
use godot::classes::{Os, ProjectSettings};
use godot::obj::Singleton as _;
use hamustro::{Environment, Error, IpSource, PayloadFormat, Result, TrackerConfig};

use crate::convert::{text, type_name};
use crate::status;

/// A Dictionary's options applied over the library's defaults, then Godot's defaults
/// for what the settings leave out.
pub fn tracker_config(settings: &VarDictionary) -> Result<TrackerConfig> {
    let mut config = TrackerConfig::default();
    let mut given = Vec::new();
    for (key, value) in settings.iter_shared() {
        if key.get_type() != VariantType::STRING && key.get_type() != VariantType::STRING_NAME {
            return Err(status::invalid(format!(
                "a settings key is a {}, not a String",
                type_name(&key)
            )));
        }
        let key = text(&key);
        apply(&mut config, &key, &value)?;
        given.push(key);
    }
    godot_defaults(&mut config, &given);
    Ok(config)
}

fn apply(config: &mut TrackerConfig, key: &str, value: &Variant) -> Result<()> {
    match key {
        "collector_url" => config.collector_url = string(key, value)?,
        "shared_secret_key" => config.shared_secret_key = string(key, value)?,
        "device_id" => config.device_id = string(key, value)?,
        "client_id" => config.client_id = string(key, value)?,
        "system_version" => {
            config.system_version = string(key, value)?;
        }
        "product_version" => {
            config.product_version = string(key, value)?;
        }
        "env" => {
            let env = integer(key, value)?;
            config.env = i32::try_from(env)
                .ok()
                .and_then(|env| Environment::try_from(env).ok())
                .ok_or_else(|| {
                    status::invalid(format!("env {env} is not an environment (0 to 11)"))
                })?;
        }
        "device_make" => config.device_make = Some(string(key, value)?),
        "device_model" => config.device_model = Some(string(key, value)?),
        "system" => {
            config.system = Some(string(key, value)?);
        }
        "system_language" => {
            config.system_language = Some(string(key, value)?);
        }
        "browser" => config.browser = Some(string(key, value)?),
        "browser_version" => config.browser_version = Some(string(key, value)?),
        "product_git_hash" => config.product_git_hash = Some(string(key, value)?),
        "product_language" => config.product_language = Some(string(key, value)?),
        "queue_size" => config.queue_size = bounded(key, value)?,
        "queue_retention" => config.queue_retention_minutes = bounded(key, value)?,
        "database_path" => config.database_path = Some(global_path(&string(key, value)?)),
        "database_directory" => {
            config.database_directory = Some(global_path(&string(key, value)?));
        }
        "payload_format" => {
            config.payload_format = match string(key, value)?.as_str() {
                "protobuf" => PayloadFormat::Protobuf,
                "json" => PayloadFormat::Json,
                unknown => {
                    return Err(status::invalid(format!(
                        "payload_format {unknown:?} is neither \"protobuf\" nor \"json\""
                    )))
                }
            }
        }
        "request_timeout_ms" => {
            config.request_timeout = Duration::from_millis(bounded::<u32>(key, value)?.into());
        }
        "ip" => {
            config.ip = match string(key, value)? {
                ip if ip.is_empty() => IpSource::Omit,
                ip => IpSource::Fixed(ip),
            }
        }
        "country" => {
            config.country = Some(string(key, value)?);
        }
        "user_id_salt" => config.user_id_salt = Some(string(key, value)?),
        "max_queued_events" => config.max_queued_events = bounded(key, value)?,
        "accept_invalid_certs_for_loopback" => {
            config.accept_invalid_certs_for_loopback = boolean(key, value)?;
        }
        "ca_certificates" => config.ca_certificates = Some(string(key, value)?),
        "ca_certificates_only" => config.ca_certificates_only = boolean(key, value)?,
        "proxy" => config.proxy = Some(string(key, value)?),
        "proxy_from_environment" => config.proxy_from_environment = boolean(key, value)?,
        other => {
            return Err(status::invalid(format!(
                "{other:?} is not an option of Hamustro.configure()"
            )))
        }
    }
    Ok(())
}

fn wrong_type(key: &str, expected: &str, value: &Variant) -> Error {
    status::invalid(format!(
        "option {key} must be {expected}, not {}",
        type_name(value)
    ))
}

fn string(key: &str, value: &Variant) -> Result<String> {
    match value.get_type() {
        VariantType::STRING | VariantType::STRING_NAME => Ok(text(value)),
        _ => Err(wrong_type(key, "a String", value)),
    }
}

fn integer(key: &str, value: &Variant) -> Result<i64> {
    value
        .try_to::<i64>()
        .ok()
        .filter(|_| value.get_type() == VariantType::INT)
        .ok_or_else(|| wrong_type(key, "an int", value))
}

fn bounded<T: TryFrom<i64>>(key: &str, value: &Variant) -> Result<T> {
    let number = integer(key, value)?;
    T::try_from(number)
        .map_err(|_| status::invalid(format!("option {key} is {number}, out of its range")))
}

fn boolean(key: &str, value: &Variant) -> Result<bool> {
    match value.get_type() {
        VariantType::BOOL => Ok(value.to::<bool>()),
        _ => Err(wrong_type(key, "a bool", value)),
    }
}

/// A Godot path (`user://`, `res://`) as the operating system's; others as they are.
fn global_path(path: &str) -> PathBuf {
    let global = ProjectSettings::singleton().globalize_path(&GString::from(path));
    PathBuf::from(global.to_string())
}

/// Godot's values for the options the settings left out, where the engine knows them
/// on every platform (an app's process on Android or iOS has no POSIX locale for the
/// library to read):
/// - the product version: the project's `application/config/version`;
/// - the system and its version: `OS.get_name()`, `OS.get_version()`;
/// - the language and country: `OS.get_locale()` (`de_DE` sends `de-DE` and `DE`);
/// - the database's directory: `hamustro` under `user://` (`OS.get_user_data_dir()`),
///   where the library names the file for the client id.
///
/// A value Godot does not have (an empty string) is left to the library.
/// `given` holds the keys the settings named: only the others are filled (a value of
/// "" is a choice too: "send none").
fn godot_defaults(config: &mut TrackerConfig, given: &[String]) {
    let os = Os::singleton();
    let given = |key: &str| given.iter().any(|named| named == key);
    if !given("product_version") {
        let version = ProjectSettings::singleton().get_setting("application/config/version");
        if !version.is_nil() {
            config.product_version = text(&version);
        }
    }
    if !given("system") {
        config.system = non_empty(&os.get_name());
    }
    if !given("system_version") {
        config.system_version = non_empty(&os.get_version()).unwrap_or_default();
    }
    let (language, country) = locale(&os.get_locale().to_string());
    if !given("system_language") {
        config.system_language = language;
    }
    if !given("country") {
        config.country = country;
    }
    // The directory only: the library names the file for the client id.
    if !given("database_path") && !given("database_directory") {
        let directory = PathBuf::from(os.get_user_data_dir().to_string());
        config.database_directory = Some(directory.join("hamustro"));
    }
}

fn non_empty(value: &GString) -> Option<String> {
    Some(value.to_string()).filter(|value| !value.is_empty())
}

/// Godot's locale (`language[_Script][_COUNTRY][_VARIANT]`, e.g. `pt_BR`, `zh_Hans_CN`)
/// as a BCP 47 tag (`pt-BR`, `zh-Hans-CN`) and its country (`BR`, `CN`), if it names one.
pub fn locale(locale: &str) -> (Option<String>, Option<String>) {
    let locale = locale.split(['@', '.']).next().unwrap_or_default();
    let parts: Vec<&str> = locale.split('_').filter(|part| !part.is_empty()).collect();
    let Some(language) = parts
        .first()
        .filter(|language| language.chars().all(|c| c.is_ascii_alphabetic()))
    else {
        return (None, None);
    };
    let country = parts[1..]
        .iter()
        .find(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_uppercase()))
        .map(|country| (*country).to_string());
    (
        Some(parts.join("-")).filter(|_| !language.is_empty()),
        country,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn godot_locales_become_language_tags_and_countries() {
        let tag = |l: &str| locale(l);
        assert_eq!(tag("de_DE"), (Some("de-DE".into()), Some("DE".into())));
        assert_eq!(
            tag("zh_Hans_CN"),
            (Some("zh-Hans-CN".into()), Some("CN".into()))
        );
        assert_eq!(tag("en"), (Some("en".into()), None));
        assert_eq!(tag("sr_Latn@latin"), (Some("sr-Latn".into()), None));
        assert_eq!(tag(""), (None, None));
    }
}
