// Which files may be served: the manual's list of allowed extensions (.pdf .doc .docx .odt).

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
