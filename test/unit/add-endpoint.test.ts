import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { DefinitionError } from "../../src/errors.js";
import type { HttpMethod } from "../../src/contract/endpoint.js";
import { EchoService, echoTask } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { expectThrows } from "../helpers/expect-error.js";
import { inject } from "../helpers/inject.js";

function expectDefinitionError(fn: () => unknown): void {
  expectThrows(fn, DefinitionError, "DEFINITION_ERROR");
}

const noop = (): null => null;

describe("addEndpoint refuses", () => {
  it.each(["status", "heartbeat", "shutdown", "endpoints", "detailed_endpoints", "pid_file"])(
    "the built-in name %j",
    (name) => {
      expectDefinitionError(() => new Service().addEndpoint(name, noop));
    },
  );

  it.each(["close", "call", "url", "transport", "serverId", "detailedEndpoints", "then"])(
    "the client member %j",
    (name) => {
      expectDefinitionError(() => new Service().addEndpoint(name, noop));
    },
  );

  it.each(["toString", "valueOf", "hasOwnProperty", "__proto__", "constructor"])(
    "the object member %j (no client could carry it)",
    (name) => {
      expectDefinitionError(() => new Service().addEndpoint(name, noop));
    },
  );

  it("the service route name docs", () => {
    expectDefinitionError(() => new Service().addEndpoint("docs", noop));
  });

  it.each(["", "9lives", "with-dash", "dotted.name", "a/b"])("the bad name %j", (name) => {
    expectDefinitionError(() => new Service().addEndpoint(name, noop));
  });

  it("a duplicate name", () => {
    expectDefinitionError(() => new EchoService().addEndpoint("echo", noop));
  });

  it("a handler that is not a function", () => {
    expectDefinitionError(() => new Service().addEndpoint("x", "nope" as unknown as () => null));
  });

  it.each([[[]], [["GET", "TRACE"]]])("the methods %j", (methods) => {
    const options = { methods: methods as HttpMethod[] };
    expectDefinitionError(() => new Service().addEndpoint("x", noop, undefined, options));
  });

  it("any endpoint once the app is built (serving has started)", () => {
    const service = new EchoService();
    void service.app;
    expectDefinitionError(() => service.addEndpoint("late", noop));
  });
});

class Undeclared extends Service {
  static override tasks = { echo: echoTask, missing: task({ name: "missing" }) };
  constructor() {
    super();
    this.addEndpoint(echoTask, ({ message }) => ({ echoed: message }));
  }
}

class Mismatched extends Service {
  static override tasks = { echo: echoTask };
  constructor() {
    super();
    this.addEndpoint("echo", () => ({ echoed: "no schema checks this" }));
  }
}

describe("service definitions", () => {
  it("a task declared in static tasks without an endpoint fails when the app is built", () => {
    const service = new Undeclared();
    expectDefinitionError(() => service.app);
  });

  it("an endpoint not built on the task static tasks declares fails when the app is built", () => {
    const service = new Mismatched();
    expectDefinitionError(() => service.app);
  });

  it("addEndpoint(task, handler) takes the endpoint name from the task", async () => {
    const service = new Service().addEndpoint(echoTask, ({ message }) => ({ echoed: message }));
    const reply = await inject(service, "/echo", { body: { message: "short form" } });
    expect(reply.body).toEqual({ echoed: "short form" });
  });

  it("methods option: the endpoint answers those methods only", async () => {
    const ping = task({ name: "ping", output: z.object({ pong: z.boolean() }) });
    const service = new Service().addEndpoint(ping, () => ({ pong: true }), { methods: ["GET"] });
    expect((await inject(service, "/ping", { method: "GET" })).body).toEqual({ pong: true });
    expect((await inject(service, "/ping", { method: "POST" })).status).toBe(405);
  });

  it("an endpoint without a task takes any input and replies whatever it returns", async () => {
    const service = new Service().addEndpoint("raw", () => ({ any: "thing" }));
    const reply = await inject(service, "/raw", { body: { whatever: 1 } });
    expect(reply.body).toEqual({ any: "thing" });
  });
});
