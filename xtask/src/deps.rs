//! The rule that keeps `cargo xtask` buildable on a bare machine: no crate in the automation
//! crate's dependency tree may link a system library.
//!
//! A crate that links a native library declares `links = "..."` in its manifest (cargo enforces
//! it for any build script that emits `cargo:rustc-link-lib`), and by convention is named
//! `*-sys`; either mark is refused. The tree is read from `cargo metadata`: normal and build
//! dependencies, every platform (a Windows-only crate would break a Windows workstation's
//! bootstrap the same way), dev-dependencies excluded (they are not built by `cargo xtask`).

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The packages in `root`'s build tree (per `metadata`, the JSON of `cargo metadata
/// --format-version 1`) that link, or may link, a system library: `name version (links=…)`.
pub fn system_library_crates(metadata: &Value, root: &str) -> Result<Vec<String>> {
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .context("metadata without packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let root_id = packages
        .iter()
        .find(|(_, p)| p["name"] == root)
        .map(|(id, _)| *id)
        .with_context(|| format!("package {root} is not in the metadata"))?;
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .context("metadata without a resolve graph")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();

    let mut seen = BTreeSet::from([root_id]);
    let mut todo = vec![root_id];
    while let Some(id) = todo.pop() {
        let Some(node) = nodes.get(id) else {
            bail!("package {id} has no node in the resolve graph");
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let built = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if let (true, Some(pkg)) = (built, dep["pkg"].as_str()) {
                if seen.insert(pkg) {
                    todo.push(pkg);
                }
            }
        }
    }

    let mut found = Vec::new();
    for id in seen {
        let p = packages
            .get(id)
            .with_context(|| format!("package {id} is not described"))?;
        let name = p["name"].as_str().unwrap_or_default();
        let links = p["links"].as_str();
        if links.is_some() || name.ends_with("-sys") {
            found.push(format!(
                "{name} {} (links={})",
                p["version"].as_str().unwrap_or_default(),
                links.unwrap_or("-")
            ));
        }
    }
    Ok(found)
}

/// The workspace's `cargo metadata` (all platforms, lock file as it is).
pub fn workspace_metadata() -> Result<Value> {
    let out = crate::cargo()
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        // Offline fails only when a crate of the lock file was never downloaded; retry online.
        let out = crate::cargo()
            .args(["metadata", "--format-version", "1", "--locked"])
            .output()
            .context("running cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        return Ok(serde_json::from_slice(&out.stdout)?);
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn package(name: &str, links: Option<&str>) -> Value {
        json!({"id": format!("{name}-id"), "name": name, "version": "1.0.0", "links": links})
    }

    fn dep(name: &str, kind: Option<&str>) -> Value {
        json!({"pkg": format!("{name}-id"), "dep_kinds": [{"kind": kind, "target": null}]})
    }

    /// xtask → anyhow; xtask → store → libdbus-sys (links dbus); xtask -(build)→ cc;
    /// xtask -(dev)→ openssl-sys.
    fn graph(store_links: bool) -> Value {
        let store_deps = if store_links {
            vec![dep("libdbus-sys", None)]
        } else {
            vec![]
        };
        json!({
            "packages": [
                package("xtask", None), package("anyhow", None), package("store", None),
                package("libdbus-sys", Some("dbus")), package("cc", None),
                package("openssl-sys", Some("openssl")),
            ],
            "resolve": {"nodes": [
                {"id": "xtask-id", "deps": [dep("anyhow", None), dep("store", None),
                    dep("cc", Some("build")), dep("openssl-sys", Some("dev"))]},
                {"id": "anyhow-id", "deps": []},
                {"id": "store-id", "deps": store_deps},
                {"id": "libdbus-sys-id", "deps": []},
                {"id": "cc-id", "deps": []},
                {"id": "openssl-sys-id", "deps": []},
            ]}
        })
    }

    #[test]
    fn a_system_library_deep_in_the_tree_is_found_and_dev_dependencies_are_not() {
        let found = system_library_crates(&graph(true), "xtask").unwrap();
        assert_eq!(found, vec!["libdbus-sys 1.0.0 (links=dbus)".to_owned()]);
        assert!(system_library_crates(&graph(false), "xtask")
            .unwrap()
            .is_empty());
    }

    /// The rule itself, on the real workspace: `cargo xtask` must build on a machine with only
    /// Rust, before `setup` has installed any system library.
    #[test]
    fn the_automation_crate_links_no_system_library() {
        let metadata = workspace_metadata().unwrap();
        let found = system_library_crates(&metadata, "xtask").unwrap();
        assert!(
            found.is_empty(),
            "xtask must build on a bare machine, but its dependency tree links system \
             libraries: {found:?} — move the code that needs them to sceau-devtools"
        );
        // The check sees the heavy side: the devtools crate does link some.
        let heavy = system_library_crates(&metadata, "sceau-devtools").unwrap();
        assert!(
            heavy.iter().any(|p| p.starts_with("libsqlite3-sys")),
            "{heavy:?}"
        );
    }
}
