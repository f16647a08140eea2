/**
 * Pages that registered apps serve through the gateway share the gateway's origin with its
 * console and API reference. What the gateway does so that such a page cannot take that origin
 * over, checked in a real browser.
 */
import { describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { browserForTests, offLoopback, openBrowser } from "../helpers/browser.js";
import { serveOn } from "../helpers/fixtures.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";

const installed = browserForTests("the app page browser tests");

/**
 * An app with a page and a service worker script that asks for the whole origin
 * (`Service-Worker-Allowed: /`), as a hostile app would to serve its own `/console`.
 */
function startWorkerApp(): Promise<PlainApp> {
  return startPlainApp((req, res) => {
    // The script also at the app's root: through the gateway, `/<app>` and `/<app>?sw` sit in
    // the folder `/`, which a browser grants without any header.
    if (req.url === "/sw.js" || req.url === "/" || req.url.startsWith("/?")) {
      res.writeHead(200, {
        "content-type": "text/javascript",
        "service-worker-allowed": "/",
      });
      return void res.end("self.addEventListener('fetch', () => undefined);");
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>app page</title><p>an app's page</p>");
  });
}

/** What `navigator.serviceWorker.register(script, { scope })` gives on the page: ok or the error's name. */
function registerScript(script: string, scope: string): string {
  return `navigator.serviceWorker.register(${JSON.stringify(script)}, { scope: ${JSON.stringify(scope)} })
    .then((r) => r.scope, (e) => e.name)`;
}

describe.runIf(installed)("an app's pages through the gateway", () => {
  it("cannot register a service worker over the gateway's whole origin, only over the app's path", async () => {
    await using app = await startWorkerApp();
    await using gw = await serveOn(new Gateway({ health: false }));
    await gw.service.registerApp("paged", app.url);
    await using b = await openBrowser();
    const page = await b.page();

    // Served by the app itself, the header works: the browser grants the whole origin.
    await page.goto(`${app.url}/page`);
    expect(await page.evaluate(registerScript("/sw.js", "/"))).toBe(`${app.url}/`);

    // Through the gateway the scope is capped at the app's path: the root is refused, whatever
    // the script's URL...
    await page.goto(`${gw.url}/paged/page`);
    for (const script of ["/paged/sw.js", "/paged", "/paged?sw"]) {
      for (const scope of ["/", "/console"]) {
        expect(await page.evaluate(registerScript(script, scope)), `${script} ${scope}`).toBe(
          "SecurityError",
        );
      }
    }
    // ...and the app's own path stays its own.
    for (const script of ["/paged/sw.js", "/paged?sw"]) {
      expect(await page.evaluate(registerScript(script, "/paged/")), script).toBe(
        `${gw.url}/paged/`,
      );
    }
    expect(offLoopback(b.requests)).toEqual([]);
  });
});
