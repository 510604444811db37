// The certificates of the plugged key offered in a choice list (Signification, EDI), and which
// one stays chosen when the list is reloaded. Pure, unit-tested.

import type { CertificateInfo, CertificateRole, TokenStatus } from "./types";

/** The certificates of `role` on the first plugged key, in the key's order. */
export function certificatesFor(token: TokenStatus | null, role: CertificateRole): CertificateInfo[] {
  return token?.tokens[0]?.certificates.filter((c) => c.role === role) ?? [];
}

/** The serial that stays chosen after a reload: the current one if still on the key, else the
 *  first of the list ("" when the list is empty). */
export function keptChoice(current: string, certificates: CertificateInfo[]): string {
  return certificates.some((c) => c.serial === current) ? current : (certificates[0]?.serial ?? "");
}
