/**
 * Endpoint descriptors as MCP tools (src/mcp/tool-shape.ts): the input JSON Schema itself for an
 * object input (no wrapper, its `$schema` kept), `{ input }` for any other, `{}` for none; the output
 * schema alike with `{ result }`; annotations from the task's snake_case hints; arguments back to
 * the endpoint's input; results with `structuredContent` matching the output schema; errors
 * with our error body as text and never `structuredContent`.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { EndpointDescriptor } from "../../src/contract/endpoint.js";
import { task } from "../../src/contract/task.js";
import { ForbiddenError, ValidationError } from "../../src/errors.js";
import {
  errorResult,
  errorResultOfText,
  inputFromArguments,
  resultOf,
  resultOfText,
  toolOf,
} from "../../src/mcp/tool-shape.js";

const DIALECT = "https://json-schema.org/draft/2020-12/schema";

function descriptor(fields: Partial<EndpointDescriptor>): EndpointDescriptor {
  return {
    name: "thing",
    path: "/thing",
    methods: ["POST"],
    input_schema: null,
    output_schema: null,
    description: "",
    ...fields,
  };
}

/** The descriptor of a task, as a service publishes it. */
function ofTask(t: ReturnType<typeof task>): EndpointDescriptor {
  return descriptor({
    name: t.name,
    input_schema: t.inputJsonSchema,
    output_schema: t.outputJsonSchema,
    description: t.description,
    ...(t.annotations ? { annotations: t.annotations } : {}),
  });
}

