//! The test scripts' assertions on what they built, as typed, unit-tested Rust.
//!
//! `scripts/` keeps bash for what a machine needs (chroots, toolchains, builds, running
//! programs under Wine or in headless Godot); once a script has an artifact, it asks
//! this crate whether the artifact is right:
//!
//! ```sh
//! cargo xtask check <check> [ARGS...]   # e.g. cargo xtask check def-exports lib/hamustro.def
//! cargo xtask list                      # every check, with its arguments
//! ```
//!
//! A check prints what it found and exits 0, or prints each failure (the expected and
//! the found value) and exits 1, so the script's `check` line fails with a message that
//! reads like a test's. Each check's logic has unit tests beside it, on small fixtures.

mod apple;
mod checks;
mod clippy_lints;
mod collector_api;
mod godot;
mod header;
mod linkage;
mod outcome;
mod python_dist;
#[cfg(test)]
mod scratch;
mod sdk;
mod tool_output;
mod unity;
mod windows;
mod xml_entity;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => match args.get(1) {
            Some(name) => checks::run(name, &args[2..]).report(),
            None => usage("check needs a name"),
        },
        Some("list") => {
            for check in checks::all() {
                println!(
                    "{:<24} {}\n{:<24} {}",
                    check.name, check.usage, "", check.about
                );
            }
            ExitCode::SUCCESS
        }
        _ => usage("expected `check NAME ARGS...` or `list`"),
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("cargo xtask: {problem}\nusage: cargo xtask check NAME [ARGS...] | cargo xtask list");
    ExitCode::from(2)
}
