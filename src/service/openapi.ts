/**
 * The OpenAPI 3.1 document of a service, derived from its endpoint descriptors (the JSON Schemas
 * that travel in `detailed_endpoints`), ordered for the people who read it at `/docs`: the
 * service's own endpoints first under a tag named after it, the built-ins every service answers
 * after them under "Built-in". A gateway puts its registered apps' operations before both.
 */
import type { EndpointDescriptor } from "../contract/endpoint.js";
import { errorSchema, operations } from "./http/docs-operation.js";
import type { DocsSecurity, OperationEntry } from "./http/docs-operation.js";

export type { DocsSecurity } from "./http/docs-operation.js";

/** What a service's document is built from. */
export interface OpenApiSource {
  /** The service's name (its class name): the document's title and its endpoints' tag. */
  title: string;
  description: string;
  /** Every endpoint, built-ins included. */
  endpoints: EndpointDescriptor[];
  /** Names of the built-in endpoints. */
  builtins: ReadonlySet<string>;
  security: DocsSecurity;
}

/** An OpenAPI tag. */
export interface OpenApiTag {
  name: string;
  description?: string;
}

/** Paths by path, then by lower-case method. */
export type OpenApiPaths = Record<string, Record<string, unknown>>;

/** An OpenAPI document, with the members other parts add to (a gateway's apps). */
export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers: { url: string; description?: string }[];
  tags: OpenApiTag[];
  paths: OpenApiPaths;
  components: Record<string, unknown>;
  [key: string]: unknown;
}

/** Tags and operations placed before a document's own (a gateway's registered apps). */
export interface OpenApiSection {
  tags: OpenApiTag[];
  paths: OpenApiPaths;
}

/** The tag of the endpoints every Portico service answers. */
export const BUILTIN_TAG: OpenApiTag = {
  name: "Built-in",
  description:
    "What every Portico service answers: health (`status`, `heartbeat`), identity, its endpoint list and schemas, `shutdown`.",
};

/** The OpenAPI document of a service. */
export function buildOpenApi(source: OpenApiSource): OpenApiDocument {
  const own = source.endpoints.filter((d) => !source.builtins.has(d.name));
  const builtin = source.endpoints.filter((d) => source.builtins.has(d.name));
  const security = source.security;
  const ownTag: OpenApiTag = { name: source.title, description: source.description };
  return {
    openapi: "3.1.0",
    info: {
      title: source.title,
      description: infoDescription(source.description, security),
      version: "1.0.0",
    },
    // Relative to where the document is served (OpenAPI 3.1 §4.8.5): the page's origin, or the
    // app's path when the document is read through a gateway (`/<app>/openapi.json`).
    servers: [{ url: ".", description: "The server this document came from" }],
    tags: [ownTag, BUILTIN_TAG],
    paths: collect([
      ...own.flatMap((d) => operations(d, { tag: ownTag.name, security })),
      ...builtin.flatMap((d) => operations(d, { tag: BUILTIN_TAG.name, security })),
    ]),
    components: {
      schemas: { Error: errorSchema },
      ...((security.callToken || security.adminToken) && {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: security.callToken
              ? "The caller token (the admin token is accepted too; admin operations need it)."
              : "The admin token (admin operations only).",
          },
        },
      }),
    },
  };
}

/** `doc` with `section`'s tags and operations placed before its own (a new object). */
export function withSection(doc: OpenApiDocument, section: OpenApiSection): OpenApiDocument {
  return {
    ...doc,
    tags: [...section.tags, ...doc.tags],
    paths: { ...section.paths, ...doc.paths },
  };
}

/** Operations as paths, in the order given. */
export function collect(entries: OperationEntry[]): OpenApiPaths {
  const paths: OpenApiPaths = {};
  for (const [path, method, operation] of entries) (paths[path] ??= {})[method] = operation;
  return paths;
}

function infoDescription(description: string, security: DocsSecurity): string {
  const notes = [description];
  if (security.callToken) {
    notes.push(
      "Calls need the caller token (`Authorization: Bearer <token>`): enter it with **Authorize**.",
    );
  }
  notes.push(
    'Errors are JSON: `{ "error": { "code", "message", "data" } }` with the HTTP status of their code.',
  );
  return notes.join("\n\n");
}
