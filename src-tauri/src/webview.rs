//! The window's web engine, set for a local forms application rather than a browser.
//!
//! On Linux (WebKitGTK) the defaults suit web browsing and cost memory Sceau has no use for:
//! - hardware acceleration: every page is composited through OpenGL, which under a software
//!   renderer (no GPU, a remote desktop, Xvfb) loads Mesa's LLVM into both the window's process
//!   and WebKit's web process and keeps tile buffers; Sceau's screens are forms and tables, drawn
//!   well without it;
//! - the cache model of a web browser keeps decoded resources and whole pages for back/forward
//!   navigation; the window is one page whose assets are served from the binary, so the
//!   document viewer's model (smallest caches) is enough, and the page cache is off;
//! - the DMA-BUF renderer hands each frame from the web process to the window as a GPU buffer;
//!   without a GPU it costs a second GL set-up in the window's process, and WebKit's shared
//!   memory path (`WEBKIT_DISABLE_DMABUF_RENDERER=1`, also the usual cure for blank Tauri
//!   windows on some NVIDIA drivers) draws the same pages;
//! - WebGL and Web Audio are not used by any screen;
//! - JavaScriptCore's just-in-time compilers: the page is Sceau's own forms, whose scripts run
//!   fast enough interpreted (a filter keystroke stays within a frame or two), and without JIT
//!   the web process keeps no writable-and-executable code memory — a common hardening of
//!   embedded web views — nor the compiled code (`JSC_useJIT=false`). WebKit's PDF viewer
//!   (the preview of converted acts) is JavaScript too: its first page is as fast (script that
//!   runs once gains nothing from a JIT), later pages cost more script each (pdf.js parsing a
//!   137-page act, V8 as a stand-in: first page 178 ms without JIT, 181 ms with; all pages
//!   9.8 s against 2.0 s — the viewer only draws the pages shown). `JSC_useJIT=true` in the
//!   environment, or `SCEAU_WEBKIT_ACCELERATION=1`, brings the JIT back;
//! - glibc's malloc, whose thresholds grow after large blocks are freed, so that the web
//!   process's heap keeps what rendering a page of tables released: a fixed threshold
//!   (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`, the default value; setting it stops
//!   both the mmap and the trim threshold from growing) gives it back. Read by each process as
//!   it starts, so set here for WebKit's processes (and the tools Sceau starts, which do not
//!   mind).
//!
//! `SCEAU_WEBKIT_ACCELERATION=1` keeps WebKit's defaults (for a machine where they help, or to
//! compare in `cargo xtask bench app`). Measured by `cargo xtask bench app`: see README.md.

/// Environment variable: `1` keeps WebKit's hardware acceleration.
pub const ENV_ACCELERATION: &str = "SCEAU_WEBKIT_ACCELERATION";

/// Whether WebKit's defaults are kept.
fn accelerate() -> bool {
    std::env::var_os(ENV_ACCELERATION).is_some_and(|v| v == "1")
}

/// The environment set for WebKit on Linux (see the module's notes), unless the user set the
/// variable already; empty when WebKit's defaults are kept.
pub fn environment(accelerate: bool) -> &'static [(&'static str, &'static str)] {
    if accelerate || !cfg!(target_os = "linux") {
        return &[];
    }
    &[
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ("JSC_useJIT", "false"),
        ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"),
    ]
}

/// Sets WebKit's environment before GTK starts (it is read once, and inherited by WebKit's
/// processes); a value the user set is kept. Call before any thread is started.
pub fn prepare_environment() {
    for (name, value) in environment(accelerate()) {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// Applies the settings above to the window's web view.
pub fn tune(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        let accelerate = accelerate();
        let result = window.with_webview(move |webview| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                if !accelerate {
                    settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                }
                settings.set_enable_page_cache(false);
                settings.set_enable_webgl(false);
                settings.set_enable_webaudio(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "web view settings not applied");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
