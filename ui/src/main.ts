// Start-up: choose the backend (the Tauri window, or the mock in a plain browser and in
// `npm run dev`), then mount the application.
import { mount } from "svelte";
import App from "./App.svelte";
import { inTauri, tauriBackend, useBackend } from "./lib/api";
import { watchTypography } from "./lib/french";
import "./app.css";

async function start(): Promise<void> {
  if (inTauri() && import.meta.env.VITE_SCEAU_BACKEND !== "mock") {
    useBackend(tauriBackend());
  } else {
    const { createMockBackend } = await import("./lib/mock");
    useBackend(createMockBackend({ services: 100_000, stepDelayMs: 400, browserFilePicker: true }));
  }
  const target = document.getElementById("app");
  if (target) {
    mount(App, { target });
    // French typography on everything the window shows, as it changes.
    watchTypography(document.body);
  }
}

void start();
