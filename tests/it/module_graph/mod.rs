//! The library's module graph has no cycles, and its edges go the way ARCHITECTURE.md
//! says they may. Every `crate::…`, `super::…` and `self::…` path in `src/` (in `use`
//! declarations and in code alike, test modules included) is an edge from the module
//! it is written in to the module it names; the edges between the top-level modules,
//! and between the files of one folder, are checked:
//!
//! - no cycle, in any folder (`journal/pending → journal/segment → journal/pending`);
//! - for the crate and for each folder ARCHITECTURE.md gives a `layers` list for, every
//!   module is on the list, and each edge goes from a line to a line below it.
//!
//! The lists are read from ARCHITECTURE.md's fenced ```` ```layers ```` blocks, so the
//! document and this test cannot drift apart; `tests::*` below show that a planted
//! cycle or an upward edge fails it. How paths are read from the sources is in `paths`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod paths;

/// `from → to` within one folder (`[]` for the crate's top level), with where it is
/// written, for the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    folder: Vec<String>,
    from: String,
    to: String,
    at: String,
}

#[test]
#[cfg_attr(windows, ignore = "reads the sources; checked on the host")]
fn the_module_graph_has_no_cycle() {
    let edges = crate_edges();
    let mut failures = Vec::new();
    for (folder, edges) in by_folder(&edges) {
        if let Some(cycle) = find_cycle(&edges) {
            failures.push(format!(
                "{}: a cycle {} ({})",
                folder_name(&folder),
                cycle.join(" → "),
                witnesses(&edges, &cycle)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[cfg_attr(windows, ignore = "reads the sources; checked on the host")]
fn every_edge_goes_the_way_architecture_md_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let stated = stated_layers(&doc);
    assert!(
        stated.contains_key(&Vec::new()),
        "ARCHITECTURE.md has no ```layers block for the crate's top-level modules"
    );
    let modules = modules_in(&root.join("src"));
    let edges = crate_edges();
    let mut failures = Vec::new();
    for (folder, layers) in &stated {
        let present: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == folder.len() + 1 && m.starts_with(folder))
            .map(|m| m[folder.len()].clone())
            .collect();
        failures.extend(against_layers(folder, layers, &present, &edges));
    }
    assert!(
        failures.is_empty(),
        "ARCHITECTURE.md's layers and the sources disagree (fix the code, or the \
         invariant with its reason):\n{}",
        failures.join("\n")
    );
}

/// Every `layers` block of `doc`: ```` ```layers ```` for the crate's top level,
/// ```` ```layers journal ```` for a folder. One line a layer, from the top; the
/// modules on one line are peers, which do not know each other; `#` starts a comment.
fn stated_layers(doc: &str) -> BTreeMap<Vec<String>, Vec<Vec<String>>> {
    let mut stated = BTreeMap::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim().strip_prefix("```layers") else {
            continue;
        };
        let folder: Vec<String> = info
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut layers = Vec::new();
        for line in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            let names: Vec<String> = line
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(String::from)
                .collect();
            if !names.is_empty() {
                layers.push(names);
            }
        }
        let previous = stated.insert(folder.clone(), layers);
        assert!(
            previous.is_none(),
            "ARCHITECTURE.md has two layers blocks for {}",
            folder_name(&folder)
        );
    }
    stated
}

/// What is wrong with `edges` in `folder` against its `layers`: a module of the folder
/// the list leaves out, a name on the list that is no module, and every edge that does
/// not go down.
fn against_layers(
    folder: &[String],
    layers: &[Vec<String>],
    present: &BTreeSet<String>,
    edges: &[Edge],
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut line_of = BTreeMap::new();
    for (line, names) in layers.iter().enumerate() {
        for name in names {
            if line_of.insert(name.clone(), line).is_some() {
                failures.push(format!("{}: {name} is listed twice", folder_name(folder)));
            }
        }
    }
    for name in present {
        if !line_of.contains_key(name) {
            failures.push(format!(
                "{}: module {name} is on no line of the layers list",
                folder_name(folder)
            ));
        }
    }
    for name in line_of.keys() {
        if !present.contains(name) {
            failures.push(format!(
                "{}: the layers list names {name}, which is no module",
                folder_name(folder)
            ));
        }
    }
    for edge in edges.iter().filter(|e| e.folder == folder) {
        let (Some(from), Some(to)) = (line_of.get(&edge.from), line_of.get(&edge.to)) else {
            continue;
        };
        if from >= to {
            let how = if from == to {
                "its peer"
            } else {
                "a layer above it"
            };
            failures.push(format!(
                "{}: {} uses {how} {} ({})",
                folder_name(folder),
                edge.from,
                edge.to,
                edge.at
            ));
        }
    }
    failures
}

fn folder_name(folder: &[String]) -> String {
    if folder.is_empty() {
        "src/ (top-level modules)".to_string()
    } else {
        format!("src/{}/", folder.join("/"))
    }
}

fn by_folder(edges: &[Edge]) -> BTreeMap<Vec<String>, Vec<Edge>> {
    let mut folders: BTreeMap<Vec<String>, Vec<Edge>> = BTreeMap::new();
    for edge in edges {
        folders
            .entry(edge.folder.clone())
            .or_default()
            .push(edge.clone());
    }
    folders
}

/// A cycle among `edges` (all of one folder), as the modules along it with the first
/// repeated at the end; `None` if there is none.
fn find_cycle(edges: &[Edge]) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for edge in edges {
        next.entry(&edge.from).or_default().insert(&edge.to);
    }
    let mut done = BTreeSet::new();
    for node in next.keys() {
        if let Some(cycle) = walk(node, &next, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// Depth first from `node`: `path` is the chain being walked, `done` what has no
/// cycle below it.
fn walk<'a>(
    node: &'a str,
    next: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|n| *n == node) {
        let mut cycle: Vec<String> = path[start..].iter().map(ToString::to_string).collect();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node);
    for to in next.get(node).into_iter().flatten() {
        if let Some(cycle) = walk(to, next, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node);
    None
}

/// Where each step of `cycle` is written.
fn witnesses(edges: &[Edge], cycle: &[String]) -> String {
    cycle
        .windows(2)
        .filter_map(|step| {
            edges
                .iter()
                .find(|e| e.from == step[0] && e.to == step[1])
                .map(|e| format!("{} → {}: {}", e.from, e.to, e.at))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The edges of the library's sources.
fn crate_edges() -> Vec<Edge> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules = modules_in(&src);
    let mut paths = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        // The crate root only declares the modules and re-exports from them.
        if module.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&src).unwrap().display().to_string();
        let (inline, found) = paths::paths_in(&module, &text);
        modules.extend(inline);
        paths.extend(
            found
                .into_iter()
                .map(|(from, to, line)| (from, to, format!("src/{shown}:{line}"))),
        );
    }
    edges_between(&modules, &paths)
}

/// The edge each path makes: between the first modules where the two paths part, if
/// both are modules (a child using its parent's items, or a parent its children's,
/// makes none).
fn edges_between(
    modules: &BTreeSet<Vec<String>>,
    paths: &[(Vec<String>, Vec<String>, String)],
) -> Vec<Edge> {
    let mut edges = BTreeSet::new();
    for (from, to, at) in paths {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue;
        }
        if !modules.contains(&to[..=common]) {
            continue;
        }
        edges.insert(Edge {
            folder: from[..common].to_vec(),
            from: from[common].clone(),
            to: to[common].clone(),
            at: at.clone(),
        });
    }
    // One witness per edge is enough for a message.
    let mut seen = BTreeSet::new();
    edges
        .into_iter()
        .filter(|e| seen.insert((e.folder.clone(), e.from.clone(), e.to.clone())))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file is: `src/journal/mod.rs` is `journal`, `src/platform/unix/x.rs`
/// is `platform::unix::x`, `src/lib.rs` the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut module: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
        module.pop();
    }
    module
}

