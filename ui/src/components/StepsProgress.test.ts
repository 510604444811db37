import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { applyStep, initialSteps, type StepsState } from "../lib/steps";
import StepsProgress from "./StepsProgress.svelte";

function state(): StepsState {
  let s = initialSteps();
  for (const e of [
    { step: 1, status: "done" },
    { step: 2, status: "running" },
  ] as const) {
    const r = applyStep(s, { ...e, reason: null });
    if (r.ok) s = r.state;
  }
  return s;
}

describe("StepsProgress", () => {
  it("shows each step's state and the manual's legend", () => {
    const { container } = render(StepsProgress, { steps: state() });
    const items = Array.from(container.querySelectorAll("li[data-step]"));
    expect(items.map((li) => li.getAttribute("data-status"))).toEqual(["done", "running", "pending", "pending", "pending", "pending"]);
    expect(items[0]?.textContent).toContain("Étape terminée avec succès");
    expect(items[1]?.textContent).toContain("Étape en cours d'exécution");
    const legend = screen.getByLabelText("Légende").textContent ?? "";
    expect(legend).toContain("Étape terminée avec succès");
    expect(legend).toContain("Étape en cours d'exécution");
    expect(legend).toContain("Étape terminée sans succès");
    // Announced to screen readers as the steps move.
    const live = screen.getByTestId("steps-announce");
    expect(live.getAttribute("aria-live")).toBe("polite");
    expect(live.textContent).toBe("Étape 2 sur 6 en cours : Signature qualifiée des actes.");
  });
  it("shows the reason of a failure", () => {
    const r = applyStep(initialSteps(), { step: 1, status: "failed", reason: "Le fichier acte.docx est protégé par un mot de passe." });
    if (!r.ok) throw new Error(r.error);
    render(StepsProgress, { steps: r.state });
    expect(screen.getByRole("alert").textContent).toBe("Le fichier acte.docx est protégé par un mot de passe.");
  });
});
