/**
 * The gateway console's routes: `GET /console` (the page), `GET /console/assets/<file>` (its
 * built, hashed files) and the gateway's `GET /` index. All public: they hold no data; the
 * page's own calls carry the token typed into it.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { ConsoleNotBuiltError, EndpointNotFoundError } from "../../errors.js";
import { clipText } from "../../net/url.js";
import { consoleDir, consoleFilesOf } from "./console-files.js";
import type { ConsoleFiles } from "./console-files.js";
import { INDEX_CSP, renderIndexPage } from "./index-page.js";
import type { IndexLink } from "./index-page.js";

/** The page's Content-Security-Policy: nothing from elsewhere, nothing inline, no framing. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Options of the console routes. */
export interface ConsoleRoutesOptions {
  /** Serve `/console` (false: only the index). */
  console: boolean;
  /** The links of `GET /`. */
  links: readonly IndexLink[];
  /** Title of the index page. */
  title: string;
  /** Where the built files are (tests point elsewhere); default: see `consoleDir`. */
  dir?: string;
}

const PUBLIC = { access: "public" } as const;
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True for paths under `/console/`: the gateway leaves them to its routes (no app has that name). */
export function isConsolePath(url: string | undefined): boolean {
  return url !== undefined && url.startsWith("/console/");
}

/** Adds the index and, when on, the console's routes to the gateway's app. */
export function registerConsoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions): void {
  const index = renderIndexPage(options.title, options.links);
  app.get("/", { config: PUBLIC }, (_request, reply) =>
    secure(reply, INDEX_CSP)
      .header("cache-control", "no-cache")
      .type("text/html; charset=utf-8")
      .send(index),
  );
  if (!options.console) return;
  const files = consoleFilesOf(options.dir ?? consoleDir());
  const page = async (_request: unknown, reply: FastifyReply) => {
    const built = await need(files);
    return secure(reply, CONSOLE_CSP)
      .header("cache-control", "no-cache")
      .type("text/html; charset=utf-8")
      .send(built.index);
  };
  app.get("/console", { config: PUBLIC }, page);
  app.get("/console/", { config: PUBLIC }, page);
  app.get<{ Params: { file: string } }>(
    "/console/assets/:file",
    { config: PUBLIC },
    async (request, reply) => {
      const built = await need(files);
      const name = request.params.file;
      const asset = ASSET_NAME.test(name) ? built.assets.get(name) : undefined;
      if (!asset) {
        throw new EndpointNotFoundError(`No console asset ${clipText(name)}`, {
          data: { file: clipText(name) },
        });
      }
      // Hashed names: a new build makes new names, so a name's content never changes.
      return secure(reply)
        .header("cache-control", "public, max-age=31536000, immutable")
        .type(asset.type)
        .send(asset.body);
    },
  );
}

async function need(files: () => Promise<ConsoleFiles | undefined>): Promise<ConsoleFiles> {
  const built = await files();
  if (built) return built;
  throw new ConsoleNotBuiltError(
    "The console is not built (dist/console is missing): run `npm run build`, then reload",
  );
}

function secure(reply: FastifyReply, csp?: string): FastifyReply {
  void reply.header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer");
  if (csp) void reply.header("content-security-policy", csp).header("x-frame-options", "DENY");
  return reply;
}
