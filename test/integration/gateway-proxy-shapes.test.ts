import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createServiceClient } from "../../src/client/create-client.js";
import { task } from "../../src/contract/task.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";
import { greeterTasks, startLooseGreeter } from "../helpers/loose-greeter.js";

const statsTask = task({
  name: "stats",
  output: z.object({ count: z.number(), unit: z.string().default("items") }),
});

/** A service whose handler returns a key its output schema does not have, and omits a default. */
class ChattyService extends Service {
  static override tasks = { stats: statsTask };
  constructor() {
    super();
    this.addEndpoint(statsTask, () => ({ count: 3, debug: "internal" }) as { count: number });
  }
}

describe("proxy output is the same whether schemas came from zod or from the wire", () => {
  it("fills defaults and strips extra keys of a loose upstream reply either way", async () => {
    await using stack = await startGatewayStack<{ greeter: typeof greeterTasks }>();
    await using greeter = await startLooseGreeter();
    await using typed = createServiceClient({ url: greeter.url }, greeterTasks);
    await stack.gw.registerApp("greeter", greeter.url, typed); // stack.gw: zod schemas
    const wire = await stack.connect(); // a fresh client: JSON Schemas from the gateway

    // What the upstream really sends: an extra key, a defaulted key missing.
    const raw = await typed.greet({ name: "Ada" }, { validateOutput: false });
    expect(raw).toEqual({ greeting: "Hello Ada!", internal: "must not reach callers" });

    const expected = { greeting: "Hello Ada!", lang: "en" };
    expect(await typed.greet({ name: "Ada" })).toEqual(expected);
    expect(await stack.gw.greeter.greet({ name: "Ada" })).toEqual(expected);
    expect(await wire.greeter.greet({ name: "Ada" })).toEqual(expected);

    // Both proxies filled the input default before sending, too.
    const sent = greeter.received
      .filter((r) => r.url === "/greet")
      .map((r) => JSON.parse(r.body.toString("utf8")));
    expect(sent).toEqual(Array(4).fill({ name: "Ada", punctuation: "!" }));
  });

  it("returns the raw reply either way when asked not to validate output", async () => {
    await using stack = await startGatewayStack<{ greeter: typeof greeterTasks }>();
    await using greeter = await startLooseGreeter();
    await using typed = createServiceClient({ url: greeter.url }, greeterTasks);
    await stack.gw.registerApp("greeter", greeter.url, typed);
    const wire = await stack.connect();
    const options = { validateOutput: false };
    const viaZod = await stack.gw.greeter.greet({ name: "Bo" }, options);
    expect(await wire.greeter.greet({ name: "Bo" }, options)).toEqual(viaZod);
    expect(viaZod).toHaveProperty("internal");
  });

  it("gives the same result for a Portico service through a typed and a wire proxy", async () => {
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await using echo = await startEcho();
    await using echoClient = await EchoService.connect(echo.url);
    await stack.gw.registerApp("echoer", echo.url, echoClient);
    const wire = await stack.connect();
    const input = { message: "same", delay: 0 };
    const direct = await echoClient.echo(input);
    expect(await stack.gw.echoer.echo(input)).toEqual(direct);
    expect(await wire.echoer.echo(input)).toEqual(direct);
  });

  it("gives the same shape for a service whose handler returns an extra key", async () => {
    await using stack = await startGatewayStack<{ chatty: typeof ChattyService.tasks }>();
    await using chatty = await serveOn(new ChattyService());
    await using typed = await ChattyService.connect(chatty.url);
    await stack.gw.registerApp("chatty", chatty.url, typed);
    const wire = await stack.connect();
    const expected = { count: 3, unit: "items" };
    expect(await typed.stats()).toEqual(expected);
    expect(await stack.gw.chatty.stats()).toEqual(expected);
    expect(await wire.chatty.stats()).toEqual(expected);
  });
});
