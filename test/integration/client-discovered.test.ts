import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createServiceClient } from "../../src/client/create-client.js";
import { task } from "../../src/contract/task.js";
import { ValidationError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { greeterTasks, startLooseGreeter } from "../helpers/loose-greeter.js";
import { countRequests, recordBodies } from "../helpers/observe.js";

const shapeTask = task({
  name: "shape",
  input: z.object({ round: z.boolean() }),
  output: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("circle"), radius: z.number() }),
    z.object({ kind: z.literal("square"), side: z.number() }),
  ]),
});

class Shapes extends Service {
  static override tasks = { shape: shapeTask };
  constructor() {
    super();
    this.addEndpoint(shapeTask, ({ round }) =>
      round ? { kind: "circle" as const, radius: 1 } : { kind: "square" as const, side: 2 },
    );
  }
}

describe("Service.connect(url): a client built from detailed_endpoints", () => {
  it("has a method per endpoint of the service and none for the built-ins", async () => {
    await using echo = await startEcho();
    await using client = await Service.connect(echo.url);
    expect(Object.keys(client).filter((key) => typeof client[key] === "function")).toEqual([
      "echo",
    ]);
    expect(await client.echo!({ message: "found" })).toEqual({ echoed: "found" });
  });

  it("validates input with the wire schema: ValidationError and nothing sent", async () => {
    const service = new EchoService();
    const requests = countRequests(service);
    await using served = await serveOn(service);
    await using client = await Service.connect(served.url);
    const before = requests.count;
    const error = await expectRejects(
      client.echo!({ message: 1 }),
      ValidationError,
      "VALIDATION_FAILED",
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([["message"]]);
    expect(requests.count).toBe(before);
  });

  it("sends input with the schema's defaults filled in", async () => {
    const service = new EchoService();
    const bodies = recordBodies(service, "/echo");
    await using served = await serveOn(service);
    await using client = await Service.connect(served.url);
    await client.echo!({ message: "m" });
    expect(bodies).toEqual([{ message: "m", delay: 0 }]);
  });

  it("resolves union outputs exactly as the typed client does", async () => {
    await using served = await serveOn(new Shapes());
    await using typed = await Shapes.connect(served.url);
    await using untyped = await Service.connect(served.url);
    for (const round of [true, false]) {
      expect(await untyped.shape!({ round })).toEqual(await typed.shape({ round }));
    }
  });

  it("normalises a loose reply exactly as the typed client does", async () => {
    await using greeter = await startLooseGreeter();
    await using typed = createServiceClient({ url: greeter.url }, greeterTasks);
    await using untyped = await Service.connect(greeter.url);
    const expected = await typed.greet({ name: "Ada" });
    expect(await untyped.greet!({ name: "Ada" })).toEqual(expected);
    expect(expected).toEqual({ greeting: "Hello Ada!", lang: "en" });
  });
});
