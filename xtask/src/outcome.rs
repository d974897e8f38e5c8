//! What a check found: lines to show, and failures that make it fail.

use std::fmt::Display;
use std::process::ExitCode;

/// The result of one check: what it saw (`found`) and what is wrong (`failures`).
#[derive(Debug, Default)]
pub struct Outcome {
    pub found: Vec<String>,
    pub failures: Vec<String>,
}

impl Outcome {
    /// Records a fact the check established, shown whether it passes or not.
    pub fn found(&mut self, line: impl Display) {
        self.found.push(line.to_string());
    }

    /// Records a failure; the check fails if it has any.
    pub fn fail(&mut self, line: impl Display) {
        self.failures.push(line.to_string());
    }

    /// Fails with `line` unless `condition` holds.
    pub fn expect(&mut self, condition: bool, line: impl Display) {
        if !condition {
            self.fail(line);
        }
    }

    /// An outcome of one failure: the check could not even look (a missing file, a
    /// tool that did not run).
    pub fn failed(line: impl Display) -> Self {
        let mut outcome = Self::default();
        outcome.fail(line);
        outcome
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Prints the findings, then the failures, and gives the exit code.
    pub fn report(self) -> ExitCode {
        for line in &self.found {
            println!("{line}");
        }
        for line in &self.failures {
            println!("FAILED: {line}");
        }
        if self.passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

impl<E: Display> From<Result<Outcome, E>> for Outcome {
    fn from(result: Result<Outcome, E>) -> Self {
        result.unwrap_or_else(Outcome::failed)
    }
}
