import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import PinField from "./PinField.svelte";

const base = { value: "", confirmFinal: false, id: "p" };

describe("PinField", () => {
  it("is a masked field with the tries left", () => {
    render(PinField, { ...base, pin: { tries_left: 3, count_low: false, final_try: false, locked: false } });
    const input = screen.getByLabelText("Code PIN") as HTMLInputElement;
    expect(input.type).toBe("password");
    expect(input.autocomplete).toBe("off");
    expect(screen.getByText("Essais restants : 3")).toBeTruthy();
    expect(screen.queryByRole("checkbox")).toBeNull();
  });
  it("asks for a confirmation before the final try", () => {
    render(PinField, { ...base, pin: { tries_left: 1, count_low: true, final_try: true, locked: false } });
    expect(screen.getByRole("alert").textContent).toContain("il ne reste qu'un seul essai");
    expect(screen.getByRole("checkbox", { name: /dernier essai/ })).toBeTruthy();
  });
  it("is disabled when the PIN is locked", () => {
    render(PinField, { ...base, pin: { tries_left: 0, count_low: true, final_try: false, locked: true } });
    expect((screen.getByLabelText("Code PIN") as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByRole("alert").textContent).toContain("bloqué");
  });
  it("shows a validation message", () => {
    render(PinField, { ...base, pin: null, error: "Saisissez le code PIN de votre clé." });
    expect(screen.getByRole("alert").textContent).toBe("Saisissez le code PIN de votre clé.");
  });
});
