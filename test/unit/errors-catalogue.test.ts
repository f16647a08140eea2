import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors.js";

const DOC = new URL("../../docs/errors.md", import.meta.url);

async function readDoc(): Promise<string> {
  try {
    return await readFile(DOC, "utf8");
  } catch {
    return ""; // a missing document lists no code: every code below is then reported missing
  }
}

describe("docs/errors.md", () => {
  it("lists every code of ERROR_CODES", async () => {
    const doc = await readDoc();
    const missing = Object.keys(ERROR_CODES).filter(
      (code) => !new RegExp(`\\b${code}\\b`).test(doc),
    );
    expect(missing).toEqual([]);
  });
});
