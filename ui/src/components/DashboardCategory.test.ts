import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import DashboardCategory from "./DashboardCategory.svelte";

describe("DashboardCategory", () => {
  it("reloads an open list when its count changes (a sync moved a service)", async () => {
    const backend = createMockBackend({ services: 40 });
    const page = vi.spyOn(backend, "dashboardPage");
    useBackend(backend);
    const user = userEvent.setup();
    const props = { category: "in_person" as const, title: "remises à personne", count: 14, onopen: () => {}, onseen: () => {} };
    const view = render(DashboardCategory, props);
    await user.click(screen.getByRole("button", { name: /remises à personne/ }));
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(1));
    await view.rerender({ ...props, count: 13 });
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(2));
    // A closed list does not query.
    await user.click(screen.getByRole("button", { name: /remises à personne/ }));
    await view.rerender({ ...props, count: 12 });
    expect(page).toHaveBeenCalledTimes(2);
  });
});
