/**
 * `GET /` on a gateway: a small page linking its console, API reference, metrics and OpenAPI
 * document. No script; its one inline style is allowed by hash in its CSP.
 */
import { createHash } from "node:crypto";

/** One link of the index. */
export interface IndexLink {
  href: string;
  label: string;
  description: string;
}

const STYLE =
  "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1f24;background:#fff}" +
  "a{color:#0a58ca}a:focus-visible{outline:3px solid #0a58ca;outline-offset:2px}li{margin:.5rem 0}p{color:#57606a}" +
  "@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}a{color:#79b8ff}p{color:#9da7b3}}";

/** The index page's Content-Security-Policy: nothing but its own inline style. */
export const INDEX_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "img-src data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** The HTML of the index page. */
export function renderIndexPage(title: string, links: readonly IndexLink[]): string {
  const items = links
    .map(
      (link) =>
        `<li><a href="${escape(link.href)}">${escape(link.label)}</a>: ${escape(link.description)}</li>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
<ul>
${items}
</ul>
</main>
</body>
</html>
`;
}

function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** The links of a gateway's index: what it serves. */
export function gatewayLinks(on: {
  console: boolean;
  docs: boolean;
  metrics: boolean;
}): IndexLink[] {
  const links: IndexLink[] = [];
  if (on.console) {
    links.push({
      href: "/console",
      label: "Console",
      description: "apps, instances and health, live events, try calls, register apps",
    });
  }
  if (on.docs) {
    links.push({ href: "/docs", label: "API reference", description: "the gateway's endpoints" });
  }
  if (on.metrics) {
    links.push({ href: "/metrics", label: "Metrics", description: "Prometheus text format" });
  }
  links.push({ href: "/openapi.json", label: "OpenAPI document", description: "JSON" });
  return links;
}
