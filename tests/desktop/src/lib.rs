//! Harness of the window's end-to-end tests: the real `sceau-desktop` binary (built with the
//! production front end embedded), driven through WebDriver — `tauri-driver` in front of Debian's
//! `WebKitWebDriver` — on a virtual display (Xvfb), against the real vault and a SoftHSM
//! office key set up by `sceau-e2e`'s [`World`].
//!
//! The WebDriver client is a few JSON calls over `ureq` (W3C classic protocol). Waiting is done
//! in the page by a `MutationObserver` (an async script that resolves when the text appears),
//! never by sleeping; the only bound is WebDriver's script timeout, which turns a missing
//! screen into a failure with a screenshot.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod clerk;

pub use clerk::shift_to;
mod xwd;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

pub use sceau_e2e::{World, BANK_ID, BANK_NAME, BANK_SIRET};

/// WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a screen may take to show what a test waits for (a deposit runs six steps,
/// LibreOffice is not involved: PDFs only).
const WAIT_MS: u64 = 90_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The window's binary, built once per test process with the production front end
/// (`ui/dist`, built first when missing or older than its sources) and `tauri/custom-protocol`.
pub fn app_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = root();
        // The same Node.js, `npm ci` and freshness rule as `cargo xtask`.
        xtask::ui::build().expect("building the front end (ui/)");
        let mut build = Command::new(env!("CARGO"));
        build.current_dir(&root).args([
            "build",
            "--quiet",
            "-p",
            "sceau-desktop",
            "--features",
            "tauri/custom-protocol",
        ]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        assert!(
            build.status().expect("cargo build").success(),
            "building sceau-desktop failed"
        );
        profile_dir().join("sceau-desktop")
    })
}

