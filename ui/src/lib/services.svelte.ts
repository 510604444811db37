// Services of this session, owned by the window rather than by a screen: a service runs to its
// end whatever screen the clerk goes to, and its six steps stay reachable from the header
// ("Significations en cours") and from the service screen, which shows the one opened last.
// The form's draft lives here too (without the PIN), so leaving the screen loses nothing.

import { api, toApiError } from "./api";
import { emptyDraft, isRunning, session, type SessionService } from "./session.svelte";
import { applyStep, initialSteps } from "./steps";
import type { SignifyRequest } from "./types";

export { emptyDraft, isRunning, session, type LastAct, type SessionService, type SignifyDraft } from "./session.svelte";

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
