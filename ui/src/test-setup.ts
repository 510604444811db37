// Before each Vitest test: the window's session state (services, the form's draft, the last
// act, the viewer) is module state shared by the screens, so it is emptied between tests.
import { beforeEach } from "vitest";
import { emptyDraft, session } from "./lib/session.svelte";
import { viewer } from "./lib/viewer.svelte";

beforeEach(() => {
  session.services.length = 0;
  session.shown = null;
  session.draft = emptyDraft();
  session.last = null;
  viewer.current = null;
});
