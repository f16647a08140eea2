/**
 * The registered apps in the gateway's OpenAPI document: each app's endpoints as `/<app>/...`
 * operations under a tag of its own, placed before the gateway's own API. Built from the app
 * table and kept until the table changes, so reading `/openapi.json` or `/docs` never rebuilds a
 * thousand apps' operations while nothing changed.
 */
import type { EndpointDescriptor } from "../../contract/endpoint.js";
import type { AppRecord } from "../../registry/registry.js";
import { operations } from "../../service/http/docs-operation.js";
import type { DocsSecurity, OperationEntry } from "../../service/http/docs-operation.js";
import { collect, withSection } from "../../service/openapi.js";
import type { OpenApiDocument, OpenApiTag } from "../../service/openapi.js";
import type { AppTable } from "./app-table.js";

/** What the apps' operations need to know besides the table. */
export interface AppsOpenApiOptions {
  security: DocsSecurity;
  /** Endpoint names the gateway forwards only with its admin token (lower case). */
  adminEndpoints: ReadonlySet<string>;
  /** Built-in endpoint names: a Portico app's are left out (every service answers them). */
  builtins: ReadonlySet<string>;
}

/** Instance URLs named in an app's tag description. */
const LISTED_INSTANCES = 5;

const KINDS: Record<string, string> = {
  portico: "Portico service",
  openapi: "HTTP API described by its OpenAPI document",
  mcp: "MCP server: each call becomes a `tools/call`",
  http: "HTTP app without an endpoint list: calls are forwarded as they are",
};

/** The gateway's document with its apps, rebuilt only after the app table changed. */
export class AppsOpenApi {
  private cached: { own: OpenApiDocument; document: OpenApiDocument } | undefined;

  constructor(
    private readonly table: AppTable,
    private readonly options: AppsOpenApiOptions,
  ) {
    table.onChange(() => {
      this.cached = undefined;
    });
  }

  /** `own` (the gateway's document) with every registered app's tag and operations first. */
  document(own: OpenApiDocument): OpenApiDocument {
    if (this.cached?.own !== own) {
      this.cached = { own, document: this.build(own) };
    }
    return this.cached.document;
  }

  private build(own: OpenApiDocument): OpenApiDocument {
    const taken = new Set(own.tags.map((tag) => tag.name));
    const tags: OpenApiTag[] = [];
    const entries: OperationEntry[] = [];
    for (const app of this.table.records()) {
      // An app named like one of the gateway's own tags ("Built-in") keeps its operations apart.
      const tag = taken.has(app.name) ? `${app.name} (app)` : app.name;
      tags.push({ name: tag, description: describeApp(app) });
      for (const d of this.endpointsOf(app)) entries.push(...this.operationsOf(app, d, tag));
    }
    return withSection(own, { tags, paths: collect(entries) });
  }

  private endpointsOf(app: AppRecord): EndpointDescriptor[] {
    const all = Object.values(app.endpoints);
    if (app.kind !== undefined && app.kind !== "portico") return all;
    return all.filter((d) => !this.options.builtins.has(d.name));
  }

  private operationsOf(app: AppRecord, d: EndpointDescriptor, tag: string): OperationEntry[] {
    // The gateway's rule for forwarded calls: admin for the app's admin endpoints, else call.
    const admin = d.access === "admin" || this.options.adminEndpoints.has(d.name.toLowerCase());
    return operations(d, {
      tag,
      security: this.options.security,
      prefix: `/${app.name}`,
      idPrefix: `${app.name}__`,
      forwarded: true,
      access: admin ? "admin" : "call",
    });
  }
}

/** An app's tag description: its kind and instances. */
function describeApp(app: AppRecord): string {
  const kind = KINDS[app.kind ?? "portico"] ?? "App";
  const urls = (app.instances ?? [{ url: app.url }]).map((instance) => instance.url);
  const listed = urls.slice(0, LISTED_INSTANCES).map((url) => `\`${url}\``);
  if (urls.length > LISTED_INSTANCES) listed.push(`and ${urls.length - LISTED_INSTANCES} more`);
  const count = urls.length === 1 ? "1 instance" : `${urls.length} instances`;
  const builtins =
    app.kind === undefined || app.kind === "portico"
      ? ` Its built-ins (\`/${app.name}/status\`, \`/${app.name}/heartbeat\`, ...) answer too.`
      : "";
  return `${kind}, ${count}: ${listed.join(", ")}.${builtins}`;
}