/// `target/<profile>/` of the running executable (a test in `deps/`, or xtask).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("target dir");
    if dir.ends_with("deps") {
        dir.parent().expect("target dir").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Where each test's screenshots go: `target/e2e-screenshots/`.
pub fn screenshots_dir() -> PathBuf {
    let target = profile_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root().join("target"));
    let dir = target.join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

fn which(name: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A process in its own process group, killed as a whole (SIGTERM) on drop.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// `tauri-driver` on a virtual display of its own (`Xvfb -displayfd`: the X server picks a
/// free display and says which, so parallel tests never race for one).
pub struct Driver {
    // Field order: the driver (and the application it launched) goes before the display.
    driver: Group,
    _xvfb: Group,
    display: u32,
    port: u16,
    log: PathBuf,
}

impl Driver {
    /// Starts Xvfb, then `tauri-driver` with `envs` (inherited by the application it launches).
    pub fn start(envs: &[(String, std::ffi::OsString)], log: &Path) -> Result<Driver> {
        let driver = which("tauri-driver").context(
            "tauri-driver is missing: run `cargo xtask setup` (cargo install tauri-driver --locked)",
        )?;
        which("WebKitWebDriver")
            .context("WebKitWebDriver is missing: run `cargo xtask setup` (webkit2gtk-driver)")?;
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1600x1000x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("Xvfb is missing: run `cargo xtask setup` (xvfb)")?;
        let mut line = String::new();
        {
            use std::io::BufRead;
            let out = xvfb
                .stdout
                .take()
                .ok_or_else(|| anyhow!("no Xvfb stdout"))?;
            std::io::BufReader::new(out).read_line(&mut line)?;
        }
        let xvfb = Group(xvfb);
        let display = line
            .trim()
            .parse::<u32>()
            .context("Xvfb gave no display number")?;
        let port = free_port();
        let native = free_port();
        let out = std::fs::File::create(log)?;
        let child = Command::new(&driver)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native.to_string()])
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .env("DISPLAY", format!(":{display}"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .spawn()?;
        let mut d = Driver {
            driver: Group(child),
            _xvfb: xvfb,
            display,
            port,
            log: log.to_path_buf(),
        };
        // Readiness: the driver's port and WebKitWebDriver's (which tauri-driver starts and
        // forwards to) accept connections, or the process has exited. Under load the native
        // driver comes up later, and a session asked before is dropped.
        let start = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && TcpStream::connect(("127.0.0.1", native)).is_ok()
            {
                return Ok(d);
            }
            if let Some(status) = d.driver.0.try_wait()? {
                bail!(
                    "tauri-driver exited ({status}): {}",
                    std::fs::read_to_string(&d.log).unwrap_or_default()
                );
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!("tauri-driver did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The driver's address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// One WebDriver session on the application's window.
pub struct Window {
    agent: ureq::Agent,
    base: String,
    /// The X display the window is on (screenshots).
    display: u32,
    /// Screenshots are named `<name>-<nn>-<screen>.png`.
    name: String,
    shots: usize,
    /// Every screenshot taken, in order.
    pub screenshots: Vec<PathBuf>,
}

impl Window {
    /// Opens the application `app` through `driver`.
    pub fn open(driver: &Driver, app: &Path, name: &str) -> Result<Window> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app}
        }}});
        let v = call(
            &agent,
            "POST",
            &format!("{}/session", driver.url()),
            Some(caps),
        )?;
        let id = v["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session id in {v}"))?
            .to_owned();
        let w = Window {
            agent,
            base: format!("{}/session/{id}", driver.url()),
            display: driver.display,
            name: name.to_owned(),
            shots: 0,
            screenshots: vec![],
        };
        w.cmd(
            "POST",
            "/timeouts",
            Some(json!({"script": WAIT_MS, "implicit": 0, "pageLoad": 60_000})),
        )?;
        Ok(w)
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        call(&self.agent, method, &format!("{}{path}", self.base), body)
    }

    /// Runs `script` in the page (`arguments` are `args`) and returns its value.
    pub fn exec(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs the asynchronous `script` in the page (its last argument is the callback that
    /// returns its value) and returns that value.
    pub fn exec_async(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Waits until an element matching `css` exists and, if `needle` is given, one of them
    /// contains it (non-breaking spaces compared as spaces); returns that element's text. On
    /// failure: a screenshot and the page's text.
    pub fn wait_text(&mut self, css: &str, needle: Option<&str>) -> Result<String> {
        const SCRIPT: &str = r#"
            const [sel, needle, done] = arguments;
            // French typography's non-breaking spaces read as spaces, in the page and the needle.
            const plain = (t) => t.replace(/[\u00a0\u202f]/g, " ");
            const find = () => {
              for (const e of document.querySelectorAll(sel)) {
                const t = e.innerText ?? e.textContent ?? "";
                if (needle === null || plain(t).includes(plain(needle))) return t;
              }
              return null;
            };
            const now = find();
            if (now !== null) { done(now); return; }
            const obs = new MutationObserver(() => {
              const t = find();
              if (t !== null) { obs.disconnect(); done(t); }
            });
            obs.observe(document.documentElement,
              {subtree: true, childList: true, characterData: true, attributes: true});
        "#;
        match self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": SCRIPT, "args": [css, needle]})),
        ) {
            Ok(v) => Ok(v.as_str().unwrap_or_default().to_owned()),
            Err(e) => {
                let shot = self.screenshot("FAILED").ok();
                let text = self.page_text().unwrap_or_default();
                bail!(
                    "waiting for {css:?} containing {needle:?}: {e}\nscreenshot: {shot:?}\npage:\n{text}"
                )
            }
        }
    }

    /// Waits until no element matching `css` contains `needle` (a list emptied by a change).
    pub fn wait_absent(&mut self, css: &str, needle: &str) -> Result<()> {
        const SCRIPT: &str = r#"
            const [sel, needle, done] = arguments;
            const plain = (t) => t.replace(/[\u00a0\u202f]/g, " ");
            const present = () => [...document.querySelectorAll(sel)]
              .some((e) => plain(e.innerText ?? e.textContent ?? "").includes(plain(needle)));
            if (!present()) { done(true); return; }
            const obs = new MutationObserver(() => {
              if (!present()) { obs.disconnect(); done(true); }
            });
            obs.observe(document.documentElement,
              {subtree: true, childList: true, characterData: true, attributes: true});
        "#;
        if let Err(e) = self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": SCRIPT, "args": [css, needle]})),
        ) {
            let shot = self.screenshot("FAILED").ok();
            bail!("waiting for {css:?} without {needle:?}: {e}\nscreenshot: {shot:?}");
        }
        Ok(())
    }

    /// The visible text of the page.
    pub fn page_text(&self) -> Result<String> {
        Ok(self
            .exec("return document.body.innerText;", json!([]))?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    fn element(&self, using: &str, value: &str) -> Result<String> {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": using, "value": value})),
        )?;
        v[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no element for {value}: {v}"))
    }

    /// Clicks the element matching `css`.
    pub fn click(&self, css: &str) -> Result<()> {
        let id = self.element("css selector", css)?;
        self.click_element(&id, css)
    }

    /// Clicks element `id`; a refusal says where the element is and what covers it.
    fn click_element(&self, id: &str, what: &str) -> Result<()> {
        // Centred first: WebKitWebDriver does not bring an element above the scrolled page back
        // into view, and the service form's action bar sticks to the bottom.
        self.exec(
            "const e = arguments[0]; \
             if (e.tagName !== 'OPTION') e.scrollIntoView({block: 'center', inline: 'nearest'}); \
             return true;",
            json!([{ ELEMENT: id }]),
        )?;
        let Err(e) = self.cmd("POST", &format!("/element/{id}/click"), Some(json!({}))) else {
            return Ok(());
        };
        let seen = self
            .exec(
                "const e = arguments[0]; const r = e.getBoundingClientRect(); \
                 const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2); \
                 return {rect: [r.x, r.y, r.width, r.height], view: [innerWidth, innerHeight], \
                 html: e.outerHTML.slice(0, 200), on_top: top ? top.outerHTML.slice(0, 200) : null};",
                json!([{ ELEMENT: id }]),
            )
            .unwrap_or(Value::Null);
        bail!("clicking {what}: {e}\n{seen}")
    }

    /// Waits until an enabled button whose text is `text` (or contains it) is in the page: a
    /// screen busy with a previous action greys its buttons for a moment.
    fn wait_button(&self, text: &str, exact: bool) -> Result<()> {
        const SCRIPT: &str = r#"
            const [text, exact, done] = arguments;
            const plain = (t) => t.replace(/[\u00a0\u202f]/g, " ").replace(/\s+/g, " ").trim();
            const want = plain(text);
            const found = () => [...document.querySelectorAll("button:not([disabled])")]
              .some((b) => exact ? plain(b.textContent ?? "") === want
                                 : plain(b.textContent ?? "").includes(want));
            if (found()) { done(true); return; }
            const obs = new MutationObserver(() => {
              if (found()) { obs.disconnect(); done(true); }
            });
            obs.observe(document.documentElement,
              {subtree: true, childList: true, characterData: true, attributes: true});
        "#;
        self.exec_async(SCRIPT, json!([text, exact]))
            .with_context(|| format!("waiting for an enabled button {text:?}"))?;
        Ok(())
    }

    /// Clicks the (enabled) button whose text is `text`.
    pub fn click_button(&self, text: &str) -> Result<()> {
        self.wait_button(text, true)?;
        let id = self.element(
            "xpath",
            &format!("//button[normalize-space()=\"{text}\" and not(@disabled)]"),
        )?;
        self.click_element(&id, text)
    }

    /// Clicks the (enabled) button whose text contains `text`.
    pub fn click_button_containing(&self, text: &str) -> Result<()> {
        self.wait_button(text, false)?;
        let id = self.element(
            "xpath",
            &format!("//button[contains(normalize-space(), \"{text}\") and not(@disabled)]"),
        )?;
        self.click_element(&id, text)
    }

    /// Types `text` into the element matching `css` (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.element("css selector", css)?;
        self.cmd("POST", &format!("/element/{id}/clear"), Some(json!({})))?;
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )?;
        Ok(())
    }

    /// Chooses the option whose value is `value` in the `<select>` matching `css`.
    ///
    /// Done as the page sees a choice (value set, `input` and `change` sent): WebKitWebDriver
    /// places an `<option>` at no position and refuses the click when the list lies under the
    /// form's sticky action bar.
    pub fn select(&self, css: &str, value: &str) -> Result<()> {
        let done = self.exec(
            "const [css, value] = arguments; const s = document.querySelector(css); \
             if (!s) return 'no element'; \
             const o = Array.from(s.options).find((o) => o.value === value); \
             if (!o) return 'no option'; if (o.disabled || s.disabled) return 'disabled'; \
             s.value = value; \
             s.dispatchEvent(new Event('input', {bubbles: true})); \
             s.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            json!([css, value]),
        )?;
        if done != json!(true) {
            bail!("choosing {value:?} in {css}: {done}");
        }
        Ok(())
    }

    /// Drops `paths` on the window: the webview's drag-and-drop event (`tauri://drag-drop`,
    /// what the native drop emits), sent through Tauri's event bus from the page.
    pub fn drop_files(&self, paths: &[&Path]) -> Result<()> {
        let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": r#"
                const [paths, done] = arguments;
                window.__TAURI_INTERNALS__.invoke("plugin:event|emit", {
                  event: "tauri://drag-drop",
                  payload: {paths, position: {x: 200, y: 200}},
                }).then(() => done(true), (e) => done(String(e)));
            "#, "args": [paths]})),
        )?;
        Ok(())
    }

    /// Saves a PNG of the window as `target/e2e-screenshots/<test>-<nn>-<screen>.png`.
    ///
    /// The picture is taken from the X server (`xwd`), as the clerk would see the window:
    /// WebDriver's own screenshot waits for a composited frame, which never comes when the
    /// window runs as shipped, without WebKit's hardware acceleration (`src-tauri/src/webview.rs`).
    pub fn screenshot(&mut self, screen: &str) -> Result<PathBuf> {
        // Two animation frames: the last change is painted before the screen is read.
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": "const done = arguments[0]; \
                requestAnimationFrame(() => requestAnimationFrame(() => done(true)));", "args": []})),
        )?;
        let rect = self.cmd("GET", "/window/rect", None)?;
        let out = Command::new("xwd")
            .args([
                "-root",
                "-silent",
                "-display",
                &format!(":{}", self.display),
            ])
            .stdin(Stdio::null())
            .output()
            .context("xwd is missing: run `cargo xtask setup` (x11-apps)")?;
        if !out.status.success() {
            bail!("xwd failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let crop = |k: &str| rect[k].as_f64().map(|v| v.max(0.0) as u32);
        let area = match (crop("x"), crop("y"), crop("width"), crop("height")) {
            (Some(x), Some(y), Some(w), Some(h)) if w > 0 && h > 0 => Some((x, y, w, h)),
            _ => None,
        };
        let png = xwd::to_png(&out.stdout, area)?;
        self.shots += 1;
        let path = screenshots_dir().join(format!("{}-{:02}-{screen}.png", self.name, self.shots));
        std::fs::write(&path, png)?;
        self.screenshots.push(path.clone());
        Ok(path)
    }

    /// Sets the window so that its page (CSS pixels) is `width`×`height`: the outer size is
    /// corrected by what the window's frame takes, measured after a first try.
    pub fn resize(&self, width: u32, height: u32) -> Result<()> {
        let inner = || -> Result<(i64, i64)> {
            let v = self.exec("return [window.innerWidth, window.innerHeight];", json!([]))?;
            Ok((v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0)))
        };
        let (mut w, mut h) = (i64::from(width), i64::from(height));
        for _ in 0..3 {
            self.cmd(
                "POST",
                "/window/rect",
                Some(json!({"width": w, "height": h})),
            )?;
            // Two frames for the page to take its new size.
            self.exec_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                json!([]),
            )?;
            let (iw, ih) = inner()?;
            if (iw, ih) == (i64::from(width), i64::from(height)) {
                return Ok(());
            }
            w += i64::from(width) - iw;
            h += i64::from(height) - ih;
        }
        let (iw, ih) = inner()?;
        bail!("the page is {iw}×{ih}, not {width}×{height}")
    }

    /// At each of the clerk's sizes ([`SIZES`]): the screen saved as
    /// `target/e2e-screenshots/<screen>-<w>x<h>.png`, its layout checked ([`LAYOUT_CHECK`]:
    /// no table cell's text running over its neighbours) and axe-core run on it; the findings go
    /// into `report`. The window is left at the first size.
    pub fn screen_at_sizes(&mut self, screen: &str, report: &mut Audit) -> Result<()> {
        for &(w, h) in SIZES.iter().rev() {
            self.resize(w, h)?;
            let path = screenshots_dir().join(format!("{screen}-{w}x{h}.png"));
            let shot = self.screenshot(screen)?;
            std::fs::copy(&shot, &path)?;
            let _ = std::fs::remove_file(&shot);
            self.screenshots.pop();
            self.screenshots.push(path);
            let overlaps = self.exec(LAYOUT_CHECK, json!([]))?;
            if let Some(list) = overlaps.as_array().filter(|l| !l.is_empty()) {
                report.overlaps.push(format!(
                    "{screen} at {w}x{h}: {}",
                    Value::Array(list.clone())
                ));
            }
        }
        report.screens.insert(screen.to_owned(), self.axe()?);
        Ok(())
    }

    /// axe-core's findings on the page as it is (rules of WCAG 2.1 A and AA).
    pub fn axe(&self) -> Result<Value> {
        static AXE: OnceLock<String> = OnceLock::new();
        let source = AXE.get_or_init(|| {
            std::fs::read_to_string(root().join("ui/node_modules/axe-core/axe.min.js"))
                .expect("axe-core (ui/node_modules, a dev dependency: npm ci in ui/)")
        });
        self.exec_async(
            &format!(
                "{source}\n;const done = arguments[0];\
                 axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}, resultTypes: ['violations']}})\
                 .then(r => done(r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}}))), e => done({{error: String(e)}}));"
            ),
            json!([]),
        )
    }

    /// The share of white pixels (a drawn page) in the element matching `css`, read from the
    /// screen as the clerk sees it.
    pub fn white_share(&mut self, css: &str) -> Result<f64> {
        let r = self.exec(
            "const e = document.querySelector(arguments[0]); if (!e) return null; \
             const b = e.getBoundingClientRect(); return [b.x, b.y, b.width, b.height];",
            json!([css]),
        )?;
        let rect: Vec<f64> =
            serde_json::from_value(r).with_context(|| format!("no element {css}"))?;
        let shot = self.screenshot("mesure")?;
        self.screenshots.pop();
        let png = std::fs::read(&shot)?;
        let _ = std::fs::remove_file(&shot);
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info()?;
        let mut buf = vec![0; reader.output_buffer_size().context("PNG size")?];
        let info = reader.next_frame(&mut buf)?;
        anyhow::ensure!(info.color_type == png::ColorType::Rgb, "RGB screenshots");
        let (x0, y0) = (rect[0].max(0.0) as u32, rect[1].max(0.0) as u32);
        let x1 = ((rect[0] + rect[2]) as u32).min(info.width);
        let y1 = ((rect[1] + rect[3]) as u32).min(info.height);
        let (mut white, mut all) = (0u64, 0u64);
        for y in y0..y1 {
            for x in x0..x1 {
                let i = (y as usize * info.width as usize + x as usize) * 3;
                all += 1;
                if buf[i..i + 3].iter().all(|&c| c >= 250) {
                    white += 1;
                }
            }
        }
        Ok(if all == 0 {
            0.0
        } else {
            white as f64 / all as f64
        })
    }

    /// Waits until the element matching `css` shows a drawn page (at least `share` of it white),
    /// reading the screen up to 60 times.
    pub fn wait_drawn(&mut self, css: &str, share: f64) -> Result<()> {
        let mut last = 0.0;
        for _ in 0..60 {
            last = self.white_share(css)?;
            if last >= share {
                return Ok(());
            }
        }
        let shot = self.screenshot("FAILED").ok();
        bail!(
            "{css} never showed a page ({:.0} % white); screenshot: {shot:?}",
            last * 100.0
        )
    }

    /// Whether the first element matching `css` is entirely inside the page's visible area.
    pub fn in_view(&self, css: &str) -> Result<bool> {
        let v = self.exec(
            "const e = document.querySelector(arguments[0]); if (!e) return false; \
             const r = e.getBoundingClientRect(); \
             return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;",
            json!([css]),
        )?;
        Ok(v.as_bool().unwrap_or(false))
    }

    /// Closes the session (the application quits).
    pub fn close(self) -> Result<()> {
        self.cmd("DELETE", "", None)?;
        Ok(())
    }
}

