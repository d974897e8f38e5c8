//! Reading the paths a Rust file names: a small lexer that skips comments, strings,
//! characters and lifetimes, and a reader of `crate::`, `super::` and `self::` paths
//! and `use` trees (`{…}` groups, `self` in a group, `super::super::`), which resolves
//! each to an absolute path from the module it is written in.

/// A path found: the module it is written in, the absolute path it names, its line.
pub type Found = (Vec<String>, Vec<String>, usize);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

/// The tokens of `text` that matter for paths, with their lines: comments, strings,
/// characters, lifetimes and numbers are skipped, so a path in a comment or a message
/// makes no edge.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let skip_to = |i: &mut usize, line: &mut usize, end: usize| {
        let end = end.min(chars.len());
        *line += chars[*i..end].iter().filter(|c| **c == '\n').count();
        *i = end;
    };
    // The end of a quoted literal opened at `start` (just after its quote).
    let quoted_end = |start: usize, quote: char| {
        let mut j = start;
        while j < chars.len() && chars[j] != quote {
            j += if chars[j] == '\\' { 2 } else { 1 };
        }
        j + 1
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let end = block_comment_end(&chars, i);
            skip_to(&mut i, &mut line, end);
        } else if c == '"' {
            let end = quoted_end(i + 1, '"');
            skip_to(&mut i, &mut line, end);
        } else if c == '\'' {
            // A character ('x', '\n', '\u{1}') or a lifetime ('a).
            if next == Some('\\') {
                let end = quoted_end(i + 1, '\'');
                skip_to(&mut i, &mut line, end);
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let at = chars.get(i).copied();
            let raw_string = matches!(word.as_str(), "r" | "br" | "cr")
                && (at == Some('"') || at == Some('#'))
                && {
                    let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
                    chars.get(i + hashes) == Some(&'"')
                };
            if raw_string {
                let end = raw_string_end(&chars, i);
                skip_to(&mut i, &mut line, end);
            } else if matches!(word.as_str(), "b" | "c") && at == Some('"') {
                let end = quoted_end(i + 1, '"');
                skip_to(&mut i, &mut line, end);
            } else if word == "b" && at == Some('\'') {
                let end = quoted_end(i + 1, '\'');
                skip_to(&mut i, &mut line, end);
            } else if word == "r" && at == Some('#') {
                // A raw identifier: `r#type`.
                i += 1;
            } else {
                out.push((Token::Ident(word), line));
            }
        } else if c == ':' && next == Some(':') {
            out.push((Token::PathSep, line));
            i += 2;
        } else {
            out.push((
                match c {
                    '{' => Token::Open,
                    '}' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Other,
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// The end of the (nested) block comment starting at `i`.
fn block_comment_end(chars: &[char], i: usize) -> usize {
    let (mut depth, mut j) = (0, i);
    while j + 1 < chars.len() {
        if chars[j] == '/' && chars[j + 1] == '*' {
            depth += 1;
            j += 2;
        } else if chars[j] == '*' && chars[j + 1] == '/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    chars.len()
}

/// The end of the raw string whose `#`s (if any) and quote start at `i`.
fn raw_string_end(chars: &[char], i: usize) -> usize {
    let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
    let mut j = i + hashes + 1;
    while j < chars.len() {
        if chars[j] == '"' && chars[j + 1..].iter().take(hashes).all(|c| *c == '#') {
            return j + 1 + hashes;
        }
        j += 1;
    }
    chars.len()
}

/// The paths written in `text`, the file of `module`: each as the module it is
/// written in (an inline `mod tests` included), the absolute path it names, and its
/// line. Also the inline modules declared (`mod tests { … }`).
pub fn paths_in(module: &[String], text: &str) -> (Vec<Vec<String>>, Vec<Found>) {
    let tokens = tokens(text);
    let mut inline = Vec::new();
    let mut found = Vec::new();
    // The inline modules open here, with the brace depth inside each.
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i].0 {
            Token::Open => depth += 1,
            Token::Close => {
                if open.last().is_some_and(|(_, d)| *d == depth) {
                    open.pop();
                }
                depth -= 1;
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some((Token::Ident(name), _)), Some((Token::Open, _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    open.push((name.clone(), depth + 1));
                    let mut inner = module.to_vec();
                    inner.extend(open.iter().map(|(n, _)| n.clone()));
                    inline.push(inner);
                }
            }
            Token::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep)
                    && (i == 0 || tokens[i - 1].0 != Token::PathSep) =>
            {
                let mut here = module.to_vec();
                here.extend(open.iter().map(|(n, _)| n.clone()));
                let line = tokens[i].1;
                let mut targets = Vec::new();
                i = use_tree(&tokens, i, &here, Vec::new(), &mut targets);
                found.extend(targets.into_iter().map(|to| (here.clone(), to, line)));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (inline, found)
}

/// Reads the path (or `use` tree) starting at token `i`, written in module `here`,
/// under `base` (the path before a `{` group); pushes each complete absolute path to
/// `out` and returns the index after it.
fn use_tree(
    tokens: &[(Token, usize)],
    mut i: usize,
    here: &[String],
    base: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    // Before the first name: `crate`, `self` and `super` say where the path starts.
    let mut leading = base.is_empty();
    let mut path = base;
    let mut first = true;
    loop {
        match tokens.get(i).map(|t| &t.0) {
            Some(Token::Ident(word)) => {
                match word.as_str() {
                    "crate" if leading => path.clear(),
                    "self" if leading => path = here.to_vec(),
                    "super" if leading => {
                        if first {
                            path = here.to_vec();
                        }
                        path.pop();
                    }
                    // `{self, …}`: the path itself.
                    "self" => {}
                    _ => {
                        path.push(word.clone());
                        leading = false;
                    }
                }
                first = false;
                i += 1;
            }
            Some(Token::Open) => {
                i += 1;
                while let Some((token, _)) = tokens.get(i) {
                    match token {
                        Token::Close => {
                            i += 1;
                            break;
                        }
                        Token::Comma => i += 1,
                        _ => {
                            let before = i;
                            i = use_tree(tokens, i, here, path.clone(), out);
                            if i == before {
                                i += 1;
                            }
                        }
                    }
                }
                return i;
            }
            _ => break,
        }
        if tokens.get(i).map(|t| &t.0) == Some(&Token::PathSep) {
            i += 1;
        } else {
            break;
        }
    }
    out.push(path);
    i
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

    #[test]
    fn paths_are_read_from_groups_relative_paths_and_inline_modules_but_not_comments() {
        let text = r#"
            use crate::journal::{Frame, segment::{self, Segment}};
            use super::record::decode;
            // use crate::store::Store;
            /* crate::sender::Sender */
            const S: &str = "crate::config::x";
            fn f<'a>(c: char) { let _ = '"'; crate::log::log(); }
            mod tests { use super::super::pending::Frames; }
        "#;
        let (inline, found) = paths_in(&s("journal::payload"), text);
        assert_eq!(inline, vec![s("journal::payload::tests")]);
        let named: Vec<(String, String)> = found
            .iter()
            .map(|(from, to, _)| (from.join("::"), to.join("::")))
            .collect();
        assert_eq!(
            named,
            [
                ("journal::payload", "journal::Frame"),
                ("journal::payload", "journal::segment"),
                ("journal::payload", "journal::segment::Segment"),
                ("journal::payload", "journal::record::decode"),
                ("journal::payload", "log::log"),
                ("journal::payload::tests", "journal::pending::Frames"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
}
