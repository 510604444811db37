//! `cargo xtask bench app`: the desktop window (release build) under Xvfb, driven by WebDriver
//! as the end-to-end tests do, on a local store of 100,000 services (seeded through the store's
//! own API, as `bench store` does) and the real vault and SoftHSM key of `sceau-e2e`.
//!
//! Measures the cold start (WebDriver session asked → login screen with the key's certificate
//! → PIN typed, "Se connecter" → dashboard counts rendered) and the resident memory (VmRSS) of
//! the application process and of WebKit's processes after the four categories are expanded.
//! Goals: ≤ 1.5 s and ≤ 250 MB.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use sceau_desktop_tests::Desktop;

const SERVICES: u64 = 100_000;

/// VmRSS of a process, in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Proportional set size of a process (shared pages divided among the processes that map
/// them), in kB, and its private (anonymous + private file) memory.
fn pss_kb(pid: u32) -> Option<(u64, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> u64 {
        rollup
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some((
        field("Pss:"),
        field("Private_Clean:") + field("Private_Dirty:"),
    ))
}

/// Every process: (pid, parent pid, command name).
fn processes() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        out.push((pid, ppid, comm));
    }
    out
}

/// The application's process (by its executable) and its descendants (WebKit's web and
/// network processes), with their VmRSS in kB.
fn app_memory(app: &Path) -> Vec<(String, u32, u64)> {
    let procs = processes();
    let Some(root) = procs.iter().find(|(pid, _, _)| {
        std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
    }) else {
        return vec![];
    };
    let mut family = vec![root.0];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    family
        .into_iter()
        .filter_map(|pid| {
            let name = procs.iter().find(|p| p.0 == pid)?.2.clone();
            Some((name, pid, rss_kb(pid)?))
        })
        .collect()
}

/// Environment variable: `1` runs the window with WebKit's hardware acceleration, as before
/// the window turned it off (`src-tauri/src/webview.rs`), to compare.
const ACCELERATION: &str = "SCEAU_BENCH_APP_ACCELERATION";

/// Runs the benchmark and prints its figures.
pub fn run() -> Result<()> {
    crate::setup::run()?;
    let accelerated = std::env::var_os(ACCELERATION).is_some_and(|v| v == "1");
    if accelerated {
        // Inherited by tauri-driver, WebKitWebDriver and the application.
        std::env::set_var("SCEAU_WEBKIT_ACCELERATION", "1");
    }
    let app = crate::demo::build_window(true)?;
    let app = app.canonicalize().context("the release binary")?;
    println!("seeding a local store of {SERVICES} services (debug build of the seeder) ...");
    let (mut d, _) = Desktop::start_with("bench-app", false, &app, |w| {
        let t = Instant::now();
        let store = crate::bench_store::build(&w.data_dir, SERVICES)?;
        let counts = store.dashboard_counts()?;
        drop(store);
        println!(
            "store seeded in {:.1} s: {} awaiting, {} in person, {} at home, {} returns",
            t.elapsed().as_secs_f64(),
            counts.awaiting_consultation,
            counts.delivered_in_person,
            counts.delivered_at_home,
            counts.return_awaiting_consultation
        );
        // The seeded store's key, for the CLI (first connection) and the window.
        let config = std::fs::read_to_string(&w.cli_config)?;
        let key = w.data_dir.join("key.bin");
        let config: String = config
            .lines()
            .map(|l| {
                if l.starts_with("insecure_store_key_file") {
                    format!("insecure_store_key_file = {:?}", key.to_string_lossy())
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&w.cli_config, config + "\n")?;
        // First connection from the CLI: the window opens on a bound office.
        w.connect();
        Ok(())
    })?;
    let w = &mut d.window;
    w.wait_text(".cert-choice", Some("Jeanne DUPONT"))?;
    let login = d.opened_at.elapsed();
    w.type_into("#login-pin", &d.world.office.pin)?;
    let clicked = Instant::now();
    w.click_button("Se connecter")?;
    w.wait_text("section[data-category=in_person] .count", None)?;
    let dashboard = clicked.elapsed();
    let total = d.opened_at.elapsed();
    w.screenshot("tableau-de-bord-100000")?;
    for c in ["awaiting_consultation", "in_person", "at_home", "returns"] {
        w.click(&format!("section[data-category={c}] .category-toggle"))?;
        w.wait_text(&format!("section[data-category={c}] .category-list"), None)?;
    }
    w.wait_text(
        "section[data-category=in_person] .category-list",
        Some("D0"),
    )?;
    w.screenshot("categories-ouvertes")?;
    let memory = app_memory(&app);
    // Proportional figures divide shared pages among every process mapping them: another
    // WebKit application running at the same time would make ours look smaller.
    let others = processes()
        .into_iter()
        .filter(|(pid, _, _)| !memory.iter().any(|m| m.1 == *pid))
        .filter(|(pid, _, _)| {
            std::fs::read_to_string(format!("/proc/{pid}/maps"))
                .is_ok_and(|m| m.contains("libwebkit2gtk"))
        })
        .count();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n== bench app ({SERVICES} services, Xvfb, WebKit acceleration {}, load average {})",
        if accelerated {
            "on"
        } else {
            "off (the application's setting)"
        },
        load.trim()
    );
    println!(
        "cold start: login screen {:.2} s; connect to dashboard counts {:.2} s; total {:.2} s (goal ≤ 1.5 s)",
        login.as_secs_f64(),
        dashboard.as_secs_f64(),
        total.as_secs_f64()
    );
    let (mut sum, mut sum_pss, mut sum_private) = (0, 0, 0);
    let smaps_dir = crate::target_dir().join("bench-app-smaps");
    std::fs::create_dir_all(&smaps_dir).ok();
    for (name, pid, kb) in &memory {
        let (pss, private) = pss_kb(*pid).unwrap_or((0, 0));
        println!(
            "  {name} (pid {pid}): resident {:.1} MB, proportional {:.1} MB, private {:.1} MB",
            *kb as f64 / 1024.0,
            pss as f64 / 1024.0,
            private as f64 / 1024.0
        );
        sum += kb;
        sum_pss += pss;
        sum_private += private;
        // Kept for a look at what each process maps.
        if let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) {
            std::fs::write(smaps_dir.join(format!("{name}-{pid}.smaps")), smaps).ok();
        }
    }
    println!(
        "memory of the application + WebKit processes: resident (VmRSS summed) {:.1} MB, \
         proportional (PSS) {:.1} MB, private {:.1} MB (goal ≤ 250 MB)",
        sum as f64 / 1024.0,
        sum_pss as f64 / 1024.0,
        sum_private as f64 / 1024.0
    );
    println!("each process's mappings: {}", smaps_dir.display());
    if others > 0 {
        println!(
            "warning: {others} other process(es) map WebKit's libraries: the proportional figure \
             is lower than alone; run again on a quiet machine"
        );
    }
    d.window.close().ok();
    Ok(())
}
