/**
 * The gateway console in a real browser (Debian chromium): live registrations and health, the
 * "try it" form through the gateway, register/unregister behind the admin token, a phone-width
 * layout, and nothing fetched from anywhere but the gateway.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { consoleDir } from "../../src/gateway/console/console-files.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { browserForTests, offLoopback, openBrowser } from "../helpers/browser.js";
import type { TestBrowser } from "../helpers/browser.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";
import { HOSTILE_HTML, startHostileApp } from "../helpers/hostile-app.js";

const installed = browserForTests("the console browser tests");

const ADMIN = "a".repeat(32);
const CALLER = "c".repeat(32);

/**
 * A TCP relay in front of the gateway whose connections the test can cut (and refuse for a
 * while), to drop the page's event stream the way a network does; it notes the Last-Event-ID
 * headers the page sends to /events.
 */
async function startCuttableRelay(target: string) {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const lastEventIds: string[] = [];
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(targetPort), "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.on("data", (chunk: Buffer) => {
      const head = chunk.toString("latin1");
      const id = /^last-event-id: *(.*?)\r$/im.exec(head);
      if (head.startsWith("GET /events") && id) lastEventIds.push(id[1]!);
    });
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lastEventIds,
    /** Cuts every connection and refuses new ones until `resume()`. */
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      refusing = false;
    },
    [Symbol.asyncDispose]: close,
  };
}

/** A gateway with an admin token and fast health checks (a closed app is unhealthy at once). */
function startConsoleGateway(options: GatewayOptions = {}) {
  return startGateway({
    adminToken: ADMIN,
    health: { intervalMs: 200, timeoutMs: 500, unhealthyAfter: 1 },
    ...options,
  });
}

