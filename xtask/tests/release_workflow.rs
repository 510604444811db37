//! The release pipeline (`.github/workflows/release.yml`) cannot run on these machines; what
//! can be checked here is that it is valid YAML (read by PyYAML, a parser we did not write),
//! that it builds on the three systems the offices use, and that each job runs the unit tests
//! and `cargo xtask bundle`.
#![allow(clippy::unwrap_used)]

use std::process::Command;

const READ: &str = r#"
import json, sys, yaml
with open(sys.argv[1]) as f:
    doc = yaml.safe_load(f)
print(json.dumps(doc, default=str))
"#;

#[test]
fn the_release_workflow_builds_on_windows_macos_and_linux() {
    let path = xtask::root().join(".github/workflows/release.yml");
    let out = Command::new("python3")
        .args(["-c", READ])
        .arg(&path)
        .output()
        .expect("python3 (cargo xtask setup installs it, with python3-yaml)");
    assert!(
        out.status.success(),
        "{} is not valid YAML: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = &doc["jobs"]["desktop"];
    let systems: Vec<&str> = job["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["os"].as_str().unwrap())
        .collect();
    assert_eq!(systems, ["windows-latest", "macos-latest", "ubuntu-22.04"]);
    assert_eq!(job["runs-on"], "${{ matrix.os }}");
    let commands: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.contains("cargo test") && c.contains("--locked")),
        "{commands:?}"
    );
    assert!(commands.contains(&"cargo xtask bundle"), "{commands:?}");
}
