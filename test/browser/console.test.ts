/**
 * The gateway console in a real browser (Debian chromium): live registrations and health, the
 * "try it" form through the gateway, register/unregister behind the admin token, a phone-width
 * layout, and nothing fetched from anywhere but the gateway.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { browserForTests, offLoopback, openBrowser } from "../helpers/browser.js";
import type { TestBrowser } from "../helpers/browser.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";

const installed = browserForTests("the console browser tests");

const ADMIN = "a".repeat(32);

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

/** The card of app `name`. */
function card(page: Page, name: string) {
  return page.locator(`article[data-app="${name}"]`);
}

describe.runIf(installed)("the gateway console in a browser", () => {
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

  it("calls an endpoint from its generated form and shows the reply, or the error code", async () => {
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
    await json.fill('{"message": "raw"}');
    await form.getByRole("button", { name: "Call echo" }).click();
    await reply.getByText('"echoed": "raw"').waitFor();
    // The stats poll shows this app's rate (app_stats); its MCP tool is listed by its name.
    await echoer.locator(".stats dd").getByText("req/s").waitFor();
    await echoer.locator(".tools").getByText("echoer__echo").waitFor();
    expect(problemsOf(page)).toEqual([]);
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("registers only with the admin token typed into the page, which stays out of storage", async () => {
    await using gw = await startConsoleGateway();
    await using echo = await startEcho();
    await using b = await openBrowser();
    const page = await openConsole(b, gw.url);
    const register = page.locator("section.register");
    await register.getByLabel("Name").fill("typed");
    await register.getByLabel("URL", { exact: true }).fill(echo.url);
    await register.getByRole("button", { name: "Register" }).click();
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

    await card(page, "typed").getByRole("button", { name: "Unregister typed" }).click();
    await card(page, "typed").waitFor({ state: "detached", timeout: 1_000 });
    expect(offLoopback(b.requests)).toEqual([]);
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
});
