//! Units a maintainer can hold in their head: no non-test function over 150 lines, no non-test
//! source file over 900 lines (the hand-written OpenAPI document excepted). Test modules at the
//! end of a file (`#[cfg(test)] mod …`) and the `tests/` folders do not count.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

const MAX_FN: usize = 150;
const MAX_FILE: usize = 900;
/// Data written as code: the OpenAPI document of the vault's API.
const EXEMPT: &[&str] = &["crates/vault/src/api/openapi.rs"];

/// The source with comments, strings and character literals blanked (line breaks kept), so
/// that braces and keywords inside them are not counted.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let keep_newlines = |out: &mut String, s: &[u8]| {
        for _ in s.iter().filter(|c| **c == b'\n') {
            out.push('\n');
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            keep_newlines(&mut out, &b[i..end]);
            i = end;
        } else if !prev_ident && raw_string_start(rest).is_some() {
            let (open, hashes) = raw_string_start(rest).unwrap();
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let end = find(b, i + open, &close).map_or(b.len(), |e| e + close.len());
            out.push_str("\"\"");
            keep_newlines(&mut out, &b[i..end]);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            keep_newlines(&mut out, &b[i..j.min(b.len())]);
            i = j + 1;
        } else if b[i] == b'\'' && char_literal_len(rest).is_some() {
            out.push_str("' '");
            i += char_literal_len(rest).unwrap();
        } else {
            // Multi-byte UTF-8 characters are copied whole.
            let len = utf8_len(b[i]);
            out.push_str(&src[i..i + len]);
            i += len;
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `r"`, `r#"`, `br##"`…: the length of the opening and the number of `#`.
fn raw_string_start(s: &[u8]) -> Option<(usize, usize)> {
    let s2 = s.strip_prefix(b"b").unwrap_or(s);
    let skipped = s.len() - s2.len();
    let s3 = s2.strip_prefix(b"r")?;
    let hashes = s3.iter().take_while(|c| **c == b'#').count();
    (s3.get(hashes) == Some(&b'"')).then_some((skipped + 1 + hashes + 1, hashes))
}

/// The length of a character literal at the start of `s` (`'a'`, `'\n'`, `'\u{7f}'`, `'é'`),
/// or `None` for a lifetime.
fn char_literal_len(s: &[u8]) -> Option<usize> {
    if s.get(1) == Some(&b'\\') {
        let end = s.iter().skip(2).position(|c| *c == b'\'')? + 2;
        return (end <= 12).then_some(end + 1);
    }
    let len = utf8_len(*s.get(1)?);
    (s.get(1 + len) == Some(&b'\'')).then_some(len + 2)
}

/// The lines before the file's test module.
fn non_test_lines(code: &str) -> Vec<&str> {
    let lines: Vec<&str> = code.lines().collect();
    let end = (0..lines.len())
        .find(|&k| {
            lines[k].trim() == "#[cfg(test)]"
                && lines[k + 1..lines.len().min(k + 4)]
                    .iter()
                    .any(|l| l.trim_start().starts_with("mod ") || l.contains(" mod "))
        })
        .unwrap_or(lines.len());
    lines[..end].to_vec()
}

/// `(first line, length)` of every function with a body.
fn functions(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .unwrap_or(t);
        let is_fn = ["fn ", "async fn ", "const fn ", "unsafe fn "]
            .iter()
            .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        'lines: for (m, l) in lines.iter().enumerate().skip(k) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened => break 'lines, // a declaration without a body
                    _ => {}
                }
            }
            if opened && depth == 0 {
                out.push((k + 1, m - k + 1));
                break;
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if !["tests", "benches", "target", "node_modules", "fuzz"].contains(&name.as_str()) {
                sources(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_function_over_150_lines_and_no_file_over_900() {
    let root = xtask::root();
    let mut files = Vec::new();
    for d in ["crates", "src-tauri/src", "xtask"] {
        sources(&root.join(d), &mut files);
    }
    assert!(files.len() > 50, "{} files", files.len());
    let mut over = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if EXEMPT.contains(&rel.as_str()) {
            continue;
        }
        let code = code_only(&std::fs::read_to_string(f).unwrap());
        let lines = non_test_lines(&code);
        if lines.len() > MAX_FILE {
            over.push(format!("{rel}: {} lines", lines.len()));
        }
        for (at, len) in functions(&lines) {
            if len > MAX_FN {
                over.push(format!("{rel}:{at}: a function of {len} lines"));
            }
        }
    }
    assert!(
        over.is_empty(),
        "split these along their seams (at most {MAX_FN} lines a function, {MAX_FILE} a file):\n{}",
        over.join("\n")
    );
}

#[test]
fn the_measure_sees_through_strings_comments_and_test_modules() {
    let src = "fn a() {\n    let s = \"}}}\";\n    let r = r#\"{\"#;\n    // }\n    let c = '}';\n    let l: &'static str = \"x\";\n}\n\
               fn b() -> u8;\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n";
    let code = code_only(src);
    let lines = non_test_lines(&code);
    assert_eq!(lines.len(), 8, "{code}");
    assert_eq!(functions(&lines), vec![(1, 7)]);
    // A long function is seen as long.
    let long = format!("fn big() {{\n{}}}\n", "    x();\n".repeat(200));
    let code = code_only(&long);
    assert_eq!(functions(&non_test_lines(&code)), vec![(1, 202)]);
}
