import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createServiceClient } from "../../src/client/create-client.js";
import { task } from "../../src/contract/task.js";
import { ResponseInvalidError, ValidationError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { countRequests, recordBodies } from "../helpers/observe.js";

/** Replies with the body it received, unchecked: the client's output schema does all the work. */
class Mirror extends Service {
  constructor() {
    super();
    this.addEndpoint("mirror", (_input, { request }) => request?.body as never);
  }
}

const splitTask = task({
  name: "split",
  input: z.object({ csv: z.string().transform((text) => text.split(",")) }),
  output: z.object({ parts: z.array(z.string()) }),
});

/** Splits a comma-separated string: its input schema transforms what callers send. */
class Splitter extends Service {
  static override tasks = { split: splitTask };
  constructor() {
    super();
    this.addEndpoint(splitTask, ({ csv }) => ({ parts: csv }));
  }
}

const mirrorTask = task({
  name: "mirror",
  input: z.looseObject({ echoed: z.unknown() }),
  output: z.object({ echoed: z.string(), via: z.string().default("client default") }),
});

describe("a typed client", () => {
  it("EchoService.connect(url) calls echo and resolves the parsed output", async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(echo.url);
    expect(await client.echo({ message: "hi" })).toEqual({ echoed: "hi" });
  });

  it("validates input before sending: ValidationError and nothing sent", async () => {
    const service = new EchoService();
    const requests = countRequests(service);
    await using served = await serveOn(service);
    await using client = await EchoService.connect(served.url);
    const before = requests.count;
    const bad = { message: 42 } as unknown as { message: string };
    const error = await expectRejects(client.echo(bad), ValidationError, "VALIDATION_FAILED");
    expect(error.issues.map((issue) => issue.path)).toEqual([["message"]]);
    expect(requests.count).toBe(before);
  });

  it("sends the parsed input, defaults applied", async () => {
    const service = new EchoService();
    const bodies = recordBodies(service, "/echo");
    await using served = await serveOn(service);
    await using client = createServiceClient({ url: served.url }, EchoService.tasks);
    await client.echo({ message: "m" });
    expect(bodies).toEqual([{ message: "m", delay: 0 }]);
  });

  it("sends input a one-way transform would change as written, so the server parses it once", async () => {
    await using served = await serveOn(new Splitter());
    await using client = await Splitter.connect(served.url);
    expect(await client.split({ csv: "a,b,c" })).toEqual({ parts: ["a", "b", "c"] });
  });

  it("validateInput: false sends the raw input; the server's 422 comes back as ValidationError", async () => {
    const service = new EchoService();
    const bodies = recordBodies(service, "/echo");
    await using served = await serveOn(service);
    await using client = createServiceClient({ url: served.url }, EchoService.tasks);
    const bad = { message: 42 } as unknown as { message: string };
    const call = client.echo(bad, { validateInput: false });
    const error = await expectRejects(call, ValidationError, "VALIDATION_FAILED");
    expect(error.status).toBe(422);
    expect(error.issues.map((issue) => issue.path)).toEqual([["message"]]);
    expect(bodies).toEqual([{ message: 42 }]); // sent as given: no delay default filled in
  });

  it("parses the reply with the output schema: defaults applied, unknown keys dropped", async () => {
    await using served = await serveOn(new Mirror());
    await using client = createServiceClient({ url: served.url }, { mirror: mirrorTask });
    expect(await client.mirror({ echoed: "x", secret: 1 })).toEqual({
      echoed: "x",
      via: "client default",
    });
  });

  it("rejects a reply its output schema refuses with RESPONSE_INVALID", async () => {
    await using served = await serveOn(new Mirror());
    await using client = createServiceClient({ url: served.url }, { mirror: mirrorTask });
    await expectRejects(client.mirror({ echoed: 7 }), ResponseInvalidError, "RESPONSE_INVALID");
  });

  it("validateOutput: false resolves the reply as sent", async () => {
    await using served = await serveOn(new Mirror());
    await using client = createServiceClient({ url: served.url }, { mirror: mirrorTask });
    const reply = await client.mirror({ echoed: 7, secret: 1 }, { validateOutput: false });
    expect(reply).toEqual({ echoed: 7, secret: 1 });
  });
});