/// `text` with the non-breaking spaces of French typography as plain spaces (to compare a
/// screen's text with a sentence typed in a test).
pub fn plain(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
}

/// The clerk's window sizes in CSS pixels: the most common office laptop (1366×768) and the
/// same laptop at Windows' default 125 % scaling (1093×614).
pub const SIZES: [(u32, u32); 2] = [(1366, 768), (1093, 614)];

/// In the page: every table cell (and header) whose text runs beyond its own box into its
/// neighbours' — text cut with "…" (overflow hidden) does not count. Returns what overlaps.
pub const LAYOUT_CHECK: &str = r#"
const out = [];
for (const cell of document.querySelectorAll("td, th")) {
  const box = cell.getBoundingClientRect();
  if (box.width === 0) continue;
  const style = getComputedStyle(cell);
  if (style.overflowX === "hidden" || style.overflowX === "clip") continue;
  const range = document.createRange();
  range.selectNodeContents(cell);
  for (const r of range.getClientRects()) {
    if (r.width === 0) continue;
    if (r.left < box.left - 1 || r.right > box.right + 1) {
      out.push((cell.textContent || "").trim().slice(0, 40) + ` (${Math.round(r.right - box.right)} px)`);
      break;
    }
  }
}
return out;
"#;

/// What the day's screens gave: axe-core's findings per screen and the layout faults.
#[derive(Debug, Default)]
pub struct Audit {
    /// axe-core's violations, by screen.
    pub screens: std::collections::BTreeMap<String, Value>,
    /// Table cells whose text runs over their neighbours (screen, size, cells).
    pub overlaps: Vec<String>,
}

