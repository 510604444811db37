import { describe, expect, it } from "vitest";
import { applyStep, initialSteps, LEGEND, overall, STEPS, type StepsState } from "./steps";
import type { StepEvent } from "./types";

function run(events: Pick<StepEvent, "step" | "status" | "reason">[]): StepsState {
  let s = initialSteps();
  for (const e of events) {
    const r = applyStep(s, e);
    if (!r.ok) throw new Error(r.error);
    s = r.state;
  }
  return s;
}
const ev = (step: StepEvent["step"], status: StepEvent["status"], reason: string | null = null) => ({ step, status, reason });

describe("six steps", () => {
  it("are the manual's six, with its legend", () => {
    expect(STEPS.map((s) => s.title)).toEqual([
      "Conversion au format PDF/A des actes",
      "Signature qualifiée des actes",
      "Création du dépôt et remise dans le coffre-fort destinataire",
      "Envoi d'un mail et d'un SMS au destinataire",
      "Création de l'attestation de dépôt",
      "Création du dépôt avec attestation et remise dans votre coffre pour archivage",
    ]);
    expect([LEGEND.done, LEGEND.running, LEGEND.failed]).toEqual([
      "Étape terminée avec succès",
      "Étape en cours d'exécution",
      "Étape terminée sans succès",
    ]);
  });
  it("go running → done in order, to an overall success", () => {
    const evs = [1, 2, 3, 4, 5, 6].flatMap((n) => [ev(n as 1, "running"), ev(n as 1, "done")]);
    const s = run(evs.slice(0, 3));
    expect(s.map((x) => x.status)).toEqual(["done", "running", "pending", "pending", "pending", "pending"]);
    expect(overall(s)).toBe("running");
    expect(overall(run(evs))).toBe("done");
  });
  it("stop at a failure with its reason", () => {
    const s = run([ev(1, "running"), ev(1, "done"), ev(2, "running"), ev(2, "failed", "Code PIN erroné.")]);
    expect(s[1]).toEqual({ status: "failed", reason: "Code PIN erroné." });
    expect(overall(s)).toBe("failed");
    const after = applyStep(s, ev(3, "running"));
    expect(after.ok).toBe(false);
  });
  it("wait in the outbox when offline", () => {
    const s = run([ev(1, "running"), ev(1, "done"), ev(2, "running"), ev(2, "done"), ev(3, "running"), ev(3, "queued", "hors ligne")]);
    expect(overall(s)).toBe("queued");
    expect(s[2]?.status).toBe("queued");
  });
  it("refuse impossible events", () => {
    expect(applyStep(initialSteps(), ev(2, "running")).ok).toBe(false); // step 1 not done
    expect(applyStep(initialSteps(), ev(1, "done")).ok).toBe(true); // a fast step may be reported done at once
  });
  it("refuse going back from done and unknown steps", () => {
    const s = run([ev(1, "running"), ev(1, "done")]);
    expect(applyStep(s, ev(1, "running")).ok).toBe(false);
    expect(applyStep(s, { step: 7 as 1, status: "running", reason: null }).ok).toBe(false);
  });
});
