/**
 * Renders docs/errors.md from the error catalogue in src/errors.ts.
 *
 * `npm run docs:errors` writes the page; `tsx scripts/errors-doc.ts` prints it. A unit test
 * renders it too and fails when the committed page differs.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { format, resolveConfig } from "prettier";
import { ERROR_CODES } from "../src/errors.js";
import type { ErrorCode } from "../src/errors.js";

/** Where the page lives. */
export const ERRORS_DOC_PATH = fileURLToPath(new URL("../docs/errors.md", import.meta.url));

const INTRO = `<!-- Generated from src/errors.ts by scripts/errors-doc.ts: edit the catalogue, then run npm run docs:errors. -->

# Error codes

Every error Portico raises is a \`PorticoError\` subclass with a stable \`code\`, an HTTP \`status\`, a \`retryable\` flag and optional \`data\`. Test and branch on \`code\` (or \`instanceof\`), never on message text. This page is generated from the catalogue in \`src/errors.ts\`, which is the one place each code is defined.`;

const WIRE = `## Wire errors

A server sends these as JSON with the HTTP status below:

\`\`\`json
{ "error": { "code": "VALIDATION_FAILED", "message": "Invalid input for echo: message: ...", "data": { "issues": [{ "path": ["message"], "message": "...", "code": "invalid_type" }] } }
\`\`\`

A client rebuilds the class from \`code\` (so \`await client.echo({})\` rejects with a \`ValidationError\` whether the client or the server caught the problem). The gateway passes an app's own error replies through untouched and adds its own for problems reaching the app (such as \`APP_NOT_REGISTERED\`, \`UPSTREAM_UNREACHABLE\` or \`UPSTREAM_TIMEOUT\`).`;

const LOCAL = `## Local errors

These happen in the calling process (connection refused, timeouts, launching) and never travel over the wire. \`RemoteError\` is what a non-2xx reply without a Portico code (for example from a foreign server) becomes; its \`status\` is the real HTTP status and \`data.body\` the body. A local code that arrives on the wire is not rebuilt as its class: it becomes a \`RemoteError\` too.`;

const ISSUES = `## Validation issues

\`ValidationError.issues\` (also \`data.issues\` on the wire) is a list of \`{ path, message, code }\`, the same shape whether zod (typed clients, servers) or ajv (clients built from JSON Schema) found the problem.`;

/** The page as committed: markdown formatted by prettier with the repository's settings. */
export async function renderErrorsDoc(): Promise<string> {
  const markdown = [INTRO, WIRE, table(true), LOCAL, table(false), ISSUES].join("\n\n");
  const config = await resolveConfig(ERRORS_DOC_PATH);
  return format(markdown, { ...config, filepath: ERRORS_DOC_PATH });
}

function table(wire: boolean): string {
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
    (code) => ERROR_CODES[code].wire === wire,
  );
  const rows = codes.map((code) => {
    const spec = ERROR_CODES[code];
    const cells = [
      `\`${code}\``,
      `\`${spec.className}\``,
      String(spec.status),
      spec.retryable ? "yes" : "no",
      spec.description.replaceAll("|", "\\|"),
    ];
    return `| ${cells.join(" | ")} |`;
  });
  return [
    "| code | class | HTTP status | retryable | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

async function main(args: string[]): Promise<void> {
  const page = await renderErrorsDoc();
  if (!args.includes("--write")) {
    process.stdout.write(page);
    return;
  }
  const current = await readFile(ERRORS_DOC_PATH, "utf8").catch(() => "");
  if (current === page) return;
  await writeFile(ERRORS_DOC_PATH, page);
  console.log(`wrote ${ERRORS_DOC_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
