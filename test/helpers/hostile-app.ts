/**
 * An app whose descriptor and errors carry markup, for the page tests: a page that ever parsed
 * what an app sends as HTML would run its handler.
 */
import { sendJson, startPlainApp } from "./plain-app.js";
import type { PlainApp } from "./plain-app.js";

/** Markup that would run if the page ever parsed what an app sends as HTML. */
export const HOSTILE_HTML = '<img src=x onerror="window.pwned=1">';

/**
 * An app whose descriptor and errors carry markup: endpoint `poke`, described with HTML and
 * backticks around HTML, answering 400 with the markup as its error message.
 */
export function startHostileApp(): Promise<PlainApp> {
  const descriptor = {
    name: "poke",
    path: "/poke",
    methods: ["POST"],
    description: `Pokes ${HOSTILE_HTML} with \`<b>bold</b>\`.`,
    input_schema: {
      type: "object",
      properties: { note: { type: "string", description: `\`<i>x</i>\` ${HOSTILE_HTML}` } },
    },
    output_schema: null,
  };
  return startPlainApp((req, res) => {
    if (req.url === "/detailed_endpoints") {
      return sendJson(res, 200, { endpoints: { poke: descriptor } });
    }
    if (req.url === "/heartbeat") {
      return sendJson(res, 200, {
        heartbeat: { status: "Available", server_id: "hostile", message: "ok" },
      });
    }
    sendJson(res, 400, { error: { code: "BAD_THING", message: HOSTILE_HTML } });
  });
}
