//! A Unity `.meta` file: the GUID that references to the asset use, and a native
//! plugin's import settings (which platforms load it, for which CPU and editor OS).

use std::collections::BTreeMap;

/// The asset's GUID (`guid: …`), if it is 32 lowercase hex digits, as Unity writes it.
pub fn guid(meta: &str) -> Result<&str, String> {
    let found = meta
        .lines()
        .find_map(|line| line.strip_prefix("guid: "))
        .map(str::trim_end)
        .ok_or("no guid line")?;
    let well_formed = found.len() == 32
        && found
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if well_formed {
        Ok(found)
    } else {
        Err(format!("guid {found:?} is not 32 lowercase hex digits"))
    }
}

/// One platform of a `PluginImporter`'s `platformData`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PlatformSettings {
    pub enabled: bool,
    pub cpu: Option<String>,
    pub os: Option<String>,
}

/// The `PluginImporter`'s `platformData`, by platform. Each entry reads
///
/// ```text
///   - first:
///       Standalone: Linux64      (the platform is the value; `Any:` has only a key)
///     second:
///       enabled: 1
///       settings:
///         CPU: x86_64
///         OS: Linux              (the editor's entry only)
/// ```
pub fn platform_data(meta: &str) -> BTreeMap<String, PlatformSettings> {
    let mut platforms = BTreeMap::new();
    let mut inside = false;
    // The entry being read: its platform, once its `first:` line has named it.
    let mut current: Option<(Option<String>, PlatformSettings)> = None;
    for line in meta.lines() {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        if content == "platformData:" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if content == "- first:" {
            finish(&mut platforms, current.take());
            current = Some((None, PlatformSettings::default()));
            continue;
        }
        if indent <= 2 {
            // The next key of the PluginImporter (`userData:`): the list has ended.
            break;
        }
        let Some((name, settings)) = current.as_mut() else {
            continue;
        };
        let Some((key, value)) = content.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.is_none() {
            let platform = if value.is_empty() { key } else { value };
            *name = Some(platform.trim().to_string());
            continue;
        }
        match key {
            "enabled" => settings.enabled = value == "1",
            "CPU" => settings.cpu = Some(value.to_string()),
            "OS" => settings.os = Some(value.to_string()),
            _ => {}
        }
    }
    finish(&mut platforms, current);
    platforms
}

fn finish(
    platforms: &mut BTreeMap<String, PlatformSettings>,
    entry: Option<(Option<String>, PlatformSettings)>,
) {
    if let Some((Some(name), settings)) = entry {
        platforms.insert(name, settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plugin's .meta as Unity writes it, shortened: enabled for the editor and Linux.
    const LINUX_PLUGIN: &str = "fileFormatVersion: 2
guid: 8b75dd08fde619a82530b024d81fa820
PluginImporter:
  serializedVersion: 2
  platformData:
  - first:
      : Any
    second:
      enabled: 0
      settings:
        Exclude Editor: 0
  - first:
      Any: 
    second:
      enabled: 0
      settings: {}
  - first:
      Editor: Editor
    second:
      enabled: 1
      settings:
        CPU: x86_64
        DefaultValueInitialized: true
        OS: Linux
  - first:
      Standalone: Linux64
    second:
      enabled: 1
      settings:
        CPU: x86_64
  - first:
      Standalone: Win64
    second:
      enabled: 0
      settings:
        CPU: None
  userData: 
  assetBundleName: 
";

    #[test]
    fn reads_the_guid() {
        assert_eq!(guid(LINUX_PLUGIN), Ok("8b75dd08fde619a82530b024d81fa820"));
    }

    #[test]
    fn a_guid_not_as_unity_writes_it_is_refused() {
        assert!(guid("fileFormatVersion: 2\n")
            .unwrap_err()
            .contains("no guid"));
        let upper = guid("guid: 8B75DD08FDE619A82530B024D81FA820\n").unwrap_err();
        assert!(upper.contains("8B75"), "{upper}");
        assert!(guid("guid: 8b75dd08\n").is_err());
    }

    #[test]
    fn reads_each_platform_its_settings() {
        let platforms = platform_data(LINUX_PLUGIN);
        let names: Vec<&str> = platforms.keys().map(String::as_str).collect();
        assert_eq!(names, ["Any", "Editor", "Linux64", "Win64"]);
        assert_eq!(
            platforms["Editor"],
            PlatformSettings {
                enabled: true,
                cpu: Some("x86_64".into()),
                os: Some("Linux".into())
            }
        );
        assert!(platforms["Linux64"].enabled);
        assert!(!platforms["Win64"].enabled);
        assert_eq!(platforms["Win64"].cpu.as_deref(), Some("None"));
    }

    #[test]
    fn a_meta_without_platform_data_has_no_platform() {
        assert!(platform_data("guid: 0\nDefaultImporter:\n  userData: \n").is_empty());
    }
}
