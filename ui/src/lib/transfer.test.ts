import { describe, expect, it } from "vitest";
import { transferCount, transferLine, transferPercent } from "./transfer";

const MO = 1024 * 1024;
const at = (sent: number, total: number, files_done = 0, files_total = 1) => ({
  job_id: "j",
  name: "Relevé 2026.pdf",
  files_done,
  files_total,
  sent,
  total,
});

describe("transfer progress", () => {
  it("writes the bytes in French number format, one decimal", () => {
    expect(transferLine(at(Math.round(12.3 * MO), 80 * MO))).toBe("Transfert de « Relevé 2026.pdf » : 12,3 Mo sur 80,0 Mo");
    expect(transferLine(at(0, 1536))).toBe("Transfert de « Relevé 2026.pdf » : 0 octet sur 1,5 Ko");
    expect(transferLine(at(3 * 1024 * MO, 4 * 1024 * MO))).toBe("Transfert de « Relevé 2026.pdf » : 3,0 Go sur 4,0 Go");
  });
  it("counts the files done", () => {
    expect(transferCount(at(0, 10, 1, 3))).toBe("Fichiers transférés : 1 sur 3");
    expect(transferCount(at(10, 10, 3, 3))).toBe("Fichiers transférés : 3 sur 3");
  });
  it("gives the bar's percentage, 100 only at the last byte", () => {
    expect(transferPercent(at(0, 80 * MO))).toBe(0);
    expect(transferPercent(at(Math.round(12.3 * MO), 80 * MO))).toBe(15);
    expect(transferPercent(at(80 * MO - 1, 80 * MO))).toBe(99);
    expect(transferPercent(at(80 * MO, 80 * MO))).toBe(100);
    // An empty file is sent as soon as it starts.
    expect(transferPercent(at(0, 0))).toBe(100);
  });
});
