import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ERRORS_DOC_PATH, renderErrorsDoc } from "../../scripts/errors-doc.js";
import { ERROR_CODES } from "../../src/errors.js";

describe("docs/errors.md", () => {
  it("is the page rendered from the catalogue (else run npm run docs:errors)", async () => {
    const committed = await readFile(ERRORS_DOC_PATH, "utf8").catch(() => "");
    const rendered = await renderErrorsDoc();
    expect(committed, "docs/errors.md is stale: run npm run docs:errors").toBe(rendered);
  });

  it("lists every code of the catalogue in a table row", async () => {
    const rendered = await renderErrorsDoc();
    const missing = Object.keys(ERROR_CODES).filter((code) => !rendered.includes(`| \`${code}\``));
    expect(missing).toEqual([]);
  });
});
