// Desktop notifications for new deliveries and returns: which ones to show when the dashboard's
// unseen counts go up (after a sync). Counts that go down (the user marked something seen) say
// nothing.

import type { DashboardCounts } from "./types";

/** One desktop notification. */
export interface DesktopNotification {
  /** Title. */
  title: string;
  /** Body. */
  body: string;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n > 1 ? many : one}`;

/** The notifications for what arrived between two counts (none on the first counts). */
export function arrivals(previous: DashboardCounts | null, next: DashboardCounts): DesktopNotification[] {
  if (!previous) return [];
  const out: DesktopNotification[] = [];
  const inPerson = next.in_person - previous.in_person;
  const atHome = next.at_home - previous.at_home;
  const returns = next.returns - previous.returns;
  if (inPerson > 0) {
    out.push({
      title: "Significations remises à personne",
      body: `${plural(inPerson, "nouvelle signification remise", "nouvelles significations remises")} à personne : le destinataire a consulté l'acte.`,
    });
  }
  if (atHome > 0) {
    out.push({
      title: "Significations remises à domicile",
      body: `${plural(atHome, "nouvelle signification remise", "nouvelles significations remises")} à domicile : préparez le courrier simple.`,
    });
  }
  if (returns > 0) {
    out.push({
      title: "Retours d'acte",
      body: `${plural(returns, "nouveau retour d'acte", "nouveaux retours d'acte")} en attente de consultation.`,
    });
  }
  return out;
}
