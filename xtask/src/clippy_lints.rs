//! The Windows-only clippy pass of scripts/windows-test.sh, judged by the host's lints.
//!
//! The cross chroot's clippy is Debian's from trixie-backports, which keeps only its
//! newest release: one day it is newer than the host's pinned toolchain and brings
//! lints the host has never heard of (clippy 1.98's `chunks_exact_to_as_chunks` once
//! failed every fresh machine). So the pass runs without `-D warnings`, and here:
//! an error, or a warning from a lint the host's clippy or rustc knows, fails it (the
//! rule `cargo clippy -- -D warnings` applies on the host); a warning from a lint the
//! host does not know is shown and tolerated, to fix when the host's toolchain
//! catches up.

use std::collections::BTreeSet;
use std::convert::identity;

use serde_json::Value;

use crate::checks::{exactly, Check};
use crate::outcome::Outcome;
use crate::tool_output;

pub const CHECKS: &[Check] = &[Check {
    name: "clippy-host-lints",
    usage: "MESSAGES HOST_LINTS (MESSAGES: cargo clippy --message-format=json, - for standard \
            input; HOST_LINTS: `clippy-driver rustc -W help` and `rustc -W help` of the host)",
    about: "no error and no warning from a lint the host knows; warnings from newer lints are shown and tolerated",
    run: |args| clippy_host_lints(args).unwrap_or_else(identity),
}];

fn clippy_host_lints(args: &[String]) -> Result<Outcome, Outcome> {
    let [messages, host_lints] = exactly(args, CHECKS[0].usage)?;
    let known = known_lints(&tool_output::read(&host_lints).map_err(Outcome::failed)?);
    if !known.iter().any(|lint| lint.starts_with("clippy::")) {
        return Err(Outcome::failed(format!(
            "expected the host's clippy lints in {host_lints}, found none: \
             did `clippy-driver rustc -W help` run?"
        )));
    }
    let messages = tool_output::read(&messages).map_err(Outcome::failed)?;
    Ok(judge(&messages, &known))
}

/// Every lint and lint group `-W help` lists, as diagnostics name them
/// (`clippy::needless_return`, `unused_variables`): the first word of each row of its
/// tables, the lints' (`name  level  meaning`) and the groups' (`name  sub-lints`).
pub fn known_lints(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            words.next()?;
            let is_name = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:-".contains(c))
                && name.chars().any(|c| c.is_ascii_lowercase());
            (is_name && name != "name").then(|| name.replace('-', "_"))
        })
        .collect()
}

fn judge(messages: &str, known: &BTreeSet<String>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut tolerated = 0;
    for message in messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
    {
        if message["reason"] != "compiler-message" {
            continue;
        }
        let diagnostic = &message["message"];
        let level = diagnostic["level"].as_str().unwrap_or_default();
        if level != "warning" && level != "error" {
            continue;
        }
        let code = diagnostic["code"]["code"].as_str();
        let text = diagnostic["message"].as_str().unwrap_or_default();
        let rendered = diagnostic["rendered"].as_str().unwrap_or(text).trim_end();
        if level == "warning" && code.is_none() && is_warning_count(text) {
            continue;
        }
        match code {
            Some(code) if level == "warning" && !known.contains(code) => {
                tolerated += 1;
                outcome.found(format!(
                    "tolerated (a lint the host's clippy does not know): {code}\n{rendered}"
                ));
            }
            _ => outcome.fail(rendered),
        }
    }
    outcome.found(format!(
        "windows clippy: {} finding(s) the host's lints reject, {tolerated} tolerated",
        outcome.failures.len()
    ));
    outcome
}

/// rustc's summary, "1 warning emitted" or "3 warnings emitted", is no finding itself.
fn is_warning_count(message: &str) -> bool {
    let words: Vec<&str> = message.split_whitespace().collect();
    matches!(words.as_slice(), [count, "warning" | "warnings", "emitted"] if count.parse::<u32>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &str = "\nAvailable lint options:\n    -W <foo>           Warn about <foo>\n\n\
        Lint checks provided by rustc:\n\n        name  default  meaning\n        ----  -------  -------\n  \
        unused-variables  warn     detect variables which are not used in any way\n\n\
        Lint groups provided by rustc:\n\n        name  sub-lints\n        ----  ---------\n  \
        nonstandard-style  non-camel-case-types, non-snake-case\n\n\
        Lint checks loaded by this crate:\n\n  clippy::needless-return  warn     using a return statement\n\n\
        Lint groups loaded by this crate:\n\n  clippy::pedantic  clippy::doc-markdown, clippy::cast-lossless\n";

    fn message(level: &str, code: Option<&str>, text: &str) -> String {
        serde_json::json!({
            "reason": "compiler-message",
            "message": {
                "level": level,
                "code": code.map(|code| serde_json::json!({ "code": code })),
                "message": text,
                "rendered": format!("{level}: {text}\n"),
            }
        })
        .to_string()
    }

    fn judged(messages: &[String]) -> Outcome {
        let mut input = String::from("{\"reason\":\"compiler-artifact\"}\nnot json\n");
        for message in messages {
            input.push_str(message);
            input.push('\n');
        }
        judge(&input, &known_lints(HELP))
    }

    #[test]
    fn reads_every_lint_and_group_the_host_knows() {
        let known: Vec<String> = known_lints(HELP).into_iter().collect();
        assert_eq!(
            known,
            [
                "clippy::needless_return",
                "clippy::pedantic",
                "nonstandard_style",
                "unused_variables"
            ]
        );
    }

    #[test]
    fn a_warning_from_a_lint_the_host_knows_fails() {
        let outcome = judged(&[message(
            "warning",
            Some("clippy::needless_return"),
            "unneeded `return`",
        )]);
        assert_eq!(outcome.failures, ["warning: unneeded `return`"]);
        let outcome = judged(&[message(
            "warning",
            Some("unused_variables"),
            "unused variable: `x`",
        )]);
        assert!(!outcome.passed());
    }

    #[test]
    fn an_error_fails_whatever_its_code() {
        let outcome = judged(&[
            message("error", Some("E0308"), "mismatched types"),
            message("error", None, "aborting due to 1 previous error"),
        ]);
        assert_eq!(outcome.failures.len(), 2, "{outcome:?}");
    }

    #[test]
    fn a_newer_lint_and_the_summary_are_tolerated() {
        let outcome = judged(&[
            message("warning", Some("clippy::a_lint_from_a_later_clippy"), "w"),
            message("warning", Some("clippy::another_later_lint"), "w"),
            message("warning", None, "2 warnings emitted"),
            message("note", None, "a note"),
        ]);
        assert!(outcome.passed(), "{outcome:?}");
        assert!(
            outcome.found[0].contains("a_lint_from_a_later_clippy"),
            "{outcome:?}"
        );
        assert_eq!(
            outcome.found.last().unwrap(),
            "windows clippy: 0 finding(s) the host's lints reject, 2 tolerated"
        );
    }

    #[test]
    fn warning_counts_are_recognised_and_nothing_else() {
        assert!(is_warning_count("1 warning emitted"));
        assert!(is_warning_count("12 warnings emitted"));
        assert!(!is_warning_count("unused variable emitted"));
    }
}
