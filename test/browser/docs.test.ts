import { describe, expect, it } from "vitest";
import { browserForTests, offLoopback, openBrowser } from "../helpers/browser.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";
import { startHostileApp } from "../helpers/hostile-app.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";

const installed = browserForTests("the /docs browser tests");

const CALLER = "c".repeat(32);
const ADMIN = "a".repeat(32);

describe.runIf(installed)("the API reference in a browser", () => {
  it("shows echo before the built-ins, and tries it against the service", async () => {
    await using echo = await startEcho();
    await using b = await openBrowser({ viewport: { width: 1280, height: 900 } });
    const page = await b.page();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    await page.goto(`${echo.url}/docs/`);

    const operations = page.locator(".opblock-summary-path");
    await operations.first().waitFor();
    const paths = await operations.allTextContents();
    expect(paths[0]).toMatch(/^\/echo/);
    expect(paths.indexOf("/status")).toBeGreaterThan(0);
    const tags = await page.locator(".opblock-tag").allTextContents();
    expect(tags[0]).toMatch(/^EchoService/);
    expect(tags[1]).toMatch(/^Built-in/);
    await page.locator("#operations-EchoService-echo .opblock-summary").click();
    const echoOp = page.locator("#operations-EchoService-echo");
    // Backticks of descriptions render as code.
    await expect
      .poll(() => echoOp.locator(".opblock-description-wrapper code").first().textContent())
      .toBe("delay");
    // tryItOutEnabled: the body editor is open at once, filled with the generated example.
    const body = echoOp.locator("textarea.body-param__text");
    await body.waitFor();
    expect(JSON.parse(await body.inputValue())).toEqual({ message: "string", delay: 0 });
    await body.fill(JSON.stringify({ message: "hello from the docs" }));
    await echoOp.locator("button.execute").click();

    const response = echoOp.locator(".live-responses-table .response");
    await response.first().waitFor();
    expect(await response.locator(".response-col_status").first().textContent()).toMatch(/200/);
    await expect
      .poll(() => echoOp.locator(".live-responses-table .microlight").first().textContent())
      .toContain('"echoed": "hello from the docs"');

    expect(offLoopback(b.requests)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("asks for the caller token when the document needs it, and then shows the API", async () => {
    await using echo = await startEcho({ callToken: CALLER });
    await using b = await openBrowser();
    const page = await b.page();
    await page.goto(`${echo.url}/docs/`);
    const input = page.getByLabel(/caller token/);
    await input.fill(CALLER);
    await page.getByRole("button", { name: "Show the API" }).click();
    await page.locator("#operations-EchoService-echo").waitFor();

    // The token entered goes with "Try it out" calls too.
    await page.locator("#operations-EchoService-echo .opblock-summary").click();
    const echoOp = page.locator("#operations-EchoService-echo");
    await echoOp.locator("textarea.body-param__text").fill('{"message":"with a token"}');
    await echoOp.locator("button.execute").click();
    await expect
      .poll(() => echoOp.locator(".live-responses-table .microlight").first().textContent())
      .toContain('"echoed": "with a token"');
    expect(offLoopback(b.requests)).toEqual([]);
  });

  it("lists a registered app's tag on the gateway's page", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    await stack.gw.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await b.page();
    await page.goto(`${stack.gateway.url}/docs/`);
    const tags = page.locator(".opblock-tag");
    await tags.first().waitFor();
    expect((await tags.allTextContents())[0]).toMatch(/^echoer/);
    await page.locator("#operations-echoer-echoer__echo").waitFor();
    expect(offLoopback(b.requests)).toEqual([]);
  });
  it("on a gateway with a caller token, asks for it, lists the app first and calls it through the gateway", async () => {
    await using gw = await startGateway({ callToken: CALLER, adminToken: ADMIN });
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    await using b = await openBrowser();
    const page = await b.page();
    await page.goto(`${gw.url}/docs/`);
    await page.getByLabel(/caller token/).fill(CALLER);
    await page.getByRole("button", { name: "Show the API" }).click();
    const tags = page.locator(".opblock-tag");
    await tags.first().waitFor();
    expect((await tags.allTextContents())[0]).toMatch(/^echoer/);

    const op = page.locator("#operations-echoer-echoer__echo");
    await op.locator(".opblock-summary").click();
    await op.locator("textarea.body-param__text").fill('{"message":"through the gateway"}');
    await op.locator("button.execute").click();
    await expect
      .poll(() => op.locator(".live-responses-table .microlight").first().textContent())
      .toContain('"echoed": "through the gateway"');
    // The call went to the gateway's /echoer/echo, which forwarded it to the app.
    const calls = b.requests.filter((r) => r.method() === "POST").map((r) => r.url());
    expect(calls).toEqual([`${gw.url}/echoer/echo`]);
    expect(offLoopback(b.requests)).toEqual([]);
  });
  it("keeps an app's markup in descriptions inert on the gateway's page", async () => {
    await using gw = await startGateway({ adminToken: ADMIN, mcp: false });
    await using hostile = await startHostileApp();
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    await admin.registerApp("hostile", hostile.url);
    await using b = await openBrowser();
    const page = await b.page();
    await page.goto(`${gw.url}/docs/`);
    const op = page.locator("#operations-hostile-hostile__poke");
    await op.locator(".opblock-summary").click();
    // Markdown still renders (backticks as code), but no handler of the markup runs.
    await op.locator(".opblock-description-wrapper code").first().waitFor();
    expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
    expect(offLoopback(b.requests)).toEqual([]);
  });
});
