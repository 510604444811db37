//! The `sceau-desktop` binary: the Sceau window.
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    sceau_desktop::run()
}
