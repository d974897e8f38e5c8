//! Every check `cargo xtask check NAME` runs, by name. A check module owns one kind
//! of artifact; this table is the only place that names them all.

use crate::outcome::Outcome;

/// One check: its name on the command line, its arguments, what it asserts, and the
/// function that does it.
pub struct Check {
    pub name: &'static str,
    pub usage: &'static str,
    pub about: &'static str,
    pub run: fn(&[String]) -> Outcome,
}

/// Each module's checks, one line a module.
const MODULES: &[&[Check]] = &[
    crate::apple::CHECKS,
    crate::linkage::CHECKS,
    crate::windows::CHECKS,
    crate::sdk::CHECKS,
    crate::python_dist::CHECKS,
    crate::collector_api::CHECKS,
    crate::clippy_lints::CHECKS,
    crate::unity::CHECKS,
    crate::godot::CHECKS,
];

/// Every check, in the order of `MODULES`.
pub fn all() -> impl Iterator<Item = &'static Check> {
    MODULES.iter().flat_map(|checks| checks.iter())
}

/// Runs the check called `name` with `args`.
pub fn run(name: &str, args: &[String]) -> Outcome {
    match all().find(|check| check.name == name) {
        Some(check) => (check.run)(args),
        None => Outcome::failed(format!(
            "no check named {name:?}; `cargo xtask list` names them all"
        )),
    }
}

/// The arguments of a check, exactly `N` of them, or a failure naming its usage.
pub fn exactly<const N: usize>(args: &[String], usage: &str) -> Result<[String; N], Outcome> {
    <[String; N]>::try_from(args.to_vec())
        .map_err(|_| Outcome::failed(format!("expected {N} arguments: {usage}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = all().map(|check| check.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a check name is used twice");
    }

    #[test]
    fn an_unknown_check_fails_naming_it() {
        let outcome = run("no-such-check", &[]);
        assert!(!outcome.passed());
        assert!(outcome.failures[0].contains("no-such-check"), "{outcome:?}");
    }
}
