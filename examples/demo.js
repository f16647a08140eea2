// The main job, end to end: a service and a gateway as processes, clients calling through it.
// Run with `npm run demo` (it builds first). Everything it starts, it stops; with
// `npm run demo -- --keep` it leaves them up until Ctrl+C, to look at the console in a browser.
import { randomBytes } from "node:crypto";
import { Gateway } from "portico";
import { EchoService } from "portico/samples";

const started = Date.now();
const step = (text) => console.log(`[${String(Date.now() - started).padStart(5)} ms] ${text}`);
const launched = [];
const connected = [];

/** Resolves with the next change of `type` for `name` that the client `gw` is told of. */
function nextChange(gw, type, name) {
  return new Promise((resolve) => {
    const off = gw.on("change", (change) => {
      if (change.type !== type || change.name !== name) return;
      off();
      resolve(change);
    });
  });
}

async function main() {
  step("Launching EchoService in its own process...");
  const echo = await EchoService.launch();
  launched.push(echo);
  step(`  EchoService is Available at ${echo.url} (pid file ${await echo.pidFile()})`);
  step(
    `  direct call: echo.echo({ message: "hi" }) -> ${JSON.stringify(await echo.echo({ message: "hi" }))}`,
  );

  step("Launching a Gateway in its own process, with an admin token...");
  // Registering, unregistering and shutdown need the token; gw1 carries it, other clients don't.
  const gw1 = await Gateway.launch({ adminToken: randomBytes(24).toString("base64url") });
  launched.push(gw1);
  step(`  Gateway is Available at ${gw1.url}`);

  step('gw1.registerApp("echoer", echo.url, echo): registered with a typed client');
  await gw1.registerApp("echoer", echo.url, echo);
  step(
    `  gw1.echoer.echo(...) -> ${JSON.stringify(await gw1.echoer.echo({ message: "Hello, world!" }))}`,
  );

  step("Connecting a second gateway client, gw2 (it loads the registered apps)...");
  const gw2 = await Gateway.connect(gw1.url);
  connected.push(gw2);
  step(`  gw2 sees: ${(await gw2.listApps()).join(", ")}`);
  step(
    `  gw2.echoer.echo(...) -> ${JSON.stringify(await gw2.echoer.echo({ message: "Hello world, too!" }))}`,
  );

  step(
    "Launching a second EchoService and registering it as 'late' AFTER gw2 connected, without a client...",
  );
  const late = await EchoService.launch();
  launched.push(late);
  const told = nextChange(gw2, "app_registered", "late");
  const info = await gw1.registerApp("late", late.url);
  step(`  the gateway discovered its endpoints itself: ${Object.keys(info.endpoints).join(", ")}`);
  // gw2 follows the gateway's /events stream: it learns of 'late' (with its schemas) by push.
  const change = await told;
  step(`  gw2 was told by push (revision ${change.revision}), with no call of its own`);
  const known = (await gw2.registeredApps()).map((app) => app.name);
  step(`  gw2.registeredApps() -> ${JSON.stringify(known)}`);
  step(
    `  gw2.late.echo(...) -> ${JSON.stringify(await gw2.late.echo({ message: "still works" }))}`,
  );
  const typed = gw2.app("late"); // gw2.app<typeof EchoService>("late") in TypeScript
  step(
    `  gw2.app("late").echo(...) -> ${JSON.stringify(await typed.echo({ message: "typed too" }))}`,
  );

  step("Bad input gets a typed error and nothing is sent:");
  await expectError(() => gw2.late.echo({ message: 42 }), "  gw2.late.echo({ message: 42 })");
  await expectError(() => gw2.nobody.echo({ message: "x" }), "  gw2.nobody.echo(...)");
  await expectError(
    () => gw2.unregisterApp("echoer"),
    "  gw2.unregisterApp(...) without the token",
  );

  step("An MCP client (the official SDK) on the gateway's /mcp: every app's endpoints are tools");
  const agent = await gw2.mcp({ listChanged: { tools: { onChanged: () => {} } } });
  const { tools } = await agent.listTools();
  step(`  tools/list -> ${tools.map((tool) => tool.name).join(", ")}`);
  const called = await agent.callTool({ name: "late__echo", arguments: { message: "from MCP" } });
  step(`  tools/call late__echo -> ${JSON.stringify(called.structuredContent)}`);

  step("Unregistering 'late' through gw1: it disappears for gw2 as well");
  const toolsChanged = new Promise((resolve) =>
    agent.setNotificationHandler("notifications/tools/list_changed", () => resolve()),
  );
  const removal = nextChange(gw2, "app_unregistered", "late");
  await gw1.unregisterApp("late");
  await removal;
  step("  gw2.on('change') saw app_unregistered for 'late'");
  await expectError(() => gw2.late.echo({ message: "gone?" }), "  gw2.late.echo(...)");
  step(`  gw2.listApps() -> ${JSON.stringify(await gw2.listApps())}`);
  await toolsChanged;
  step(
    `  the MCP client was told (tools/list_changed): ${(await agent.listTools()).tools.map((t) => t.name).join(", ")}`,
  );

  step("What operators look at, on the same gateway:");
  const stats = await gw2.app_stats();
  const echoer = stats.apps.find((app) => app.name === "echoer");
  step(
    `  gw2.app_stats() -> echoer: ${echoer?.requests} requests, p50 ${echoer?.p50_ms?.toFixed(2)} ms; registry ${stats.registry.backend}, revision ${stats.registry.revision}`,
  );
  const scraped = await (await fetch(`${gw1.url}/metrics`)).text();
  const line = scraped.split("\n").find((l) => l.startsWith("portico_app_requests_total"));
  step(`  GET /metrics -> ${line}`);
  step(`  console: ${gw1.url}/console   API reference: ${gw1.url}/docs   (echo: ${echo.url}/docs)`);

  if (process.argv.includes("--keep")) {
    step("--keep: everything stays up; press Ctrl+C to stop it all.");
    await new Promise((resolve) => process.once("SIGINT", resolve));
  }
  step("Shutting everything down...");
  await shutdownAll();
  step("Done: every process stopped.");
}

async function expectError(call, label) {
  try {
    await call();
    throw new Error(`${label} should have failed`);
  } catch (error) {
    if (!error.code) throw error;
    step(`${label} -> ${error.name} ${error.code}`);
  }
}

async function shutdownAll() {
  // Launched clients stop their process (and wait for it); connected ones just close their sockets.
  for (const client of connected.splice(0)) await client.close();
  for (const client of launched.splice(0).reverse()) {
    try {
      await client.shutdown();
    } catch (error) {
      console.error(`could not stop ${client.url}: ${error.code ?? ""} ${error.message}`);
    }
  }
}

main().catch(async (error) => {
  console.error(`demo failed: ${error.code ?? ""} ${error.stack ?? error}`);
  await shutdownAll();
  process.exitCode = 1;
});
