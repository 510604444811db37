// Files dropped on the window (Tauri gives their paths), listened to while a screen is shown.

import { api } from "./api";

/**
 * Listens to files dropped on the window; returns the stop function (an `$effect`'s cleanup).
 * `ready` is told `true` once the listener is registered and `false` when it stops (the window
 * tests wait for it before dropping).
 */
export function listenForDrops(handler: (paths: string[]) => void, ready?: (on: boolean) => void): () => void {
  let stop: (() => void) | null = null;
  let alive = true;
  void api()
    .onFileDrop(handler)
    .then((unlisten) => {
      if (alive) {
        stop = unlisten;
        ready?.(true);
      } else unlisten();
    });
  return () => {
    alive = false;
    ready?.(false);
    stop?.();
  };
}