describe("tool definitions", () => {
  it("an object input is the tool's inputSchema itself, its 2020-12 $schema kept", () => {
    const schema = {
      $schema: DIALECT,
      type: "object",
      properties: { message: { type: "string" } },
      required: ["message"],
      additionalProperties: false,
    };
    const binding = toolOf(descriptor({ input_schema: schema, description: "Does a thing" }));
    expect(binding.input).toBe("fields");
    expect(binding.tool).toEqual({
      name: "thing",
      description: "Does a thing",
      inputSchema: schema,
    });
    // The descriptor is not changed on the way.
    expect(schema.$schema).toBe(DIALECT);
  });

  it("a non-object input is wrapped as { input }, required", () => {
    for (const schema of [
      { type: "number" },
      { type: "array", items: { type: "string" } },
      { type: "string", enum: ["a", "b"] },
      { anyOf: [{ type: "object" }, { type: "null" }] },
    ]) {
      const binding = toolOf(descriptor({ input_schema: { $schema: DIALECT, ...schema } }));
      expect(binding.input).toBe("wrapped");
      // The dialect stays at the root of the wrapper.
      expect(binding.tool.inputSchema).toEqual({
        type: "object",
        properties: { input: schema },
        required: ["input"],
        $schema: DIALECT,
      });
    }
  });

  it("no input is an empty object schema; no output is no outputSchema", () => {
    const binding = toolOf(descriptor({}));
    expect(binding.input).toBe("none");
    expect(binding.output).toBe("none");
    expect(binding.tool.inputSchema).toEqual({ type: "object", properties: {} });
    expect(binding.tool).not.toHaveProperty("outputSchema");
    expect(binding.tool).not.toHaveProperty("annotations");
    expect(binding.tool).not.toHaveProperty("description");
  });

  it("an object output is the outputSchema; any other is wrapped as { result }", () => {
    const object = toolOf(
      descriptor({
        output_schema: { $schema: DIALECT, type: "object", properties: { n: { type: "number" } } },
      }),
    );
    expect(object.output).toBe("object");
    expect(object.tool.outputSchema).toEqual({
      $schema: DIALECT,
      type: "object",
      properties: { n: { type: "number" } },
    });
    const wrapped = toolOf(descriptor({ output_schema: { type: "number" } }));
    expect(wrapped.output).toBe("wrapped");
    expect(wrapped.tool.outputSchema).toEqual({
      type: "object",
      properties: { result: { type: "number" } },
      required: ["result"],
    });
  });

  it("maps the task's annotations to MCP hints, and its title", () => {
    const binding = toolOf(
      descriptor({
        annotations: {
          title: "The thing",
          read_only: true,
          destructive: false,
          idempotent: true,
          open_world: false,
        },
      }),
    );
    expect(binding.tool.annotations).toEqual({
      title: "The thing",
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(binding.tool.title).toBe("The thing");
    expect(toolOf(descriptor({ annotations: {} })).tool).not.toHaveProperty("annotations");
    expect(toolOf(descriptor({ annotations: { read_only: true } })).tool.annotations).toEqual({
      readOnlyHint: true,
    });
  });

  it("takes the name it is given (the gateway's <app>__<endpoint>)", () => {
    expect(toolOf(descriptor({}), "app__thing").tool.name).toBe("app__thing");
  });

  it("a zod task's schemas compile as JSON Schema 2020-12, object or wrapped", () => {
    const ajv = new Ajv2020({ strict: false });
    const t = task({
      name: "thing",
      input: z.object({ tags: z.array(z.string()).default([]), limit: z.number().optional() }),
      output: z.union([z.string(), z.number()]),
      annotations: { read_only: true },
    });
    const { tool } = toolOf(ofTask(t));
    expect(ajv.validate(tool.inputSchema, { limit: 2 })).toBe(true);
    expect(ajv.validate(tool.inputSchema, { limit: "2" })).toBe(false);
    expect(ajv.validate(tool.outputSchema!, { result: 3 })).toBe(true);
    expect(ajv.validate(tool.outputSchema!, { result: true })).toBe(false);
  });

  // Regression: the wrapper once kept zod's `$defs` inside `properties.input` while its `$ref`s
  // say `#/$defs/...` (the wrapper's root): clients could not compile it. Any recursive (or
  // reused) type in a non-object input or output did this, e.g. an array of tree nodes.
  it("a wrapped schema with $defs still resolves its $refs", () => {
    interface TreeNode {
      name: string;
      children: TreeNode[];
    }
    const node: z.ZodType<TreeNode> = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    const t = task({ name: "forest", input: z.array(node), output: z.array(node) });
    expect(JSON.stringify(t.outputJsonSchema)).toContain('"#/$defs/');
    const { tool } = toolOf(ofTask(t));
    const ajv = new Ajv2020({ strict: false });
    const forest = [{ name: "root", children: [{ name: "leaf", children: [] }] }];
    expect(() => ajv.compile(tool.inputSchema)).not.toThrow();
    expect(() => ajv.compile(tool.outputSchema!)).not.toThrow();
    expect(ajv.validate(tool.inputSchema, { input: forest })).toBe(true);
    expect(ajv.validate(tool.outputSchema!, { result: forest })).toBe(true);
    expect(ajv.validate(tool.outputSchema!, { result: [{ name: "root" }] })).toBe(false);
  });
});

describe("arguments to input", () => {
  it("fields: the arguments themselves ({} when absent); wrapped: their input; none: undefined", () => {
    expect(inputFromArguments("fields", { a: 1 })).toEqual({ a: 1 });
    expect(inputFromArguments("fields", undefined)).toEqual({});
    expect(inputFromArguments("wrapped", { input: [1, 2] })).toEqual([1, 2]);
    expect(inputFromArguments("wrapped", { input: 0 })).toBe(0);
    expect(inputFromArguments("wrapped", undefined)).toBeUndefined();
    expect(inputFromArguments("none", { ignored: true })).toBeUndefined();
  });
});

describe("tool results", () => {
  it("an object output is structuredContent and its JSON text", () => {
    expect(resultOf("object", { echoed: "hi" })).toEqual({
      content: [{ type: "text", text: '{"echoed":"hi"}' }],
      structuredContent: { echoed: "hi" },
    });
  });

  it("a wrapped output is { result } in structuredContent, the bare value as text", () => {
    expect(resultOf("wrapped", 49)).toEqual({
      content: [{ type: "text", text: "49" }],
      structuredContent: { result: 49 },
    });
    expect(resultOf("wrapped", null)).toEqual({
      content: [{ type: "text", text: "null" }],
      structuredContent: { result: null },
    });
  });

  it("no output schema: text only; no value: no content", () => {
    expect(resultOf("none", { x: 1 })).toEqual({ content: [{ type: "text", text: '{"x":1}' }] });
    expect(resultOf("object", undefined)).toEqual({ content: [] });
    expect(resultOf("wrapped", undefined)).toEqual({ content: [] });
  });

  it("forwarded JSON text is parsed for structuredContent and kept as the text", () => {
    expect(resultOfText("object", '{"a":1}')).toEqual({
      content: [{ type: "text", text: '{"a":1}' }],
      structuredContent: { a: 1 },
    });
    expect(resultOfText("wrapped", "[1,2]")).toEqual({
      content: [{ type: "text", text: "[1,2]" }],
      structuredContent: { result: [1, 2] },
    });
    expect(resultOfText("none", '{"a":1}')).toEqual({
      content: [{ type: "text", text: '{"a":1}' }],
    });
    // Not JSON (or not an object where one was promised): the text alone.
    expect(resultOfText("object", "not json")).toEqual({
      content: [{ type: "text", text: "not json" }],
    });
    expect(resultOfText("object", "[1]")).toEqual({ content: [{ type: "text", text: "[1]" }] });
    expect(resultOfText("object", "")).toEqual({ content: [] });
  });

  it("an error is isError with our error body as text, never structuredContent", () => {
    const error = new ForbiddenError("refused", { data: { why: "policy" } });
    const result = errorResult(error);
    expect(result).toEqual({
      content: [
        {
          type: "text",
          text: JSON.stringify({
            error: { code: "FORBIDDEN", message: "refused", data: { why: "policy" } },
          }),
        },
      ],
      isError: true,
    });
    expect(result).not.toHaveProperty("structuredContent");
    const validation = errorResult(new ValidationError("bad", { issues: [] }));
    expect(JSON.parse(validation.content[0]!.text)).toMatchObject({
      error: { code: "VALIDATION_FAILED" },
    });
    expect(validation).not.toHaveProperty("structuredContent");
    const forwarded = errorResultOfText('{"error":{"code":"X","message":"m"}}');
    expect(forwarded).toEqual({
      content: [{ type: "text", text: '{"error":{"code":"X","message":"m"}}' }],
      isError: true,
    });
  });
});
