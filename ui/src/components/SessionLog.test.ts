import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import SessionLog, { LOG_FOLDED_KEY } from "./SessionLog.svelte";

describe("SessionLog", () => {
  beforeEach(() => localStorage.removeItem(LOG_FOLDED_KEY));

  function backendWith(messages: string[]) {
    const backend = createMockBackend();
    backend.sessionLog = async () =>
      messages.map((message, i) => ({ at: new Date(Date.UTC(2026, 11, 7, 9, 0, i)).toISOString(), message }));
    useBackend(backend);
    return backend;
  }

  it("lists every action, the most recent first, in a list the keyboard can scroll", async () => {
    backendWith(["Connexion au service", "Recherche", "Consultation du détail « MAREF »"]);
    render(SessionLog);
    const log = screen.getByRole("complementary", { name: "Historique de session" });
    const list = await within(log).findByRole("list", { name: "Actions de la session, la plus récente en premier" });
    expect(list.getAttribute("tabindex")).toBe("0");
    const items = within(list).getAllByRole("listitem").map((li) => li.textContent);
    expect(items).toEqual(["10:00:02 Consultation du détail « MAREF »", "10:00:01 Recherche", "10:00:00 Connexion au service"]);
  });

  it("folds to a narrow bar and back, and remembers it", async () => {
    backendWith(["Connexion au service"]);
    const user = userEvent.setup();
    const view = render(SessionLog);
    const fold = await screen.findByRole("button", { name: "Masquer l'historique" });
    expect(fold.getAttribute("aria-expanded")).toBe("true");
    await user.click(fold);
    const unfold = screen.getByRole("button", { name: "Afficher l'historique" });
    expect(unfold.getAttribute("aria-expanded")).toBe("false");
    expect(screen.queryByRole("list")).toBeNull();
    expect(screen.getByRole("complementary", { name: "Historique de session" }).classList.contains("folded")).toBe(true);
    expect(localStorage.getItem(LOG_FOLDED_KEY)).toBe("1");
    // A new window starts folded.
    view.unmount();
    render(SessionLog);
    await user.click(screen.getByRole("button", { name: "Afficher l'historique" }));
    expect(await screen.findByRole("list")).toBeTruthy();
    expect(localStorage.getItem(LOG_FOLDED_KEY)).toBe("0");
  });

  it("says when nothing was done yet", async () => {
    backendWith([]);
    render(SessionLog);
    expect(await screen.findByText("Aucune action pour le moment.")).toBeTruthy();
  });
});
