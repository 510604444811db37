// Which files may be served: the manual's list of allowed extensions (.pdf .doc .docx .odt).

import { NBSP, typo } from "./french";
import type { DocumentRef } from "./types";

/** Extensions accepted for acts, lower-case, with the dot. */
export const ALLOWED_EXTENSIONS = [".pdf", ".doc", ".docx", ".odt"] as const;

/** The file name of a path, whatever the separator (Windows or Unix). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

/** Whether a file name has an accepted extension (case-insensitive). */
export function isAllowedFile(name: string): boolean {
  const lower = name.toLowerCase();
  return ALLOWED_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/** The French message for a refused file. */
export function refusedFileMessage(name: string): string {
  return (
    `Le fichier « ${name} » ne peut pas être signifié : seuls les fichiers .pdf, .doc, .docx et ` +
    ".odt sont acceptés. Convertissez-le dans l'un de ces formats, puis ajoutez-le de nouveau."
  );
}

/** Result of adding files to the list of acts. */
export interface AddResult {
  /** The new list. */
  documents: DocumentRef[];
  /** French messages for what was not added. */
  errors: string[];
}

/** Adds paths to the list: refuses other types, ignores a file already in the list. */
export function addDocuments(current: readonly DocumentRef[], paths: readonly string[]): AddResult {
  const documents = [...current];
  const errors: string[] = [];
  for (const path of paths) {
    const name = baseName(path);
    if (!isAllowedFile(name)) {
      errors.push(refusedFileMessage(name));
    } else if (documents.some((d) => d.path === path)) {
      errors.push(`Le fichier « ${name} » est déjà dans la liste des actes à signifier.`);
    } else {
      documents.push({ path, name });
    }
  }
  return { documents, errors };
}

// ---------------------------------------------------------------- "Mon coffre-fort"
// Vault paths are "/"-separated, without a leading slash; "" is the root ("Mon coffre-fort").

/** The last part of a vault path ("Archives/2013/a.zip" → "a.zip"). */
export function vaultName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The folder holding a vault path ("" for the root's entries). */
export function vaultParent(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
}

/** `name` inside the vault folder `dir`. */
export function vaultJoin(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** A folder's name as the clerk reads it: the root is "Mon coffre-fort". */
export function folderLabel(path: string): string {
  return path === "" ? "Mon coffre-fort" : vaultName(path);
}

/** Whether `path` is `folder` itself or lies somewhere inside it. */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/** "« a.pdf »", "« a.pdf », « b.pdf »" (French typography). */
export function quotedNames(paths: readonly string[]): string {
  return paths.map((p) => `«${NBSP}${vaultName(p)}${NBSP}»`).join(", ");
}

/** "1 élément", "3 éléments". */
export function countItems(n: number): string {
  return `${n} élément${n > 1 ? "s" : ""}`;
}

/**
 * Why the folder `target` cannot receive the entries `moving`, in French, or null when it can:
 * a folder cannot go into itself or one of its sub-folders, and moving entries into the folder
 * that already holds them does nothing.
 */
export function moveRefusal(target: string, moving: readonly string[]): string | null {
  const around = moving.find((p) => isWithin(target, p));
  if (around !== undefined) {
    return typo(
      `Le dossier « ${vaultName(around)} » ne peut pas être déplacé dans lui-même ni dans l'un de ses sous-dossiers. ` +
        "Choisissez un autre dossier.",
    );
  }
  if (moving.length > 0 && moving.every((p) => vaultParent(p) === target)) {
    return typo(
      moving.length === 1
        ? `« ${vaultName(moving[0] ?? "")} » est déjà dans ce dossier. Choisissez un autre dossier.`
        : "Ces éléments sont déjà dans ce dossier. Choisissez un autre dossier.",
    );
  }
  return null;
}

/** What a batch did (move, delete, download): the paths done and those refused, with why. */
export interface BatchOutcome {
  /** Paths done, in order. */
  done: string[];
  /** Paths not done, each with the vault's message. */
  failed: { path: string; message: string }[];
}

/** A batch's report on screen: one sentence, then one line per entry not done. */
export interface BatchReport {
  /** Whether everything was done (success notice) or not (error notice). */
  ok: boolean;
  /** The sentence. */
  summary: string;
  /** One line per entry not done: its name and why. */
  lines: string[];
}

/** The past participle of a batch action, singular and plural ("déplacé", "déplacés"). */
export interface BatchVerb {
  /** "déplacé" */
  one: string;
  /** "déplacés" */
  many: string;
  /** The noun of the refusal line, "Non déplacé" */
  not: string;
}

/** Runs `step` on each path in turn (one at a time; a refusal does not stop the others). */
export async function runBatch(paths: readonly string[], step: (path: string) => Promise<unknown>): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { done: [], failed: [] };
  for (const path of paths) {
    try {
      await step(path);
      outcome.done.push(path);
    } catch (e) {
      const message =
        typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string"
          ? (e as { message: string }).message
          : "Erreur inattendue. Réessayez ; si elle persiste, contactez le support.";
      outcome.failed.push({ path, message });
    }
  }
  return outcome;
}

/**
 * The French report of a batch: "« a.pdf » déplacé dans « Courriers ».", "3 éléments supprimés :
 * « a », « b », « c ».", or, when some were refused, which were done (not to be done again) and
 * which were not, with the vault's reason. `where` is " dans « Courriers »" or "".
 */
export function batchReport(outcome: BatchOutcome, verb: BatchVerb, where = ""): BatchReport {
  const { done, failed } = outcome;
  const lines = failed.map((f) => typo(`${verb.not} : « ${vaultName(f.path)} » — ${f.message}`));
  if (failed.length === 0) {
    const summary =
      done.length === 1
        ? `« ${vaultName(done[0] ?? "")} » ${verb.one}${where}.`
        : `${countItems(done.length)} ${verb.many}${where} : ${quotedNames(done)}.`;
    return { ok: true, summary: typo(summary), lines };
  }
  const total = done.length + failed.length;
  const head =
    done.length === 0
      ? total === 1
        ? `Rien n'a été ${verb.one}.`
        : `Aucun des ${countItems(total)} n'a été ${verb.one}.`
      : done.length === 1
        ? `1 élément sur ${total} ${verb.one}${where} : ${quotedNames(done)} ; inutile de le refaire.`
        : `${done.length} éléments sur ${total} ${verb.many}${where} : ${quotedNames(done)} ; inutile de les refaire.`;
  const tail = failed.length === 1 ? " L'élément non traité reste sélectionné." : " Les éléments non traités restent sélectionnés.";
  return { ok: false, summary: typo(head + tail), lines };
}
