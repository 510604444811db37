import { describe, expect, it } from "vitest";
import { certificatesFor, keptChoice } from "./certificates";
import type { CertificateInfo, TokenStatus } from "./types";

const cert = (serial: string, role: CertificateInfo["role"]): CertificateInfo => ({
  serial,
  holder: "XXXTEST JEREMY",
  function: "HUISSIER",
  issuer: "AC",
  not_before: "2011-10-05T00:00:00Z",
  not_after: "2031-10-05T00:00:00Z",
  role,
});
const token = (certificates: CertificateInfo[]): TokenStatus => ({
  module: "ok",
  module_path: "/usr/lib/softhsm/libsofthsm2.so",
  tokens: [{ serial: "A1", label: "Clé", pin: { tries_left: 3, count_low: false, final_try: false, locked: false }, certificates }],
});

describe("certificate choice", () => {
  it("lists the key's certificates of one role", () => {
    const t = token([cert("01", "other"), cert("A", "authentication"), cert("S1", "signature"), cert("S2", "signature")]);
    expect(certificatesFor(t, "signature").map((c) => c.serial)).toEqual(["S1", "S2"]);
    expect(certificatesFor(t, "authentication").map((c) => c.serial)).toEqual(["A"]);
    expect(certificatesFor(null, "signature")).toEqual([]);
  });
  it("keeps the chosen serial while it is on the key, else takes the first", () => {
    const list = [cert("S1", "signature"), cert("S2", "signature")];
    expect(keptChoice("S2", list)).toBe("S2");
    expect(keptChoice("S9", list)).toBe("S1");
    expect(keptChoice("", list)).toBe("S1");
    expect(keptChoice("S2", [])).toBe("");
  });
});