/** Opens the console and waits until its event stream is live. */
async function openConsole(b: TestBrowser, url: string): Promise<Page> {
  const page = await b.page();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(`${url}/console`);
  await page.getByTestId("stream-state").getByText("Live").waitFor({ timeout: 5_000 });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

/** Page errors and CSP violations seen so far. */
function problemsOf(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

/**
 * Texts whose colour is below WCAG AA against the first opaque background behind them, as
 * "ratio tag.class text" (run in the page; a string: this file is checked without the DOM types).
 */
const LOW_CONTRAST = String.raw`(() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 }; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement; const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "none" || el.closest("[hidden], details:not([open]) > :not(summary)")) continue;
    const fg = parse(cs.color); const bg = bgOf(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(ratio.toFixed(2) + " " + el.tagName + "." + el.className + " " + JSON.stringify(n.textContent.trim().slice(0, 30)));
  }
  return out;
})()`;

/** Why dist/console cannot be tested (missing, or older than a file of console/), if so. */
function builtConsoleProblem(): string | undefined {
  const built = join(consoleDir(), "index.html");
  if (!existsSync(built)) return "dist/console is missing";
  const builtAt = statSync(built).mtimeMs;
  const source = fileURLToPath(new URL("../../console/", import.meta.url));
  const newer = readdirSync(source, { recursive: true, encoding: "utf8" }).find(
    (file) => statSync(join(source, file)).mtimeMs > builtAt,
  );
  return newer === undefined ? undefined : `dist/console is older than console/${newer}`;
}

/** Fills the page's register form with `name` and `url` and submits it; returns the form. */
async function submitRegistration(page: Page, name: string, url: string) {
  const register = page.locator("section.register");
  await register.getByLabel("Name").fill(name);
  await register.getByLabel("URL", { exact: true }).fill(url);
  await register.getByRole("button", { name: "Register" }).click();
  return register;
}

/** The card of app `name`. */
function card(page: Page, name: string) {
  return page.locator(`article[data-app="${name}"]`);
}

describe.runIf(installed)("the gateway console in a browser", () => {
  beforeAll(() => {
    // These tests load dist/console: a missing or stale build would fail them obscurely.
    const stale = builtConsoleProblem();
    if (stale)
      throw new Error(`${stale}: run \`npm run build\` before the console's browser tests`);
  });

  it("shows an app registered after the page opened within a second, and drops it when unregistered", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using b = await openBrowser({ viewport: { width: 1280, height: 800 } });
    const page = await openConsole(b, gw.url);
    await page.getByText("No app is registered yet").waitFor();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    // Measured from the registration: the change must reach the page over /events.
    await page.getByRole("heading", { level: 3, name: "echoer" }).waitFor({ timeout: 1_000 });
    const echoer = card(page, "echoer");
    await echoer.getByText("POST").first().waitFor();
    await echoer.locator(`[data-instance="${echo.url}"]`).waitFor();
    expect(await page.locator(".log li[data-type=app_registered]").count()).toBe(1);
    await admin.unregisterApp("echoer");
    await echoer.waitFor({ state: "detached", timeout: 1_000 });
    expect(problemsOf(page)).toEqual([]);
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("turns a closed app's instance unhealthy, in words and not only in colour", async () => {
    await using gw = await startConsoleGateway({ mcp: false });
    const echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const instance = card(page, "echoer").locator(`[data-instance="${echo.url}"]`);
    await instance.locator("[data-health=healthy]").getByText("healthy").waitFor();
    await echo.close();
    await instance.locator("[data-health=unhealthy]").getByText("unhealthy").waitFor();
    await page.locator(".log li[data-type=app_health_changed]").first().waitFor();
    // Without an MCP endpoint on the gateway, the card lists no tools.
    expect(await card(page, "echoer").getByText("MCP tools").count()).toBe(0);
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("calls an endpoint from its generated form and shows the reply, or the error code, keeping the focus", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const echoer = card(page, "echoer");
    await echoer.getByText("Try echo", { exact: true }).click();
    const form = echoer.locator("form.try-form");
    await form.getByLabel(/^message/).fill("hello from the console");
    await form.getByRole("button", { name: "Call echo" }).click();
    const reply = form.locator(".result.ok pre");
    await reply.getByText('"echoed": "hello from the console"').waitFor();
    expect(await form.locator(".result.ok .status").textContent()).toContain("200");

    // delay is at most 60: the gateway forwards, the service refuses, the page shows the code.
    await form.getByLabel(/^delay/).fill("999");
    await form.getByRole("button", { name: "Call echo" }).click();
    await form.locator(".error-code").getByText("VALIDATION_FAILED").waitFor();
    expect(await form.locator(".error-box").textContent()).toContain("422");

    // The raw JSON view carries what the form holds, and is sent as typed.
    await form.getByLabel("Raw JSON").check();
    const json = form.getByLabel("Input (JSON)");
    expect(JSON.parse(await json.inputValue())).toEqual({
      message: "hello from the console",
      delay: 999,
    });
    await json.fill('{"message": "raw", "delay": 1}');
    // From the keyboard: the button is busy while the call runs (a second Enter sends nothing),
    // and keeps the focus after it.
    const calls = () => b.requests.filter((r) => r.url() === `${gw.url}/echoer/echo`).length;
    const before = calls();
    const button = form.getByRole("button", { name: "Calling…" });
    await form.getByRole("button", { name: "Call echo" }).focus();
    await page.keyboard.press("Enter");
    expect(await button.getAttribute("aria-disabled")).toBe("true");
    await page.keyboard.press("Enter");
    await reply.getByText('"echoed": "raw"').waitFor();
    expect(calls() - before).toBe(1);
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Call echo");
    // The stats poll shows this app's rate (app_stats); its MCP tool is listed by its name.
    await echoer.locator(".stats dd").getByText("req/s").waitFor();
    await echoer.locator(".tools").getByText("echoer__echo").waitFor();
    expect(problemsOf(page)).toEqual([]);
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("registers only with the admin token typed into the page, which stays out of storage; unregistering keeps the focus on the list", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const register = await submitRegistration(page, "typed", echo.url);
    await register.locator(".error-code").getByText("UNAUTHORIZED").waitFor();
    await register.locator(".hint").getByText("admin token").waitFor();

    await page.getByLabel("Caller/admin token").fill(ADMIN);
    await register.getByRole("button", { name: "Register" }).click();
    await register.getByText("Registered").waitFor();
    await card(page, "typed").waitFor({ timeout: 1_000 });

    // (Strings: this file is type-checked without the DOM library.)
    const stored = await page.evaluate(
      "[localStorage.length, sessionStorage.length, document.cookie, location.href]",
    );
    expect(stored).toEqual([0, 0, "", `${gw.url}/console`]);

    await card(page, "typed").getByRole("button", { name: "Unregister typed" }).focus();
    await page.keyboard.press("Enter");
    await card(page, "typed").waitFor({ state: "detached", timeout: 1_000 });
    // The focus was on the card's button: it moves to the apps heading, not back to the page.
    await expect
      .poll(() => page.evaluate("document.activeElement?.id"), { timeout: 1_000 })
      .toBe("apps-heading");
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("lets the keyboard skip the app cards to the register form, and announces the stream", async () => {
    await using gw = await startConsoleGateway();
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const stream = page.getByRole("status", { name: /^Events: / });
    expect(await stream.getAttribute("aria-label")).toBe("Events: Live");
    const skip = page.getByRole("link", { name: "Skip to the register form" });
    // Out of sight until focused: after the token field and its button.
    expect((await skip.boundingBox())?.x ?? -1).toBeLessThan(0);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe(
      "Skip to the register form",
    );
    expect((await skip.boundingBox())?.x ?? -1).toBeGreaterThanOrEqual(0);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.closest('section')?.className")).toContain(
      "register",
    );
  });

  it("fits a 390 px phone: no horizontal scroll, every main control reachable", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser({ viewport: { width: 390, height: 844 } });
    const page = await openConsole(b, gw.url);
    // The keyboard reaches the token field first.
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.id")).toBe("token");
    const overflow = () =>
      page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(await overflow()).toBeLessThanOrEqual(0);
    await card(page, "echoer").getByText("Try echo", { exact: true }).click();
    await card(page, "echoer")
      .getByLabel(/^message/)
      .waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    for (const control of [
      page.getByLabel("Caller/admin token"),
      card(page, "echoer").getByRole("button", { name: "Unregister echoer" }),
      card(page, "echoer").getByRole("button", { name: "Call echo" }),
      page.locator("section.register").getByRole("button", { name: "Register" }),
    ]) {
      await control.scrollIntoViewIfNeeded();
      expect(await control.isVisible()).toBe(true);
      const box = (await control.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    expect(offLoopback(b.requests)).toEqual([]);
  });
  it("with a caller token, shows nothing of the apps until the token is typed, then goes live", async () => {
    await using gw = await startConsoleGateway({ callToken: CALLER });
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await b.page();
    await page.goto(`${gw.url}/console`);
    // Refused in words, with the code, and a hint at the token field; no app data on the page.
    await page.getByTestId("stream-state").getByText("Refused").waitFor({ timeout: 5_000 });
    await page.locator(".apps .error-code").getByText("UNAUTHORIZED").waitFor();
    await page.locator(".apps .hint").getByText("token field").waitFor();
    expect(await page.locator("body").textContent()).not.toContain("echoer");
    expect(await card(page, "echoer").count()).toBe(0);

    await page.getByLabel("Caller/admin token").fill(CALLER);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.getByTestId("stream-state").getByText("Live").waitFor({ timeout: 5_000 });
    await card(page, "echoer").waitFor();
    expect(await page.locator(".apps .error-box").count()).toBe(0);
    // Live with the token: a change made now reaches the page over /events.
    await admin.unregisterApp("echoer");
    await card(page, "echoer").waitFor({ state: "detached", timeout: 1_000 });
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("renders hostile names, descriptions, errors and event data as text, never as markup", async () => {
    await using gw = await startConsoleGateway({ mcp: false });
    await using hostile = await startHostileApp();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("hostile", hostile.url);
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const app = card(page, "hostile");
    await app.getByText(HOSTILE_HTML, { exact: false }).first().waitFor();
    // Backticks become code whose text is the markup, shown literally.
    expect(await app.locator(".description code").first().textContent()).toBe("<b>bold</b>");
    await app.getByText("Try poke", { exact: true }).click();
    const form = app.locator("form.try-form");
    await form.locator(".field p code").getByText("<i>x</i>").waitFor();
    await form.getByRole("button", { name: "Call poke" }).click();
    await form.locator(".error-code").getByText("BAD_THING").waitFor();
    expect(await form.locator(".error-message").textContent()).toBe(HOSTILE_HTML);
    // No element of the markup exists, and no handler of it ran.
    expect(
      await page.evaluate("document.querySelectorAll('img, script:not([src]), b, i').length"),
    ).toBe(0);
    expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
    expect(problemsOf(page)).toEqual([]);
  });
  it("resumes /events with Last-Event-ID after a drop: missed registrations and health changes show", async () => {
    await using gw = await startConsoleGateway({ mcp: false });
    const echo = await startEcho();
    await using other = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using relay = await startCuttableRelay(gw.url);
    await using b = await openBrowser();
    const page = await openConsole(b, relay.url);
    const instance = card(page, "echoer").locator(`[data-instance="${echo.url}"]`);
    await instance.locator("[data-health=healthy]").waitFor();

    relay.cut();
    await page.getByTestId("stream-state").getByText("Reconnecting").waitFor();
    // While the page is cut off: a registration (in the feed, replayed) and a health change
    // (not in the feed: the page must read the list again).
    await admin.registerApp("late", other.url);
    await echo.close();
    await expect
      .poll(async () => (await admin.listAppsWithSchemas()).find((a) => a.name === "echoer"))
      .toMatchObject({ instances: [{ health: "unhealthy" }] });
    relay.resume();

    await page.getByTestId("stream-state").getByText("Live").waitFor({ timeout: 5_000 });
    await card(page, "late").waitFor({ timeout: 1_000 });
    await instance.locator("[data-health=unhealthy]").waitFor({ timeout: 2_000 });
    expect(relay.lastEventIds[0]).toMatch(/^\d+$/);
    expect(problemsOf(page)).toEqual([]);
  });
  it("keeps every text at a contrast of 4.5:1 (3:1 when large), light and dark", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await b.page();
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      await page.goto(`${gw.url}/console`);
      await page.getByTestId("stream-state").getByText("Live").waitFor({ timeout: 5_000 });
      // Open a form and show a reply, an error and a refusal: their colours count too.
      const echoer = card(page, "echoer");
      await echoer.getByText("Try echo", { exact: true }).click();
      await echoer.getByLabel(/^message/).fill("contrast");
      await echoer.getByRole("button", { name: "Call echo" }).click();
      await echoer.locator(".result.ok").waitFor();
      await echoer.getByRole("button", { name: "Unregister echoer" }).click();
      await echoer.locator(".error-code").getByText("UNAUTHORIZED").waitFor();
      await echoer.locator(".stats dd").getByText("req/s").waitFor();
      expect(await page.evaluate<string[]>(LOW_CONTRAST), colorScheme).toEqual([]);
    }
  });
  it("says that a gateway without an admin token must be started with one to register from the page", async () => {
    await using gw = await startGateway({ mcp: false });
    await using echo = await startEcho();
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const register = await submitRegistration(page, "typed", echo.url);
    await register.locator(".error-code").getByText("FORBIDDEN_ORIGIN").waitFor();
    // No token typed into the page can help here: the hint names the gateway's option.
    await register.locator(".hint code").getByText("--admin-token").waitFor();
    expect(await card(page, "typed").count()).toBe(0);
  });
});
