import { describe, expect, it } from "vitest";
import { shouldLock } from "./idle";

describe("automatic lock", () => {
  const t0 = Date.UTC(2026, 11, 7, 9, 0, 0);
  it("locks once the idle time is reached, not before", () => {
    expect(shouldLock(t0 + 10 * 60_000 - 1, t0, 10, 0)).toBe(false);
    expect(shouldLock(t0 + 10 * 60_000, t0, 10, 0)).toBe(true);
  });
  it("never locks when set to 0, nor while a service runs", () => {
    expect(shouldLock(t0 + 24 * 3_600_000, t0, 0, 0)).toBe(false);
    expect(shouldLock(t0 + 60 * 60_000, t0, 10, 1)).toBe(false);
  });
});
