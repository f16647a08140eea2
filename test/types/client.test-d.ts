import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createServiceClient } from "../../src/client/create-client.js";
import type { CallOptions } from "../../src/client/transport.js";
import { task } from "../../src/contract/task.js";
import type { InferHandlerInput, InferInput, InferOutput } from "../../src/contract/task.js";
import { EchoService, echoTask } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import type { ServiceClient } from "../../src/client/types.js";

type EchoClient = Awaited<ReturnType<typeof connectEcho>>;
const connectEcho = (url: string) => EchoService.connect(url);

const pingTask = task({ name: "ping", output: z.object({ pong: z.literal(true) }) });
const optionsTask = task({ name: "opts", input: z.object({ verbose: z.boolean().optional() }) });
const tasks = { ping: pingTask, opts: optionsTask };

describe("EchoService.connect()", () => {
  it("returns a client whose echo takes { message: string; delay?: number }", () => {
    expectTypeOf<EchoClient["echo"]>()
      .parameter(0)
      .toEqualTypeOf<{ message: string; delay?: number | undefined }>();
    expectTypeOf<EchoClient["echo"]>().parameter(1).toEqualTypeOf<CallOptions | undefined>();
  });

  it("resolves { echoed: string }", () => {
    expectTypeOf<EchoClient["echo"]>().returns.resolves.toEqualTypeOf<{ echoed: string }>();
  });

  it("refuses wrong input types", async () => {
    const client = await connectEcho("http://127.0.0.1:1");
    // @ts-expect-error message must be a string
    await client.echo({ message: 42 });
    // @ts-expect-error delay must be a number
    await client.echo({ message: "m", delay: "soon" });
    // @ts-expect-error message is required
    await client.echo({ delay: 1 });
    // @ts-expect-error the input is required
    await client.echo();
    // @ts-expect-error no such endpoint
    await client.shout({ message: "m" });
  });

  it("keeps the lifecycle methods typed", () => {
    expectTypeOf<EchoClient["status"]>().returns.resolves.toEqualTypeOf<{
      status: "Available" | "Stopping" | "Down";
    }>();
    expectTypeOf<EchoClient["serverId"]>().returns.resolves.toEqualTypeOf<string>();
    expectTypeOf<EchoClient["close"]>().returns.toEqualTypeOf<Promise<void>>();
  });
});

describe("tasks without a required input", () => {
  const client = createServiceClient({ url: "http://127.0.0.1:1" }, tasks);

  it("take an optional input", () => {
    expectTypeOf(client.ping).toBeCallableWith();
    expectTypeOf(client.ping).toBeCallableWith(undefined, { timeout: 5 });
    expectTypeOf(client.opts).toBeCallableWith();
    expectTypeOf(client.opts).toBeCallableWith({ verbose: true });
  });

  it("resolve their output, or unknown when they declare none", () => {
    expectTypeOf(client.ping).returns.resolves.toEqualTypeOf<{ pong: true }>();
    expectTypeOf(client.opts).returns.resolves.toBeUnknown();
  });

  it("still refuse a wrong input", async () => {
    // @ts-expect-error verbose is a boolean
    await client.opts({ verbose: "yes" });
  });
});

describe("addEndpoint", () => {
  it("hands the handler the parsed input: delay is a number, defaults applied", () => {
    new Service().addEndpoint(echoTask, (input) => {
      expectTypeOf(input).toEqualTypeOf<{ message: string; delay: number }>();
      return { echoed: input.message };
    });
    new Service().addEndpoint(
      "echo",
      (input) => {
        expectTypeOf(input.delay).toEqualTypeOf<number>();
        return { echoed: input.message };
      },
      echoTask,
    );
  });

  it("refuses a handler whose output does not match the task", () => {
    // @ts-expect-error echoed must be a string
    new Service().addEndpoint(echoTask, () => ({ echoed: 1 }));
  });
});

describe("inference helpers", () => {
  it("split the caller's view from the handler's view", () => {
    expectTypeOf<InferInput<typeof echoTask>>().toEqualTypeOf<{
      message: string;
      delay?: number | undefined;
    }>();
    expectTypeOf<InferHandlerInput<typeof echoTask>>().toEqualTypeOf<{
      message: string;
      delay: number;
    }>();
    expectTypeOf<InferOutput<typeof pingTask>>().toEqualTypeOf<{ pong: true }>();
    expectTypeOf<InferInput<typeof pingTask>>().toEqualTypeOf<undefined>();
  });

  it("Service.connect() gives an untyped client whose methods take any input", () => {
    expectTypeOf(Service.connect("http://127.0.0.1:1")).resolves.toEqualTypeOf<ServiceClient>();
    expectTypeOf<NonNullable<ServiceClient["anything"]>>().parameter(0).toBeUnknown();
  });
});
