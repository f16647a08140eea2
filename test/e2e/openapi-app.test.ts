/**
 * An app that is not a Portico service, as a process of its own (plain fastify described by
 * @fastify/swagger), behind a gateway launched as a process too: registered by URL alone, its
 * operations become typed methods of every gateway client, validated both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import { expectRejects } from "../helpers/expect-error.js";
import {
  expectNoChildProcesses,
  killIfRunning,
  liveChildPids,
  runTsScript,
} from "../helpers/processes.js";
import type { Script } from "../helpers/processes.js";

let gw: GatewayClient;
let app: Script;
let appUrl: string;

beforeAll(async () => {
  app = runTsScript("./fixtures/openapi-app-main.ts", import.meta.url);
  appUrl = await app.firstLine;
  gw = await Gateway.launch({ timeout: 20_000 });
}, 30_000);

afterAll(async () => {
  app?.child.kill("SIGTERM");
  await app?.exited;
  await gw?.shutdown({ grace: 5_000 }).catch(() => undefined);
  await gw?.close();
  killIfRunning(...liveChildPids());
  await expectNoChildProcesses();
}, 30_000);

describe("an OpenAPI-described app in its own process", () => {
  it("registers by URL, with endpoints derived from its document", async () => {
    const info = await gw.registerApp("items", appUrl);
    expect(info).toMatchObject({ kind: "openapi", discovered: true });
    expect(Object.keys(info.endpoints)).toEqual(
      expect.arrayContaining(["getItem", "create_item", "setTags"]),
    );
  });

  it("is called through the gateway as typed methods, both ways validated", async () => {
    const items = gw.app("items") as unknown as Record<
      string,
      (input: unknown) => Promise<unknown>
    >;
    expect(await items.getItem!({ id: 1, verbose: true })).toMatchObject({
      id: 1,
      name: "kettle",
      verbose: true,
    });
    expect(await items.create_item!({ name: "lamp", price: 3 })).toMatchObject({
      name: "lamp",
      price: 3,
    });
    await expectRejects(items.getItem!({ id: "one" }), ValidationError, "VALIDATION_FAILED");
  });

  it("is checked by TCP connect (it has no status endpoint) and stays healthy", async () => {
    const apps = await gw.listAppsWithSchemas();
    expect(apps.find((a) => a.name === "items")?.instances).toEqual([
      expect.objectContaining({ url: appUrl, health: "healthy" }),
    ]);
  });
});
