// "Transférer" on screen: what a transfer's progress events say (the current file, its bytes
// in French number format, the files done) and the bar's value. Pure, unit-tested.

import { formatSize } from "./dates";
import type { VaultUploadProgress } from "./types";

/** "Transfert de « Relevé.pdf » : 12,3 Mo sur 80,0 Mo" (one decimal, 1 Mo = 1024 Ko). */
export function transferLine(p: VaultUploadProgress): string {
  return `Transfert de « ${p.name} » : ${formatSize(p.sent, 1)} sur ${formatSize(p.total, 1)}`;
}

/** "Fichiers transférés : 1 sur 3". */
export function transferCount(p: VaultUploadProgress): string {
  return `Fichiers transférés : ${Math.min(p.files_done, p.files_total)} sur ${p.files_total}`;
}

/** Percentage of the current file sent, 0–100, rounded down (100 only once every byte left). */
export function transferPercent(p: VaultUploadProgress): number {
  if (p.total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((p.sent * 100) / p.total)));
}
