import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import Pager from "./Pager.svelte";

describe("Pager", () => {
  it("shows '1-10 sur 11' and moves by offsets", async () => {
    const onoffset = vi.fn();
    render(Pager, { offset: 0, shown: 10, total: 11, label: "test", onoffset });
    expect(screen.getByText("1-10 sur 11")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Préc." }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Début" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole("button", { name: "Page 1" }).getAttribute("aria-current")).toBe("page");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Suiv." }));
    await user.click(screen.getByRole("button", { name: "Fin" }));
    await user.click(screen.getByRole("button", { name: "Page 2" }));
    expect(onoffset.mock.calls).toEqual([[10], [10], [10]]);
  });
  it("without a total, follows has_more and hides 'Fin'", () => {
    render(Pager, { offset: 20, shown: 10, hasMore: false, label: "test", onoffset: () => {} });
    expect(screen.getByText("21-30")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Suiv." }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByRole("button", { name: "Fin" })).toBeNull();
  });
  it("is usable from the keyboard", async () => {
    const onoffset = vi.fn();
    render(Pager, { offset: 10, shown: 10, total: 30, label: "test", onoffset });
    const user = userEvent.setup();
    screen.getByRole("button", { name: "Préc." }).focus();
    await user.keyboard("{Enter}");
    expect(onoffset).toHaveBeenCalledWith(0);
  });
});
