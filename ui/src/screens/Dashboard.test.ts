import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import Dashboard from "./Dashboard.svelte";

function category(key: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-category="${key}"]`);
  if (!el) throw new Error(`no category ${key}`);
  return el;
}
const bodyRows = (el: HTMLElement) => el.querySelectorAll("tbody tr");

describe("Dashboard", () => {
  it("shows the four categories with their unseen counts", async () => {
    useBackend(createMockBackend({ services: 40 }));
    render(Dashboard, { onopen: () => {} });
    // 40 services: states cycle in_person / awaiting / at_home; returns on i ≡ 0 mod 6.
    expect(await screen.findByRole("button", { name: /^14 Significations considérées comme remises à personne/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: /^13 Significations en attente de consultation/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: /^13 Significations considérées comme remises à domicile/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: /^7 Retours d'acte en attente de consultation/ })).toBeTruthy();
  });

  it("expands a category to 10 rows per page, pages, filters", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {} });
    const toggle = await screen.findByRole("button", { name: /remises à personne/ });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    await user.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const cat = category("in_person");
    expect(await within(cat).findByText("1-10 sur 14")).toBeTruthy();
    expect(bodyRows(cat)).toHaveLength(10);
    expect(within(cat).getByText("TEST_MODALITE_REMISE_1")).toBeTruthy();
    await user.click(within(cat).getByRole("button", { name: "Suiv." }));
    expect(await within(cat).findByText("11-14 sur 14")).toBeTruthy();
    expect(bodyRows(cat)).toHaveLength(4);
    // The filter ignores case; one sample row of this category matches.
    await user.type(within(cat).getByRole("searchbox"), "sa-ce");
    expect(await within(cat).findByText("SA-CE-20130913-1")).toBeTruthy();
    expect(bodyRows(cat)).toHaveLength(1);
    expect(within(cat).getByText("1-1")).toBeTruthy();
  });

  it("the eye hides the row at once, offers Annuler, and marks it seen when the window closes; the magnifier opens the detail", async () => {
    const backend = createMockBackend({ services: 40 });
    const markSeen = vi.spyOn(backend, "markSeen");
    useBackend(backend);
    const onopen = vi.fn();
    const user = userEvent.setup();
    render(Dashboard, { onopen, undoMs: 300 });
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    const cat = category("in_person");
    await user.click(await within(cat).findByRole("button", { name: "Passer en vue\u00a0: TEST_MODALITE_REMISE_1" }));
    expect(within(cat).queryByText("TEST_MODALITE_REMISE_1")).toBeNull();
    expect(within(cat).getByRole("status").textContent).toContain("Notification «\u00a0TEST_MODALITE_REMISE_1\u00a0» passée en vue.");
    expect(within(cat).getByRole("button", { name: "Annuler" })).toBeTruthy();
    expect(screen.getByRole("button", { name: /^13 Significations considérées comme remises à personne/ })).toBeTruthy();
    expect(markSeen).not.toHaveBeenCalled();
    // The window closes: the backend is told, the count follows.
    await vi.waitFor(() => expect(backend.state.seen.has("in_person:s0")).toBe(true), { timeout: 2000 });
    expect(markSeen).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole("button", { name: /^13 Significations considérées comme remises à personne/ })).toBeTruthy();
    await vi.waitFor(() => expect(within(cat).queryByRole("button", { name: "Annuler" })).toBeNull());
    expect(within(cat).queryByText("TEST_MODALITE_REMISE_1")).toBeNull();
    await user.click(within(cat).getByRole("button", { name: "Voir le détail\u00a0: MAREF" }));
    expect(onopen).toHaveBeenCalledWith("s3");
  });

  it("Annuler brings the row back and nothing is marked seen", async () => {
    const backend = createMockBackend({ services: 40 });
    const markSeen = vi.spyOn(backend, "markSeen");
    useBackend(backend);
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {}, undoMs: 200 });
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    const cat = category("in_person");
    await user.click(await within(cat).findByRole("button", { name: "Passer en vue\u00a0: TEST_MODALITE_REMISE_1" }));
    await user.click(within(cat).getByRole("button", { name: "Annuler" }));
    expect(within(cat).getByText("TEST_MODALITE_REMISE_1")).toBeTruthy();
    expect(within(cat).queryByRole("status")).toBeNull();
    expect(screen.getByRole("button", { name: /^14 Significations considérées comme remises à personne/ })).toBeTruthy();
    await new Promise((r) => setTimeout(r, 400));
    expect(markSeen).not.toHaveBeenCalled();
    expect(backend.state.seen.has("in_person:s0")).toBe(false);
  });

  it("leaving the screen during the undo window still marks the notification seen", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    const view = render(Dashboard, { onopen: () => {}, undoMs: 60_000 });
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    const cat = category("in_person");
    await user.click(await within(cat).findByRole("button", { name: "Passer en vue\u00a0: TEST_MODALITE_REMISE_1" }));
    expect(backend.state.seen.has("in_person:s0")).toBe(false);
    view.unmount();
    await vi.waitFor(() => expect(backend.state.seen.has("in_person:s0")).toBe(true));
  });

  it("a second eye sends the first at once", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {}, undoMs: 60_000 });
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    const cat = category("in_person");
    await user.click(await within(cat).findByRole("button", { name: "Passer en vue\u00a0: TEST_MODALITE_REMISE_1" }));
    await user.click(within(cat).getByRole("button", { name: "Passer en vue\u00a0: MAREF" }));
    await vi.waitFor(() => expect(backend.state.seen.has("in_person:s0")).toBe(true));
    expect(backend.state.seen.has("in_person:s3")).toBe(false);
    expect(within(cat).getByRole("status").textContent).toContain("MAREF");
  });

  it("a filter without a match says so, naming the filter", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {} });
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    const cat = category("in_person");
    await within(cat).findByText("1-10 sur 14");
    await user.type(within(cat).getByRole("searchbox"), "zzz");
    expect(await within(cat).findByText("Aucune notification ne correspond à « zzz »."));
    await user.clear(within(cat).getByRole("searchbox"));
    await within(cat).findByText("1-10 sur 14");
  });

  it("headings go h1 then h2, and each category's toggle shows a chevron", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {} });
    const toggle = await screen.findByRole("button", { name: /remises à personne/ });
    expect(screen.getAllByRole("heading", { level: 2 })).toHaveLength(4);
    expect(screen.queryAllByRole("heading", { level: 3 })).toHaveLength(0);
    expect(toggle.closest("h2")).not.toBeNull();
    expect(toggle.querySelector(".chevron")?.textContent).toBe("▸");
    await user.click(toggle);
    expect(toggle.querySelector(".chevron")?.textContent).toBe("▾");
  });

  it("counts follow the backend's dashboard_changed event", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    render(Dashboard, { onopen: () => {} });
    await screen.findByRole("button", { name: /^13 Significations en attente de consultation/ });
    await backend.signify(
      { reference: "NOUVEAU", requerant: "SA CRÉANCIÈRE", recipient_id: "r-banque-test", nature: "saisie_attribution", documents: ["/a.pdf"], signature_certificate: "281809", authentication_certificate: "281808", pin: "1234", confirm_final_try: false, judge_permission: null, schedule_at_next_opening: false },
      () => {},
    );
    expect(await screen.findByRole("button", { name: /^14 Significations en attente de consultation/ })).toBeTruthy();
  });

  it("a dashboard of 100,000 services shows one page of 10 rows", async () => {
    const backend = createMockBackend({ services: 100_000 });
    const spy = vi.spyOn(backend, "dashboardPage");
    useBackend(backend);
    const user = userEvent.setup();
    render(Dashboard, { onopen: () => {} });
    await user.click(await screen.findByRole("button", { name: /^33\u202f334 Significations considérées comme remises à personne/ }));
    const cat = category("in_person");
    expect(await within(cat).findByText("1-10 sur 33 334")).toBeTruthy();
    expect(bodyRows(cat)).toHaveLength(10);
    await user.click(within(cat).getByRole("button", { name: "Page 3" }));
    expect(await within(cat).findByText("21-30 sur 33 334")).toBeTruthy();
    expect(spy.mock.calls.every((c) => c[2].limit === 10)).toBe(true);
  });
});
