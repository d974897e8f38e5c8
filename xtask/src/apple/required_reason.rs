//! Which of Apple's required-reason API categories the library uses: by the C
//! functions its archives call, and by the Foundation names its Swift sources use. A
//! privacy manifest must declare exactly these (privacy.rs).

use std::collections::{BTreeMap, BTreeSet};

/// Apple's required-reason API categories, by the C functions that belong to each
/// ("Describing use of required reason API"). A function under two categories
/// (getattrlist: timestamps and disk space) needs both.
const REQUIRED_REASON_FUNCTIONS: &[(&str, &[&str])] = &[
    (
        "NSPrivacyAccessedAPICategoryFileTimestamp",
        &[
            "stat",
            "fstat",
            "fstatat",
            "lstat",
            "getattrlist",
            "fgetattrlist",
            "getattrlistat",
            "getattrlistbulk",
        ],
    ),
    (
        "NSPrivacyAccessedAPICategorySystemBootTime",
        &["mach_absolute_time"],
    ),
    (
        "NSPrivacyAccessedAPICategoryDiskSpace",
        &[
            "statfs",
            "fstatfs",
            "statvfs",
            "fstatvfs",
            "getattrlist",
            "fgetattrlist",
            "getattrlistat",
        ],
    ),
];

/// The Foundation names of each category, as the Swift binding's sources would use them.
const SWIFT_REQUIRED_REASON_NAMES: &[(&str, &[&str])] = &[
    (
        "NSPrivacyAccessedAPICategoryUserDefaults",
        &["UserDefaults"],
    ),
    (
        "NSPrivacyAccessedAPICategorySystemBootTime",
        &["systemUptime", "mach_absolute_time"],
    ),
    (
        "NSPrivacyAccessedAPICategoryFileTimestamp",
        &[
            "creationDate",
            "modificationDate",
            "fileModificationDate",
            "contentModificationDateKey",
            "creationDateKey",
        ],
    ),
    (
        "NSPrivacyAccessedAPICategoryDiskSpace",
        &[
            "volumeAvailableCapacityKey",
            "volumeAvailableCapacityForImportantUsageKey",
            "volumeAvailableCapacityForOpportunisticUsageKey",
            "volumeTotalCapacityKey",
            "systemFreeSize",
            "systemSize",
        ],
    ),
];

/// Whether `word` stands alone in `text` (as a regular expression's `\bword\b`).
fn contains_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_word)
            && !text[at + word.len()..].chars().next().is_some_and(is_word)
    })
}

/// Each required-reason category used, with what uses it: the functions the archives
/// call and the Foundation names the Swift sources use.
pub fn used_categories(
    called: &BTreeSet<String>,
    swift: &str,
) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (category, functions) in REQUIRED_REASON_FUNCTIONS {
        for function in functions.iter().filter(|f| called.contains(**f)) {
            used.entry(category)
                .or_default()
                .insert((*function).to_string());
        }
    }
    for (category, names) in SWIFT_REQUIRED_REASON_NAMES {
        for name in names.iter().filter(|name| contains_word(swift, name)) {
            used.entry(category)
                .or_default()
                .insert((*name).to_string());
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    fn called(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_called_function_counts_for_its_categories() {
        let used = used_categories(&called(&["getattrlist", "fstat", "open"]), "");
        let found: Vec<(&str, Vec<&str>)> = used
            .iter()
            .map(|(category, users)| (*category, users.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            found,
            [
                ("NSPrivacyAccessedAPICategoryDiskSpace", vec!["getattrlist"]),
                (
                    "NSPrivacyAccessedAPICategoryFileTimestamp",
                    vec!["fstat", "getattrlist"]
                ),
            ]
        );
    }

    #[test]
    fn the_swift_sources_foundation_names_count_as_whole_words() {
        let swift = "let d = UserDefaults.standard\nlet x = mySystemUptime";
        let used = used_categories(&BTreeSet::new(), swift);
        assert_eq!(
            used.keys().copied().collect::<Vec<_>>(),
            ["NSPrivacyAccessedAPICategoryUserDefaults"]
        );
        assert!(contains_word("a.systemUptime)", "systemUptime"));
        assert!(!contains_word("systemUptime_2", "systemUptime"));
        assert!(!contains_word("", "systemUptime"));
    }
}