/// The modules the files of `src` are.
fn modules_in(src: &Path) -> BTreeSet<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.iter().map(|f| module_of(src, f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Vec<String> {
        text.split("::")
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    }

    fn edge(folder: &str, from: &str, to: &str) -> Edge {
        Edge {
            folder: s(folder),
            from: from.into(),
            to: to.into(),
            at: "planted".into(),
        }
    }

    #[test]
    fn a_planted_cycle_is_found_and_named() {
        let edges = [
            edge("journal", "pending", "record"),
            edge("journal", "segment", "pending"),
            edge("journal", "pending", "segment"),
        ];
        let cycle = find_cycle(&edges).expect("the cycle was not found");
        assert_eq!(cycle.first(), cycle.last());
        assert!(cycle.contains(&"pending".to_string()) && cycle.contains(&"segment".to_string()));
        assert!(witnesses(&edges, &cycle).contains("planted"));
        assert_eq!(find_cycle(&edges[..2]), None);
    }

    #[test]
    fn an_edge_up_the_layers_or_to_a_peer_fails_and_so_does_an_unlisted_module() {
        let layers = vec![
            s("tracker"),
            vec!["store".into(), "sender".into()],
            s("wire"),
        ];
        let present: BTreeSet<String> = ["tracker", "store", "sender", "wire"]
            .map(String::from)
            .into();
        let down = [edge("", "tracker", "store"), edge("", "store", "wire")];
        assert!(against_layers(&[], &layers, &present, &down).is_empty());
        let up = [edge("", "wire", "tracker")];
        let failures = against_layers(&[], &layers, &present, &up);
        assert!(
            failures[0].contains("wire uses a layer above it tracker"),
            "{failures:?}"
        );
        let peer = [edge("", "store", "sender")];
        assert!(against_layers(&[], &layers, &present, &peer)[0].contains("its peer"));
        let mut more = present.clone();
        more.insert("clock".into());
        assert!(against_layers(&[], &layers, &more, &[])[0].contains("clock is on no line"));
    }

    #[test]
    fn layers_are_read_from_fenced_blocks() {
        let doc = "text\n```layers\nffi  # the C API\ntracker\nstore sender\n```\n\
                   ```layers journal\nmod_a\n```\n";
        let stated = stated_layers(doc);
        assert_eq!(
            stated[&Vec::new()],
            vec![
                s("ffi"),
                s("tracker"),
                vec!["store".into(), "sender".into()]
            ]
        );
        assert_eq!(stated[&s("journal")], vec![s("mod_a")]);
    }

    #[test]
    fn a_path_makes_an_edge_between_the_modules_where_it_parts_from_its_own() {
        let modules: BTreeSet<Vec<String>> = [
            "journal",
            "journal::payload",
            "journal::segment",
            "journal::record",
            "journal::pending",
            "log",
        ]
        .map(s)
        .into();
        let paths = [
            ("journal::payload", "journal::Frame"),
            ("journal::payload", "journal::segment"),
            ("journal::payload", "journal::record::decode"),
            ("journal::payload", "log::log"),
            ("journal::payload::tests", "journal::pending::Frames"),
            ("journal", "journal::pending::Frames"),
        ]
        .map(|(from, to)| (s(from), s(to), "planted".to_string()));
        let shown: Vec<String> = edges_between(&modules, &paths)
            .iter()
            .map(|e| format!("{}: {} → {}", e.folder.join("::"), e.from, e.to))
            .collect();
        assert_eq!(
            shown,
            [
                ": journal → log",
                "journal: payload → pending",
                "journal: payload → record",
                "journal: payload → segment",
            ]
        );
    }
}
