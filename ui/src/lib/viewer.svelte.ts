// The window's document viewer, opened from any screen (a served act, a delivery notice, a
// return, a letter, a vault file): one at a time, drawn by `components/DocumentViewer.svelte`
// above the screen, with "Enregistrer sous…", "Afficher dans le dossier" and "Imprimer".

import type { SavedFile } from "./types";

/** What the viewer shows: a file saved on the workstation and its title. */
export interface ViewedDocument {
  /** The saved file (its path and the URL the viewer loads). */
  file: SavedFile;
  /** The title shown above it ("Attestation de remise — REF-12"). */
  title: string;
}

/** The document open in the viewer, if any (reactive). */
export const viewer = $state<{ current: ViewedDocument | null }>({ current: null });

/** Opens `file` in the viewer. */
export function openViewer(file: SavedFile, title: string): void {
  viewer.current = { file, title };
}

/** Closes the viewer. */
export function closeViewer(): void {
  viewer.current = null;
}
