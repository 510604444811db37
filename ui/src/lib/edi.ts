// The EDI import on screen: what the progress events add up to (lines checked, acts signed
// n/N, deposited) and how a refused line is written. Pure, unit-tested.

import type { EdiProgress, EdiRefusedLine } from "./types";

/** What the progress display shows. */
export interface EdiTally {
  /** Lines that passed every check. */
  checked: number;
  /** Lines refused (the batch signs nothing). */
  refused: number;
  /** Lines already queued by an earlier import of the same batch. */
  alreadyPrepared: number;
  /** Lines signed and queued in the outbox. */
  signed: number;
  /** Lines deposited in the recipient's vault. */
  deposited: number;
}

/** Nothing happened yet. */
export function emptyTally(): EdiTally {
  return { checked: 0, refused: 0, alreadyPrepared: 0, signed: 0, deposited: 0 };
}

/** The tally after one progress event. */
export function applyEdiProgress(t: EdiTally, e: EdiProgress): EdiTally {
  switch (e.stage) {
    case "checked":
      return { ...t, checked: t.checked + 1 };
    case "refused":
      return { ...t, refused: t.refused + 1 };
    case "already_prepared":
      return { ...t, alreadyPrepared: t.alreadyPrepared + 1 };
    case "signed":
      return { ...t, signed: t.signed + 1 };
    case "deposited":
      return { ...t, deposited: t.deposited + 1 };
    case "converted":
      return t;
  }
}

/** A refused line as shown: its number first, then the French reason (never said twice). */
export function refusedLineText(l: EdiRefusedLine): string {
  const prefix = `Ligne ${l.line}`;
  if (l.message.startsWith(`${prefix} `)) return l.message;
  return `${prefix} : ${l.message}`;
}

/** French message if the import cannot start, else null. */
export function ediStartError(manifest: string | null): string | null {
  if (manifest === null || manifest.trim() === "") {
    return "Choisissez le fichier d'échange (.csv) exporté par votre logiciel de gestion.";
  }
  return null;
}

/** The manifest among files dropped on the screen: exactly one `.csv`, else a French message. */
export function droppedManifest(paths: string[]): { ok: true; path: string } | { ok: false; message: string } {
  const csv = paths.filter((p) => /\.csv$/i.test(p));
  if (csv.length === 1 && csv[0] !== undefined) return { ok: true, path: csv[0] };
  return {
    ok: false,
    message:
      csv.length === 0
        ? "Déposez le fichier d'échange (.csv) : les actes sont lus dans son dossier, inutile de les déposer."
        : "Déposez un seul fichier d'échange (.csv) à la fois.",
  };
}