impl Audit {
    /// Writes `target/e2e-screenshots/axe.json`.
    pub fn write(&self) -> Result<PathBuf> {
        let path = screenshots_dir().join("axe.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(
                &json!({"screens": self.screens, "overlaps": self.overlaps}),
            )?,
        )?;
        Ok(path)
    }

    /// The serious and critical violations, as "screen: rule (impact) — nodes".
    pub fn serious(&self) -> Vec<String> {
        let mut out = vec![];
        for (screen, found) in &self.screens {
            if let Some(err) = found.get("error") {
                out.push(format!("{screen}: axe failed: {err}"));
                continue;
            }
            for v in found.as_array().into_iter().flatten() {
                let impact = v["impact"].as_str().unwrap_or_default();
                if impact == "serious" || impact == "critical" {
                    out.push(format!("{screen}: {} ({impact}) — {}", v["id"], v["nodes"]));
                }
            }
        }
        out
    }
}

fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value> {
    let mut resp = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, Some(b)) => agent.post(url).send_json(b),
        (_, None) => agent.post(url).send_json(json!({})),
    }
    .with_context(|| format!("{method} {url}"))?;
    let status = resp.status();
    let v: Value = resp
        .body_mut()
        .read_json()
        .with_context(|| format!("{method} {url}: not JSON"))?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "{method} {url}: {status}: {} {}",
            value["error"].as_str().unwrap_or_default(),
            value["message"].as_str().unwrap_or_default()
        );
    }
    Ok(value)
}

