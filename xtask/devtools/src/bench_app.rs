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
    crate::bench::proc_status_kb(&pid.to_string(), "VmRSS:")
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

/// One process's memory at one moment, in kB.
struct Sample {
    name: String,
    pid: u32,
    resident: u64,
    proportional: u64,
    private: u64,
}

/// The application's process (by its executable) and its descendants (WebKit's web and
/// network processes), read at once; each process's mappings are kept under `keep` when given.
fn app_memory(app: &Path, keep: Option<&Path>) -> Vec<Sample> {
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
            let (proportional, private) = pss_kb(pid)?;
            let resident = rss_kb(pid)?;
            if let Some(dir) = keep {
                if let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) {
                    std::fs::write(dir.join(format!("{name}-{pid}.smaps")), smaps).ok();
                }
            }
            Some(Sample {
                name,
                pid,
                resident,
                proportional,
                private,
            })
        })
        .collect()
}

/// Environment variable: `1` runs the window with WebKit's hardware acceleration, as before
/// the window turned it off (`src-tauri/src/webview.rs`), to compare.
const ACCELERATION: &str = "SCEAU_BENCH_APP_ACCELERATION";

/// How the window answers while the lists are used.
struct Responsiveness {
    /// Each filter's time from the keystroke to its rows on screen, in ms.
    filters: Vec<f64>,
    /// Longest time between two animation frames, in ms: the window's longest freeze.
    longest_frame_ms: f64,
    /// Frames counted, and those that came more than 100 ms after the previous one.
    frames: u64,
    long_frames: u64,
}

/// The value at `q` (0..=1) of `v`, nearest rank.
fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

/// Filters the "remises à personne" list with terms that match many, few and no rows, then
/// scrolls the page, while a frame counter in the page records the gaps between painted frames.
fn responsiveness(w: &mut sceau_desktop_tests::Window) -> Result<Responsiveness> {
    w.exec(
        r#"window.__frames = {n: 0, longest: 0, long: 0, stop: false};
           let last = performance.now();
           const tick = (t) => {
             const f = window.__frames, gap = t - last;
             last = t; f.n += 1; f.longest = Math.max(f.longest, gap); if (gap > 100) f.long += 1;
             if (!f.stop) requestAnimationFrame(tick);
           };
           requestAnimationFrame(tick);
           return true;"#,
        serde_json::json!([]),
    )?;
    const FILTER: &str = r#"
        const [term, done] = arguments;
        const list = document.querySelector("section[data-category=in_person] .category-list");
        const input = list.querySelector("input[type=search]");
        const table = list.querySelector("table");
        const t0 = performance.now();
        input.value = term;
        input.dispatchEvent(new Event("input", {bubbles: true}));
        const settled = () => {
          if (table.getAttribute("aria-busy") !== "false") return false;
          const first = table.querySelector("tbody tr");
          const text = first ? first.innerText : "";
          return term === "" ? !text.includes("Chargement")
            : text.includes(term) || text.includes("Aucune notification");
        };
        const wait = () => settled() ? done(performance.now() - t0) : requestAnimationFrame(wait);
        requestAnimationFrame(wait);
    "#;
    let mut filters = Vec::new();
    for round in 0..3 {
        for term in [
            "DURAND1",
            "DURAND14",
            "DURAND147",
            "BANQUE",
            "D00979",
            "Y-AUCUN",
            "",
        ] {
            let ms = w.exec_async(FILTER, serde_json::json!([term]))?;
            let ms = ms.as_f64().context("filter time")?;
            if round > 0 {
                filters.push(ms);
            }
        }
    }
    w.exec_async(
        r#"const done = arguments[0];
           let i = 0;
           const step = () => {
             window.scrollBy(0, i < 40 ? 120 : -120);
             i += 1;
             if (i < 80) requestAnimationFrame(step); else done(true);
           };
           requestAnimationFrame(step);"#,
        serde_json::json!([]),
    )?;
    let f = w.exec(
        "window.__frames.stop = true; return window.__frames;",
        serde_json::json!([]),
    )?;
    Ok(Responsiveness {
        filters,
        longest_frame_ms: f["longest"].as_f64().unwrap_or(f64::NAN),
        frames: f["n"].as_u64().unwrap_or(0),
        long_frames: f["long"].as_u64().unwrap_or(0),
    })
}

/// Runs the benchmark and prints its figures.
pub fn run() -> Result<()> {
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
    let smaps_dir = xtask::target_dir().join("bench-app-smaps");
    std::fs::create_dir_all(&smaps_dir).ok();
    let memory = app_memory(&app, Some(&smaps_dir));
    let responsiveness = responsiveness(w)?;
    let after: u64 = app_memory(&app, None).iter().map(|s| s.proportional).sum();
    // Proportional figures divide shared pages among every process mapping them: another
    // WebKit application running at the same time would make ours look smaller.
    let others = processes()
        .into_iter()
        .filter(|(pid, _, _)| !memory.iter().any(|m| m.pid == *pid))
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
    println!(
        "filter of the \"remises à personne\" list (keystroke → rows shown, in the page): \
         {} filters, median {:.0} ms, max {:.0} ms",
        responsiveness.filters.len(),
        percentile(&responsiveness.filters, 0.5),
        percentile(&responsiveness.filters, 1.0)
    );
    println!(
        "longest pause between two painted frames while filtering and scrolling: {:.0} ms \
         ({} frames, {} pauses over 100 ms)",
        responsiveness.longest_frame_ms, responsiveness.frames, responsiveness.long_frames
    );
    for m in &memory {
        println!(
            "  {} (pid {}): resident {:.1} MB, proportional {:.1} MB, private {:.1} MB",
            m.name,
            m.pid,
            m.resident as f64 / 1024.0,
            m.proportional as f64 / 1024.0,
            m.private as f64 / 1024.0
        );
    }
    let sum = |f: fn(&Sample) -> u64| memory.iter().map(f).sum::<u64>() as f64 / 1024.0;
    println!(
        "memory of the application + WebKit processes: resident (VmRSS summed) {:.1} MB, \
         proportional (PSS) {:.1} MB, private {:.1} MB (goal ≤ 250 MB)",
        sum(|m| m.resident),
        sum(|m| m.proportional),
        sum(|m| m.private)
    );
    println!(
        "proportional memory after the filters and the scrolling: {:.1} MB",
        after as f64 / 1024.0
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
