import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import TransferProgress from "./TransferProgress.svelte";

const MO = 1024 * 1024;

describe("TransferProgress", () => {
  it("shows the file, its bytes, a bar and the file count", () => {
    render(TransferProgress, {
      progress: { job_id: "j", name: "Relevé.pdf", files_done: 1, files_total: 3, sent: Math.round(12.3 * MO), total: 80 * MO },
    });
    expect(screen.getByText("Transfert de « Relevé.pdf » : 12,3 Mo sur 80,0 Mo")).toBeTruthy();
    expect(screen.getByText("Fichiers transférés : 1 sur 3")).toBeTruthy();
    const bar = screen.getByRole("progressbar", { name: "Transfert de Relevé.pdf" }) as HTMLProgressElement;
    expect(bar.max).toBe(100);
    expect(bar.value).toBe(15);
  });
});
