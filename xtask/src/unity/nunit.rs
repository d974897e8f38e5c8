//! The C# suite's verdict, from the result file `nunit-console` 2.6 writes (`TestResult.xml`):
//! `<test-case name=… executed="True" success="False">`, one element a test. The
//! console's exit code is not used: it counts ignored tests and crashes alike.

use crate::outcome::Outcome;

/// One test of the result file.
#[derive(Debug, PartialEq, Eq)]
pub struct TestCase {
    pub name: String,
    pub executed: bool,
    pub success: bool,
}

/// Checks the result: every executed test succeeded, and at least one ran. Prints
/// "N passed, M failed", as the other suites do.
pub fn check(xml: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let executed: Vec<TestCase> = test_cases(xml)
        .into_iter()
        .filter(|case| case.executed)
        .collect();
    let failed: Vec<&TestCase> = executed.iter().filter(|case| !case.success).collect();
    outcome.found(format!(
        "{} passed, {} failed",
        executed.len() - failed.len(),
        failed.len()
    ));
    for case in &failed {
        outcome.fail(&case.name);
    }
    outcome.expect(!executed.is_empty(), "no test ran");
    outcome
}

/// Every `<test-case>` element of `xml`, outside comments and CDATA sections (where
/// a failure's message or stack trace could hold the same text).
pub fn test_cases(xml: &str) -> Vec<TestCase> {
    let mut cases = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        let skip = [("<!--", "-->"), ("<![CDATA[", "]]>")]
            .into_iter()
            .find(|(open, _)| rest.starts_with(open));
        if let Some((open, close)) = skip {
            let Some(end) = rest[open.len()..].find(close) else {
                break;
            };
            rest = &rest[open.len() + end + close.len()..];
            continue;
        }
        let Some(tag) = rest.strip_prefix("<test-case") else {
            rest = &rest[1..];
            continue;
        };
        if !tag.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            rest = tag;
            continue;
        }
        let (attributes, after) = attributes(tag);
        let value = |name: &str| {
            attributes
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        cases.push(TestCase {
            name: value("name").unwrap_or("(unnamed)").to_string(),
            executed: value("executed") == Some("True"),
            success: value("success") == Some("True"),
        });
        rest = after;
    }
    cases
}

/// The attributes of a start tag, from just after its name; and the text after it.
fn attributes(tag: &str) -> (Vec<(String, String)>, &str) {
    let mut found = Vec::new();
    let mut rest = tag;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
            let end = rest.find('>').map_or(rest.len(), |end| end + 1);
            return (found, &rest[end..]);
        }
        let Some(equals) = rest.find('=') else {
            return (found, "");
        };
        let key = rest[..equals].trim().to_string();
        let after = rest[equals + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return (found, "");
        };
        let Some(close) = after[1..].find(quote) else {
            return (found, "");
        };
        found.push((key, unescape(&after[1..=close])));
        rest = &after[close + 2..];
    }
}

/// An attribute's value with XML's character references replaced.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semicolon) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..semicolon];
        let character = crate::xml_entity::character(entity);
        match character {
            Some(character) => {
                out.push(character);
                rest = &rest[semicolon + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result file as nunit-console 2.6 writes it, shortened.
    const RESULT: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!--This file represents the results of running a test suite-->
<test-results name="Hamustro.Tests.dll" total="4" errors="0" failures="1" not-run="1">
  <test-suite type="Assembly" name="Hamustro.Tests.dll" executed="True" result="Failure" success="False">
    <results>
      <test-case name="Hamustro.Tests.ErrorTests.NamesTheStatus" executed="True" result="Success" success="True" time="0.012" asserts="2" />
      <test-case name="Hamustro.Tests.TrackTests.Delivers(&quot;a &amp; b&quot;)" executed="True" result="Failure" success="False" time="1.5">
        <failure>
          <message><![CDATA[Expected 1 event, <test-case name="fake" executed="True" success="False"> in a message]]></message>
        </failure>
      </test-case>
      <test-case name="Hamustro.Tests.TrackTests.Skipped" executed="False" result="Ignored">
        <reason><message><![CDATA[not here]]></message></reason>
      </test-case>
      <test-case name='Hamustro.Tests.LogTests.Logs' executed='True' result='Success' success='True'/>
    </results>
  </test-suite>
</test-results>
"#;

    #[test]
    fn reads_each_test_case_and_none_from_a_message() {
        let cases = test_cases(RESULT);
        let names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Hamustro.Tests.ErrorTests.NamesTheStatus",
                "Hamustro.Tests.TrackTests.Delivers(\"a & b\")",
                "Hamustro.Tests.TrackTests.Skipped",
                "Hamustro.Tests.LogTests.Logs",
            ]
        );
        assert!(!cases[1].success && cases[1].executed);
        assert!(!cases[2].executed);
        assert!(cases[3].success);
    }

    #[test]
    fn a_failed_test_fails_the_check_by_name() {
        let outcome = check(RESULT);
        assert_eq!(outcome.found, ["2 passed, 1 failed"]);
        assert_eq!(
            outcome.failures,
            ["Hamustro.Tests.TrackTests.Delivers(\"a & b\")"]
        );
    }

    #[test]
    fn a_run_where_every_test_passed_passes() {
        let passing = RESULT.replace(
            r#"result="Failure" success="False" time="1.5""#,
            r#"success="True""#,
        );
        let outcome = check(&passing);
        assert!(outcome.passed(), "{outcome:?}");
        assert_eq!(outcome.found, ["3 passed, 0 failed"]);
    }

    #[test]
    fn a_run_with_no_test_fails() {
        let outcome = check("<test-results total=\"0\"></test-results>");
        assert_eq!(outcome.failures, ["no test ran"]);
        assert_eq!(outcome.found, ["0 passed, 0 failed"]);
    }

    #[test]
    fn unescapes_character_references() {
        assert_eq!(unescape("a&lt;b&#62;&#x41;&bogus;&"), "a<b>A&bogus;&");
    }

    #[test]
    fn a_truncated_file_gives_what_it_has_without_panicking() {
        for end in 0..RESULT.len() {
            if RESULT.is_char_boundary(end) {
                let _ = test_cases(&RESULT[..end]);
            }
        }
    }
}
