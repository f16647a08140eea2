/**
 * A real browser for page tests: Debian's `chromium` driven by playwright-core (no browser
 * download). Tests that need it skip, loudly, when it is not installed, unless
 * PORTICO_REQUIRE_BROWSER is set (CI), where its absence is a failure.
 */
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
// Shared with scripts/screenshots.js.
import CHROMIUM_FLAGS from "../../scripts/chromium-flags.json" with { type: "json" };

/** Where Debian installs it; `PORTICO_CHROMIUM` names another executable. */
const CANDIDATES = ["chromium", "chromium-browser"];

/** The chromium executable, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  const named = process.env.PORTICO_CHROMIUM;
  if (named) return named;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of CANDIDATES) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** True when the environment demands the browser tests run (PORTICO_REQUIRE_BROWSER set, not 0). */
export function browserRequired(): boolean {
  const value = process.env.PORTICO_REQUIRE_BROWSER;
  return value !== undefined && value !== "" && value !== "0";
}

/**
 * Call once at the top of a test file that needs a browser: true when chromium is installed. When
 * it is not, says so loudly (the tests of `what` are skipped), and when PORTICO_REQUIRE_BROWSER is
 * set (CI) adds a failing test instead.
 */
export function browserForTests(what: string): boolean {
  const installed = chromiumPath() !== undefined;
  if (!installed && !browserRequired()) {
    console.warn(
      `\n*** SKIPPED ${what}: chromium is not on the PATH. Install it (apt-get install ` +
        "chromium) or set PORTICO_REQUIRE_BROWSER=1 to make its absence fail. ***\n",
    );
  }
  describe.runIf(browserRequired())(
    "the browser tests, required by PORTICO_REQUIRE_BROWSER",
    () => {
      it("find chromium on the PATH", () => {
        expect(installed, "chromium is not installed but PORTICO_REQUIRE_BROWSER is set").toBe(
          true,
        );
      });
    },
  );
  return installed;
}

/**
 * Flags for a closed network: without the background-networking ones chromium keeps trying to
 * reach Google's hosts (updates, sync, safe browsing) at every start.
 */
const FLAGS: string[] = CHROMIUM_FLAGS;

/** A launched browser with one context; `requests` records every URL any page asked for. */
export interface TestBrowser extends AsyncDisposable {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** Every request made by any page of the context, in order. */
  readonly requests: Request[];
  /** A new page (tab) of the context. */
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Options of a test browser. */
export interface TestBrowserOptions {
  /** Window size (default 1280 x 800). */
  viewport?: { width: number; height: number };
}

/** Launches chromium with a fresh profile in a temporary folder, removed on close. */
export async function openBrowser(options: TestBrowserOptions = {}): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("chromium is not installed");
  const profile = mkdtempSync(join(tmpdir(), "portico-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  const browser = context.browser() as Browser;
  const requests: Request[] = [];
  context.on("request", (request) => requests.push(request));
  const close = async (): Promise<void> => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return {
    browser,
    context,
    requests,
    page: () => context.newPage(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The requests whose host is not a loopback address (none may leave the machine). */
export function offLoopback(requests: readonly Request[]): string[] {
  return requests
    .map((request) => request.url())
    .filter((url) => {
      if (url.startsWith("data:") || url.startsWith("blob:") || url === "about:blank") return false;
      try {
        const host = new URL(url).hostname;
        return !(host === "127.0.0.1" || host === "[::1]" || host === "localhost");
      } catch {
        return true;
      }
    });
}
