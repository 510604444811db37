//! Tauri's build step: context, capabilities and icons.
fn main() {
    tauri_build::build()
}
