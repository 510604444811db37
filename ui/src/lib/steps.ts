// The six steps of a service (manual, "Processus de signification") and their live states.
// Events are applied through `applyStep`, which refuses what cannot happen (a step starting
// before the previous one is done, anything after a failure), so a confused backend shows up as
// an error instead of a misleading screen.

import type { StepEvent, StepNumber, StepStatus } from "./types";

/** A step's title and explanation, as in the manual. */
export interface StepInfo {
  /** Number 1..6. */
  number: StepNumber;
  /** Title. */
  title: string;
  /** One-sentence explanation. */
  detail: string;
}

/** The six steps, in order. */
export const STEPS: readonly StepInfo[] = [
  {
    number: 1,
    title: "Conversion au format PDF/A des actes",
    detail: "La conversion en PDF/A-1b (ISO 19005-1) assure la lisibilité des actes pendant des décennies.",
  },
  {
    number: 2,
    title: "Signature qualifiée des actes",
    detail: "Chaque acte est signé électroniquement par votre certificat de signature qualifiée (CAdES, PKCS#7).",
  },
  {
    number: 3,
    title: "Création du dépôt et remise dans le coffre-fort destinataire",
    detail: "L'acte est déposé dans le coffre-fort du destinataire, authentifié par votre certificat.",
  },
  {
    number: 4,
    title: "Envoi d'un mail et d'un SMS au destinataire",
    detail: "Le destinataire est informé par voie électronique et téléphonique de votre dépôt.",
  },
  {
    number: 5,
    title: "Création de l'attestation de dépôt",
    detail: "Un justificatif XML horodaté, nommant l'émetteur de la signification, est créé.",
  },
  {
    number: 6,
    title: "Création du dépôt avec attestation et remise dans votre coffre pour archivage",
    detail: "Un fichier ZIP contenant les actes signifiés et l'attestation de dépôt est archivé dans votre coffre-fort.",
  },
];

/** The legend of the manual (plus the two states it does not draw). */
export const LEGEND: Readonly<Record<StepStatus, string>> = {
  done: "Étape terminée avec succès",
  running: "Étape en cours d'exécution",
  failed: "Étape terminée sans succès",
  pending: "Étape à venir",
  queued: "En attente d'envoi (hors ligne)",
};

/** State of one step on screen. */
export interface StepState {
  /** Current status. */
  status: StepStatus;
  /** French reason (failure or wait). */
  reason: string | null;
}

/** State of the six steps. */
export type StepsState = readonly StepState[];

/** Six pending steps. */
export function initialSteps(): StepsState {
  return STEPS.map(() => ({ status: "pending", reason: null }));
}

/** Applies one event; returns the new state, or an error message if the event is impossible. */
export function applyStep(
  state: StepsState,
  ev: Pick<StepEvent, "step" | "status" | "reason">,
): { ok: true; state: StepsState } | { ok: false; error: string } {
  const i = ev.step - 1;
  const current = state[i];
  if (!current) return { ok: false, error: `Étape inconnue : ${ev.step}.` };
  if (state.some((s) => s.status === "failed")) {
    return { ok: false, error: "La signification a déjà échoué : aucune étape ne peut reprendre." };
  }
  const previousDone = state.slice(0, i).every((s) => s.status === "done");
  const allowed: Record<StepStatus, StepStatus[]> = {
    pending: ["running", "done", "failed", "queued"],
    running: ["done", "failed", "queued"],
    queued: ["running", "failed"],
    done: [],
    failed: [],
  };
  if (!previousDone || !allowed[current.status].includes(ev.status)) {
    return {
      ok: false,
      error: `Événement incohérent pour l'étape ${ev.step} (${current.status} → ${ev.status}).`,
    };
  }
  const next = state.map((s, j) => (j === i ? { status: ev.status, reason: ev.reason ?? null } : s));
  return { ok: true, state: next };
}

/** Overall outcome: `done` when all six are done, `failed`, `queued`, or `running`. */
export function overall(state: StepsState): "running" | "done" | "failed" | "queued" {
  if (state.some((s) => s.status === "failed")) return "failed";
  if (state.some((s) => s.status === "queued")) return "queued";
  if (state.every((s) => s.status === "done")) return "done";
  return "running";
}
