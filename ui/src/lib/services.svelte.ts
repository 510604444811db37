// Services of this session, owned by the window rather than by a screen: a service runs to its
// end whatever screen the clerk goes to, and its six steps stay reachable from the header
// ("Significations en cours") and from the service screen, which shows the one opened last.
// The form's draft lives here too (without the PIN), so leaving the screen loses nothing.

import { api, toApiError } from "./api";
import { applyStep, initialSteps, type StepsState } from "./steps";
import type { DocumentRef, Recipient, SignifyRequest, SignifyResult } from "./types";

/** A service started in this session. */
export interface SessionService {
  /** Local id (the window's, not the vault's). */
  id: string;
  /** The office's deposit reference. */
  reference: string;
  /** The recipient's name. */
  recipientName: string;
  /** The nature's label. */
  natureLabel: string;
  /** The six steps. */
  steps: StepsState;
  /** A step event that could not happen (the application's bug, shown as such). */
  stepError: string | null;
  /** The outcome, once known. */
  result: SignifyResult | null;
  /** Why it failed, once known (French). */
  failure: string | null;
  /** The deposit waits for the recipient's next opening. */
  scheduled: boolean;
  /** When the clerk pressed "Confirmer et signifier". */
  startedAt: Date;
}

/** Whether a service is still running (neither deposited, queued nor failed). */
export function isRunning(s: SessionService): boolean {
  return s.result === null && s.failure === null;
}

/** The fields of the service form that survive leaving the screen (never the PIN). */
export interface SignifyDraft {
  reference: string;
  requerant: string;
  recipient: Recipient | null;
  nature: string;
  documents: DocumentRef[];
  judgePermission: string;
  schedule: boolean;
  previewWanted: boolean;
}

/** An empty form. */
export function emptyDraft(): SignifyDraft {
  return {
    reference: "",
    requerant: "",
    recipient: null,
    nature: "",
    documents: [],
    judgePermission: "",
    schedule: false,
    previewWanted: false,
  };
}

/** What the last act used, offered (never applied silently) to the next one. */
export interface LastAct {
  requerant: string;
  natureCode: string;
  natureLabel: string;
}

/** The session's services, the one the service screen shows, the draft and the last act. */
export const session = $state<{
  services: SessionService[];
  shown: string | null;
  draft: SignifyDraft;
  last: LastAct | null;
}>({ services: [], shown: null, draft: emptyDraft(), last: null });

let counter = 0;

/** Starts a service; returns its local id at once, the service then runs on its own. */
export function startService(
  request: SignifyRequest,
  meta: { recipientName: string; natureLabel: string },
  onEnd?: (s: SessionService) => void,
): string {
  counter += 1;
  const id = `svc-${counter}`;
  session.services.push({
    id,
    reference: request.reference,
    recipientName: meta.recipientName,
    natureLabel: meta.natureLabel,
    steps: initialSteps(),
    stepError: null,
    result: null,
    failure: null,
    scheduled: request.schedule_at_next_opening,
    startedAt: new Date(),
  });
  session.shown = id;
  session.last = { requerant: request.requerant, natureCode: request.nature, natureLabel: meta.natureLabel };
  const find = () => session.services.find((s) => s.id === id);
  void api()
    .signify(request, (ev) => {
      const s = find();
      if (!s) return;
      const r = applyStep(s.steps, ev);
      if (r.ok) s.steps = r.state;
      else s.stepError = r.error;
    })
    .then((result) => {
      const s = find();
      if (s) s.result = result;
    })
    .catch((e) => {
      const s = find();
      if (s) s.failure = toApiError(e).message;
    })
    .finally(() => {
      const s = find();
      if (s) onEnd?.(s);
    });
  return id;
}

/** The service the service screen shows, if any. */
export function shownService(): SessionService | null {
  return session.services.find((s) => s.id === session.shown) ?? null;
}

/** Back to the form (the service stays in the list while it runs or until dismissed). */
export function showForm(): void {
  session.shown = null;
}

/** Removes a finished service from the header's list. */
export function dismiss(id: string): void {
  const i = session.services.findIndex((s) => s.id === id && !isRunning(s));
  if (i >= 0) session.services.splice(i, 1);
  if (session.shown === id) session.shown = null;
}

/** Services still running. */
export function runningCount(): number {
  return session.services.filter(isRunning).length;
}

/** A new, empty form; nothing of the previous act is kept unless the clerk takes it back. */
export function newForm(): void {
  session.draft = emptyDraft();
  session.shown = null;
}

/** Forgets everything of the session (logout). */
export function resetSession(): void {
  session.services = session.services.filter(isRunning);
  session.shown = null;
  session.draft = emptyDraft();
  session.last = null;
}
