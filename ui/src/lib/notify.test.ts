import { describe, expect, it } from "vitest";
import { arrivals } from "./notify";

const c = (awaiting_consultation: number, in_person: number, at_home: number, returns: number) => ({ awaiting_consultation, in_person, at_home, returns });

describe("desktop notifications", () => {
  it("say nothing on the first counts or when counts go down", () => {
    expect(arrivals(null, c(1, 2, 3, 4))).toEqual([]);
    expect(arrivals(c(1, 2, 3, 4), c(0, 1, 2, 3))).toEqual([]);
    expect(arrivals(c(1, 2, 3, 4), c(5, 2, 3, 4))).toEqual([]); // a new deposit is the user's own act
  });
  it("announce deliveries and returns, singular and plural", () => {
    expect(arrivals(c(3, 2, 3, 4), c(1, 3, 5, 6))).toEqual([
      { title: "Significations remises à personne", body: "1 nouvelle signification remise à personne : le destinataire a consulté l'acte." },
      { title: "Significations remises à domicile", body: "2 nouvelles significations remises à domicile : préparez le courrier simple." },
      { title: "Retours d'acte", body: "2 nouveaux retours d'acte en attente de consultation." },
    ]);
  });
});
