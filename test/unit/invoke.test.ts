/**
 * The endpoint pipeline without any transport: what the HTTP route and (next) the MCP tools both
 * call. Input validated with its defaults, the handler given a neutral context, output checked.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { OutputValidationError, ServiceStoppingError, ValidationError } from "../../src/errors.js";
import type { HandlerContext, RegisteredEndpoint } from "../../src/service/endpoint.js";
import { createInvoke } from "../../src/service/invoke.js";
import { JsonText } from "../../src/service/json-text.js";
import { expectRejects } from "../helpers/expect-error.js";

const add = task({
  name: "add",
  input: z.object({ a: z.number(), b: z.number().default(1) }),
  output: z.object({ sum: z.number() }),
});

function endpoint(handler: (input: never, context: HandlerContext) => unknown): RegisteredEndpoint {
  return { name: "add", task: add, handler, methods: ["POST"], builtin: false, access: "call" };
}

const context: HandlerContext = {
  signal: new AbortController().signal,
  headers: { "x-trace": "t1" },
  transport: "mcp",
  auth: { bearer: undefined },
};
const running = { isStopping: () => false };

describe("createInvoke", () => {
  it("validates the input (defaults applied), runs the handler with the context, checks the output", async () => {
    let seen: HandlerContext | undefined;
    const invoke = createInvoke(
      endpoint((input: { a: number; b: number }, ctx: HandlerContext) => {
        seen = ctx;
        return { sum: input.a + input.b };
      }),
      running,
    );
    expect(await invoke({ a: 2 }, context)).toEqual({ kind: "value", value: { sum: 3 } });
    expect(seen).toBe(context);
  });

  it("throws VALIDATION_FAILED for bad input, before the handler runs", async () => {
    let ran = false;
    const invoke = createInvoke(
      endpoint(() => (ran = true)),
      running,
    );
    await expectRejects(invoke({ a: "two" }, context), ValidationError, "VALIDATION_FAILED");
    expect(ran).toBe(false);
  });

  it("throws OUTPUT_VALIDATION_FAILED for an output its schema rejects", async () => {
    const invoke = createInvoke(
      endpoint(() => ({ sum: "x" })),
      running,
    );
    await expectRejects(
      invoke({ a: 1 }, context),
      OutputValidationError,
      "OUTPUT_VALIDATION_FAILED",
    );
  });

  it("passes JSON text through and refuses calls while the service stops", async () => {
    const text = new JsonText(Buffer.from('{"sum":9}'));
    const invoke = createInvoke(
      endpoint(() => text),
      running,
    );
    expect(await invoke({ a: 1 }, context)).toEqual({ kind: "json", text });
    const stopping = createInvoke(
      endpoint(() => text),
      { isStopping: () => true },
    );
    await expectRejects(stopping({ a: 1 }, context), ServiceStoppingError, "SERVICE_STOPPING");
  });
});
