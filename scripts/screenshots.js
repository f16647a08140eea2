// Screenshots for the README, taken from the build (dist/) in Debian's chromium with
// playwright-core: `npm run build && node scripts/screenshots.js [console ...]` writes docs/*.png.
// Each shot is one function; it starts what it needs (a gateway, sample apps) and stops it all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { z } from "zod";
import { Gateway, Service, task } from "../dist/index.js";
import { EchoService } from "../dist/samples/index.js";
// The same flags as test/helpers/browser.ts (why: there): no traffic to Google's hosts.
import FLAGS from "./chromium-flags.json" with { type: "json" };

const DOCS = fileURLToPath(new URL("../docs/", import.meta.url));
const ADMIN = "screenshot-admin-token-0123456789";

/** A second sample app, with an enum, an integer and a nested object in its inputs. */
const inventoryTasks = {
  find_items: task({
    name: "find_items",
    description: "Items of a category, cheapest first.",
    input: z.object({
      category: z.enum(["books", "games", "tools"]),
      limit: z.number().int().min(1).max(100).default(10),
      in_stock: z.boolean().optional(),
    }),
    output: z.object({ items: z.array(z.object({ id: z.number().int(), name: z.string() })) }),
  }),
  reserve: task({
    name: "reserve",
    description: "Holds an item for a customer for 15 minutes.",
    input: z.object({
      id: z.number().int(),
      customer: z.object({ name: z.string(), email: z.string().optional() }),
    }),
    output: z.object({ reserved: z.boolean() }),
  }),
};

class InventoryService extends Service {
  static tasks = inventoryTasks;
  constructor(options) {
    super(options);
    this.addEndpoint(inventoryTasks.find_items, ({ category, limit }) => ({
      items: [{ id: 1, name: `${category} #1` }].slice(0, limit),
    }));
    this.addEndpoint(inventoryTasks.reserve, () => ({ reserved: true }));
  }
}

/** Launches chromium with a throw-away profile; `close()` removes it. */
async function openBrowser(viewport) {
  const profile = mkdtempSync(join(tmpdir(), "portico-shots-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.PORTICO_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport,
    colorScheme: "light",
  });
  return {
    page: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A gateway with the echo app registered and some calls made to it; `more()` adds a second app. */
async function startStack() {
  const started = [];
  try {
    const gateway = await new Gateway({ adminToken: ADMIN, logger: false }).serve({
      host: "127.0.0.1",
      port: 0,
    });
    started.push(gateway);
    const echo = await new EchoService({ logger: false }).serve({ host: "127.0.0.1", port: 0 });
    started.push(echo);
    const inventory = await new InventoryService({ logger: false }).serve({
      host: "127.0.0.1",
      port: 0,
    });
    started.push(inventory);
    const admin = await Gateway.connect(gateway.url, { token: ADMIN });
    started.push(admin);
    await admin.registerApp("echo", echo.url);
    for (let i = 0; i < 12; i++) await admin.echo.echo({ message: `hello ${i}` });
    return {
      url: gateway.url,
      /** Registers the second app (after the page opened: the events log shows it). */
      more: () => admin.registerApp("inventory", inventory.url),
      close: async () => {
        for (const item of started.reverse()) await item.close();
      },
    };
  } catch (error) {
    for (const item of started.reverse()) await item.close();
    throw error;
  }
}

/** docs/console.png: the console at 1280 px, with the echo app's "try it" open and called. */
async function consoleShot() {
  const stack = await startStack();
  const browser = await openBrowser({ width: 1280, height: 1200 });
  try {
    const page = await browser.page();
    await page.goto(`${stack.url}/console`);
    await page.getByText("Live", { exact: true }).waitFor();
    await stack.more();
    await page.locator('article[data-app="inventory"]').waitFor();
    const echo = page.locator('article[data-app="echo"]');
    await echo.locator("[data-health=healthy]").first().waitFor();
    await echo.getByText("Try echo", { exact: true }).click();
    await echo.getByLabel(/^message/).fill("Hello from the console");
    await echo.getByRole("button", { name: "Call echo" }).click();
    await echo.locator(".result.ok").waitFor();
    await echo.locator(".stats dd").getByText("req/s").waitFor();
    await page.waitForTimeout(2_500); // one more stats poll, so the figures are settled
    await page.screenshot({ path: join(DOCS, "console.png"), fullPage: false });
  } finally {
    await browser.close();
    await stack.close();
  }
}

/** docs/api-reference.png: the echo service's /docs, echo expanded and called with "Try it out". */
async function docsShot() {
  const echo = await new EchoService({ logger: false }).serve({ host: "127.0.0.1", port: 0 });
  const browser = await openBrowser({ width: 1280, height: 1750 });
  try {
    const page = await browser.page();
    await page.goto(`${echo.url}/docs/`);
    await page.locator("#operations-EchoService-echo .opblock-summary").click();
    const operation = page.locator("#operations-EchoService-echo");
    // tryItOutEnabled: the body is editable at once.
    const body = operation.locator("textarea.body-param__text");
    await body.fill(JSON.stringify({ message: "Hello from /docs" }, null, 2));
    await operation.locator("button.execute").click();
    await operation.locator(".live-responses-table .response").first().waitFor();
    await body.fill(JSON.stringify({ message: "Hello from /docs" }, null, 2)); // short box
    await page.mouse.wheel(0, -100_000); // back to the top, where the title is
    await page.screenshot({ path: join(DOCS, "api-reference.png"), fullPage: false });
  } finally {
    await browser.close();
    await echo.close();
  }
}

const SHOTS = { console: consoleShot, "api-reference": docsShot };

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(SHOTS)) {
  const shot = SHOTS[name];
  if (!shot) throw new Error(`No shot named ${name} (have: ${Object.keys(SHOTS).join(", ")})`);
  await shot();
  console.log(`wrote docs/${name}.png`);
}
