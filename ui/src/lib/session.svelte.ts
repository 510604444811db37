// The session's work as the screens share it: the services started in this session, the one
// the service screen shows, the form's draft (never the PIN) and the last act. Plain state with
// no backend, so that tests can empty it (`src/test-setup.ts`); `services.svelte.ts` acts on it.

import type { StepsState } from "./steps";
import type { DocumentRef, Recipient, SignifyResult } from "./types";

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
