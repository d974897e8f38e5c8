//! The documentation's own guarantees: every relative link in the repository's Markdown
//! leads to a file that exists, and every `#anchor` to a heading of that file (as
//! GitHub names it), so moving a section cannot leave a dead link behind; the README
//! stays a page people finish; and the documents a user reads carry no commit hashes
//! or issue numbers (CHANGELOG.md holds the history).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Directories that hold no documentation of ours: builds, dependencies, fuzz inputs.
const NOT_DOCUMENTATION: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    "dist",
    ".build",
    "corpus",
    "regressions",
];

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && !NOT_DOCUMENTATION.iter().any(|skip| name == *skip) {
            markdown_files(&path, found);
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
}

/// The Markdown of `text` outside fenced code blocks and inline code spans, where a
/// `[text](target)` is an example, not a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// Every inline link target in `text`: `[label](target)` and `![alt](target)`, the
/// target without an optional `"title"`.
fn link_targets(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else {
            break;
        };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
        rest = &after[end..];
    }
    targets
}

/// The anchors GitHub gives the headings of a Markdown file: lower case, punctuation
/// dropped, spaces as hyphens, a repeated one suffixed `-1`, `-2`…
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut unique = slug.clone();
        let mut n = 1;
        while anchors.contains(&unique) {
            unique = format!("{slug}-{n}");
            n += 1;
        }
        anchors.insert(unique);
    }
    anchors
}

/// `path` with `.` and `..` resolved lexically, as a browser resolves a link.
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with each relative link of `file`, if anything.
fn dead_links(root: &Path, file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).expect("a Markdown file reads as UTF-8");
    let shown = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let mut dead = Vec::new();
    for target in link_targets(&text) {
        if target.is_empty()
            || target.contains("://")
            || target.starts_with("mailto:")
            || target.contains('@')
        {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((path, anchor)) => (path, Some(anchor)),
            None => (target.as_str(), None),
        };
        let linked = if path.is_empty() {
            file.to_path_buf()
        } else {
            normalized(&file.parent().expect("a file has a directory").join(path))
        };
        if !linked.starts_with(root) {
            dead.push(format!("{shown}: {target} leaves the repository"));
            continue;
        }
        if !linked.exists() {
            dead.push(format!("{shown}: {target}: no such file"));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        if linked.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let headings = anchors(&fs::read_to_string(&linked).expect("the linked file reads"));
        if !headings.contains(anchor) {
            dead.push(format!(
                "{shown}: {target}: no heading with the anchor #{anchor}"
            ));
        }
    }
    dead
}

#[test]
#[cfg_attr(windows, ignore = "reads the sources; checked on the host")]
fn every_relative_link_leads_to_a_file_and_a_heading_that_exist() {
    let root = repo();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    files.sort();
    assert!(
        files.iter().any(|file| file.ends_with("docs/c-api.md")),
        "the walk found the documentation: {files:?}"
    );
    let dead: Vec<String> = files
        .iter()
        .flat_map(|file| dead_links(&root, file))
        .collect();
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn the_link_check_finds_a_dead_file_a_dead_anchor_and_a_live_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    fs::create_dir(root.join("docs")).expect("docs/");
    fs::write(
        root.join("docs/guide.md"),
        "# The guide\n\n## Limits: what `x` takes\n\n## Limits: what `x` takes\n",
    )
    .expect("write");
    let readme = root.join("README.md");
    fs::write(
        &readme,
        "[ok](docs/guide.md#limits-what-x-takes) [ok too](docs/guide.md#limits-what-x-takes-1) \
         [gone](docs/moved.md) [no heading](docs/guide.md#limits)\n\
         `[in code](nowhere.md)` [web](https://example.com/x.md) [self](#nothing-here)\n\
         ```\n[in a fence](nowhere.md)\n```\n",
    )
    .expect("write");
    let dead = dead_links(root, &readme);
    assert_eq!(
        dead,
        [
            "README.md: docs/moved.md: no such file",
            "README.md: docs/guide.md#limits: no heading with the anchor #limits",
            "README.md: #nothing-here: no heading with the anchor #nothing-here",
        ],
    );
}

/// The documents a user reads, as opposed to CHANGELOG.md (history) and the
/// contributors' ARCHITECTURE.md and CONTRIBUTING.md.
fn user_documents(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md"), root.join("TESTING.md")];
    for dir in ["docs", "bindings", "collector", "proto"] {
        markdown_files(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

/// A commit hash (a backquoted 7 to 12 or 40 hex digits with a letter and a digit) or
/// an issue number, with its line.
fn history_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let hash = line.split('`').skip(1).step_by(2).any(|code| {
            (7..=12).contains(&code.len()) || code.len() == 40
        } && code.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            && code.chars().any(|c| c.is_ascii_digit())
            && code.chars().any(|c| c.is_ascii_alphabetic()));
        let lower = line.to_lowercase();
        let issue = ["issue ", "issue #", "issues "].iter().any(|word| {
            lower.match_indices(word).any(|(at, _)| {
                lower[at + word.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
        });
        if hash || issue {
            found.push(line.trim().to_string());
        }
    }
    found
}

#[test]
#[cfg_attr(windows, ignore = "reads the sources; checked on the host")]
fn the_documents_a_user_reads_name_no_commit_and_no_issue() {
    let root = repo();
    let mut found = Vec::new();
    for file in user_documents(&root) {
        let text = fs::read_to_string(&file).expect("a Markdown file reads");
        for line in history_references(&text) {
            let shown = file.strip_prefix(&root).unwrap_or(&file).display();
            found.push(format!("{shown}: {line}"));
        }
    }
    assert!(
        found.is_empty(),
        "history belongs in CHANGELOG.md:\n{}",
        found.join("\n")
    );
    assert_eq!(
        history_references("the same bench built at `0b0b7ff`, as issue 14 asked"),
        ["the same bench built at `0b0b7ff`, as issue 14 asked"],
    );
    assert!(history_references("epoch `1700000005`, session `3c5df616…`").is_empty());
}

/// About 250 lines: what the library is and promises, the quick start, install, a C
/// example and links; the reference is in docs/.
const README_MAX_LINES: usize = 275;

#[test]
#[cfg_attr(windows, ignore = "reads the sources; checked on the host")]
fn the_readme_stays_a_page_people_finish() {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README.md reads");
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines; move reference material to docs/ (at most {README_MAX_LINES})"
    );
}