/// The environment of each WebKit web process started by a running `app` (read from `/proc`).
pub fn web_process_environments(app: &Path) -> Vec<Vec<String>> {
    let app = app.canonicalize().unwrap_or_else(|_| app.to_path_buf());
    let parent_of = |pid: &str| -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": the command may hold spaces, the ppid follows ") X ".
        let rest = &stat[stat.rfind(')')? + 2..];
        rest.split_whitespace().nth(1).map(str::to_owned)
    };
    let exe = |pid: &str| std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| exe(pid).is_some_and(|e| e.ends_with("WebKitWebProcess")))
        .filter(|pid| {
            parent_of(pid)
                .and_then(|p| exe(&p))
                .is_some_and(|e| e == app)
        })
        .filter_map(|pid| std::fs::read(format!("/proc/{pid}/environ")).ok())
        .map(|env| {
            env.split(|b| *b == 0)
                .filter(|v| !v.is_empty())
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .collect()
}

/// A test's desktop: the [`World`] (vault, key, configuration), the driver and the window.
pub struct Desktop {
    /// The vault and the key.
    pub world: World,
    /// Where saved files go (`SCEAU_DOWNLOAD_DIR`).
    pub downloads: PathBuf,
    /// Where "Enregistrer sous…" saves without showing the system's dialog
    /// (`SCEAU_SAVE_AS_DIR`).
    pub saved_as: PathBuf,
    /// The window.
    pub window: Window,
    /// When the WebDriver session (and so the application) was asked for.
    pub opened_at: Instant,
    // Dropped after the window: the driver's group takes the application with it.
    _driver: Driver,
}

impl Desktop {
    /// Starts the vault (with the bank bound to its API certificate when `bank` is set) and the
    /// window on the test's configuration; returns the bank's client too.
    pub fn start(name: &str, bank: bool) -> Result<(Desktop, Option<reqwest::Client>)> {
        Self::start_with(name, bank, app_bin(), |_| Ok(()))
    }

    /// As [`Desktop::start`], with the application `app` and `prepare` run on the world once
    /// the vault is up, before the window opens (the benchmark seeds the store there).
    pub fn start_with(
        name: &str,
        bank: bool,
        app: &Path,
        prepare: impl FnOnce(&mut World) -> Result<()>,
    ) -> Result<(Desktop, Option<reqwest::Client>)> {
        let world = World::new()?;
        let bank_client = if bank { Some(world.bind_bank()?) } else { None };
        Ok((Self::open(world, name, app, prepare)?, bank_client))
    }

    /// As [`Desktop::start`], with the recipient side (the vault's SMTP and SMS sinks and its
    /// portal, [`World::with_recipient_side`]): a person invited from the window can answer.
    pub fn start_with_recipient_side(name: &str) -> Result<Desktop> {
        let mut world = World::new()?;
        world.with_recipient_side()?;
        Self::open(world, name, app_bin(), |_| Ok(()))
    }

    /// Starts `world`'s vault, runs `prepare`, then opens the window `app`.
    fn open(
        mut world: World,
        name: &str,
        app: &Path,
        prepare: impl FnOnce(&mut World) -> Result<()>,
    ) -> Result<Desktop> {
        world.start_vault()?;
        prepare(&mut world)?;
        let dir = world.dir.path().to_path_buf();
        let downloads = dir.join("downloads");
        let saved_as = dir.join("enregistre-sous");
        let home = dir.join("home");
        for d in [&downloads, &saved_as, &home] {
            std::fs::create_dir_all(d)?;
        }
        let mut envs: Vec<(String, std::ffi::OsString)> = world
            .hsm
            .envs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_os_string()))
            .collect();
        envs.extend([
            ("SCEAU_CONFIG".to_owned(), world.cli_config.clone().into()),
            (
                "SCEAU_DESKTOP_SETTINGS".to_owned(),
                dir.join("desktop.toml").into(),
            ),
            ("SCEAU_DOWNLOAD_DIR".to_owned(), downloads.clone().into()),
            ("SCEAU_SAVE_AS_DIR".to_owned(), saved_as.clone().into()),
            ("XDG_CONFIG_HOME".to_owned(), home.join("config").into()),
            ("XDG_DATA_HOME".to_owned(), home.join("data").into()),
            ("XDG_CACHE_HOME".to_owned(), home.join("cache").into()),
            ("SCEAU_LOG".to_owned(), "info".into()),
        ]);
        let driver = Driver::start(&envs, &dir.join("driver.log"))?;
        let opened_at = Instant::now();
        let window = Window::open(&driver, app, name)?;
        Ok(Desktop {
            world,
            downloads,
            saved_as,
            window,
            opened_at,
            _driver: driver,
        })
    }

    /// The application's log (tauri-driver's output, which includes the application's stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.world.dir.path().join("driver.log")).unwrap_or_default()
    }
}
