//! ARCHITECTURE.md's tables of crates name every member of the workspace, each at its folder,
//! and nothing else: a crate added, renamed or moved without its row fails here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

/// The `(name, folder)` of each crate row: a first cell `` `name` (`folder`) ``, or
/// `` `name` `` alone for a crate at the folder of its name (`xtask`).
fn documented(text: &str) -> BTreeSet<(String, String)> {
    let mut rows = BTreeSet::new();
    for line in text.lines() {
        let Some(cell) = line.strip_prefix("| `").and_then(|l| l.split(" |").next()) else {
            continue;
        };
        let (name, rest) = cell.split_once('`').unwrap();
        // Front-end rows name files and folders (`src/lib/api.ts`), not crates.
        if name.contains('/') || name.contains('.') || name.contains('{') {
            continue;
        }
        let folder = match rest
            .trim()
            .strip_prefix("(`")
            .and_then(|r| r.strip_suffix("`)"))
        {
            Some(f) => f.to_owned(),
            None => name.to_owned(),
        };
        rows.insert((name.to_owned(), folder));
    }
    rows
}

#[test]
fn the_crate_tables_list_exactly_the_workspace() {
    let root = xtask::root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let metadata = xtask::deps::workspace_metadata().unwrap();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let actual: BTreeSet<(String, String)> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap()))
        .map(|p| {
            let manifest = std::path::Path::new(p["manifest_path"].as_str().unwrap());
            let folder = manifest
                .parent()
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (p["name"].as_str().unwrap().to_owned(), folder)
        })
        .collect();
    let rows = documented(&text);
    let missing: Vec<_> = actual.difference(&rows).collect();
    let extra: Vec<_> = rows.difference(&actual).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "ARCHITECTURE.md's crate tables: missing {missing:?}, not in the workspace {extra:?}"
    );
}

#[test]
fn a_row_is_read_as_the_crate_and_its_folder() {
    let text = "| crate | job |\n| `sceau-core` (`crates/core`) | the domain |\n\
                | `xtask` | automation |\n| `src/lib/api.ts` | the backend |\n\
                | `src/lib/{files,pin}.ts` | logic |\n";
    let rows: Vec<_> = documented(text).into_iter().collect();
    assert_eq!(
        rows,
        [
            ("sceau-core".to_owned(), "crates/core".to_owned()),
            ("xtask".to_owned(), "xtask".to_owned())
        ]
    );
}
