/**
 * The API reference at `/docs`: swagger-ui, served by @fastify/swagger-ui from the files inside
 * its package (no CDN: it works on a machine without internet), fed by the service's own OpenAPI
 * document. Every route it adds passes the access policy: the page and its assets are public
 * (they hold no data), the document keeps the access of `/openapi.json`.
 */
import type { FastifyInstance, FastifyPluginCallback } from "fastify";
import type { AccessAction } from "../../security/options.js";
import { PAGE_CSP, PAGE_SCRIPT, PAGE_STYLE, UI_CONFIG, titleLogo } from "./docs-page.js";

/** What the docs routes need from a service. */
export interface DocsHost {
  /** Names the page and its logo. */
  title: string;
  /** The OpenAPI document (the one `/openapi.json` serves). */
  document(): unknown;
  /** Who may read the document (`/openapi.json`'s access). */
  documentAccess: AccessAction;
}

/** Where the reference is served. */
export const DOCS_PREFIX = "/docs";

/** True for the paths under `/docs/` (a gateway must not take them for an app's). */
export function isDocsPath(url: string | undefined): boolean {
  return url !== undefined && url.startsWith(`${DOCS_PREFIX}/`);
}

/**
 * Registers `/docs` (page), `/docs/static/*` (swagger-ui's files), `/docs/json` and `/docs/yaml`
 * (the document), in a scope of their own so that the access hook below sees no other route;
 * with `root`, `GET /` redirects to the page.
 */
export function registerDocs(app: FastifyInstance, host: DocsHost, root: boolean): void {
  // `docs/`, relative: behind a gateway (`/<app>/`) the browser stays under the app's path, and
  // with the slash the page loads its assets relative to itself too.
  if (root) {
    app.get("/", { config: { access: "public" } }, (_request, reply) => reply.redirect("docs/"));
  }
  void app.register(async (scope) => {
    scope.addHook("onRoute", (route) => {
      const document = route.url === `${DOCS_PREFIX}/json` || route.url === `${DOCS_PREFIX}/yaml`;
      route.config = { ...route.config, access: document ? host.documentAccess : "public" };
    });
    // @fastify/swagger-ui reads the document from `fastify.swagger()`, which @fastify/swagger
    // would generate from route schemas. Our document is our own (built from the endpoint
    // descriptors), so a stand-in plugin of that name hands it over instead.
    await scope.register(documentProvider(host));
    // Loaded when the app is built, not with the package: `portico call` and clients never pay it.
    const { default: fastifySwaggerUi } = await import("@fastify/swagger-ui");
    await scope.register(fastifySwaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: UI_CONFIG as never,
      staticCSP: PAGE_CSP,
      logo: titleLogo(host.title),
      theme: {
        title: `${host.title}: API reference`,
        js: [{ filename: "portico-docs.js", content: PAGE_SCRIPT }],
        css: [{ filename: "portico-docs.css", content: PAGE_STYLE }],
      },
      // The page reads the document at /docs/json: its operations are then relative to the
      // parent folder, the service's root (or the app's, `/<app>/`, behind a gateway).
      transformSpecificationClone: false,
      transformSpecification: (document) => ({
        ...document,
        servers: [{ url: "..", description: "The server this page came from" }],
      }),
    });
  });
}

/**
 * A plugin named `@fastify/swagger` (the dependency @fastify/swagger-ui declares) that decorates
 * `swagger()` with our document. Its symbols are fastify's plugin metadata: `skip-override` puts
 * the decorator in the registering scope, as fastify-plugin would.
 */
function documentProvider(host: DocsHost): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (scope, _options, done) => {
    // (As never: @fastify/swagger, a dev dependency, types this decorator with its own document.)
    scope.decorate("swagger", () => host.document() as never);
    done();
  };
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "@fastify/swagger",
    [Symbol.for("plugin-meta")]: { name: "@fastify/swagger", fastify: "5.x" },
  });
}
