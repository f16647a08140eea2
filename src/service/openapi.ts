/**
 * OpenAPI 3.1 document and a self-contained docs page, both derived from the endpoint
 * descriptors (the same JSON Schemas that travel in `detailed_endpoints`).
 */
import type { EndpointDescriptor, JsonSchema } from "../contract/endpoint.js";

const errorSchema: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, data: {} },
    },
  },
};

function strip(schema: JsonSchema | null): JsonSchema | undefined {
  if (!schema) return undefined;
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function operation(d: EndpointDescriptor, method: string): Record<string, unknown> {
  const input = strip(d.input_schema);
  const output = strip(d.output_schema);
  const error = { description: "Error", content: { "application/json": { schema: errorSchema } } };
  // operationIds must be unique in the document: the method clients use keeps the bare name,
  // others get a "-" suffix, which no endpoint name can contain.
  const primary = method === (d.methods.includes("POST") ? "POST" : d.methods[0]);
  return {
    operationId: primary ? d.name : `${d.name}-${method.toLowerCase()}`,
    summary: d.description || d.name,
    ...(input && {
      requestBody: { required: true, content: { "application/json": { schema: input } } },
    }),
    responses: {
      "200": {
        description: "Success",
        content: { "application/json": { schema: output ?? {} } },
      },
      // Without an output schema a handler may return nothing, which is sent as 204.
      ...(!output && { "204": { description: "No content" } }),
      ...(input && { "422": { ...error, description: "Input does not match the schema" } }),
      default: error,
    },
  };
}

/** The OpenAPI document of a service. */
export function buildOpenApi(
  title: string,
  description: string,
  endpoints: EndpointDescriptor[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const d of endpoints) {
    paths[d.path] = Object.fromEntries(d.methods.map((m) => [m.toLowerCase(), operation(d, m)]));
  }
  return {
    openapi: "3.1.0",
    info: { title, description, version: "1.0.0" },
    paths,
    components: { schemas: { Error: errorSchema } },
  };
}

const escape = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** A docs page listing every endpoint with its schemas; no external assets, works offline. */
export function renderDocsPage(title: string, endpoints: EndpointDescriptor[]): string {
  const rows = endpoints
    .map((d) => {
      const schema = (s: JsonSchema | null): string =>
        s ? `<pre>${escape(JSON.stringify(strip(s), null, 2))}</pre>` : "<em>none</em>";
      return `<section><h2><code>${d.methods.join(", ")} ${escape(d.path)}</code></h2>
<p>${escape(d.description)}</p><h3>Input</h3>${schema(d.input_schema)}<h3>Output</h3>${schema(d.output_schema)}</section>`;
    })
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style></head>
<body><h1>${escape(title)}</h1><p>OpenAPI document: <a href="openapi.json">openapi.json</a></p>
${rows}</body></html>`;
}
