import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { DefinitionError } from "../../src/errors.js";
import { echoTask } from "../../src/samples/echo-service.js";
import { expectThrows } from "../helpers/expect-error.js";

function definitionErrorOf(fn: () => unknown): DefinitionError {
  return expectThrows(fn, DefinitionError, "DEFINITION_ERROR");
}

describe("task()", () => {
  it("keeps name, description, and the zod schemas it was given", () => {
    expect(echoTask.name).toBe("echo");
    expect(echoTask.description).not.toBe("");
    expect(echoTask.input.parse({ message: "hi" })).toEqual({ message: "hi", delay: 0 });
    expect(echoTask.output.parse({ echoed: "hi" })).toEqual({ echoed: "hi" });
  });

  it("defaults the description to an empty string and has no schemas without input/output", () => {
    const bare = task({ name: "bare" });
    expect(bare.description).toBe("");
    expect(bare.input).toBeUndefined();
    expect(bare.output).toBeUndefined();
    expect(bare.inputJsonSchema).toBeNull();
    expect(bare.outputJsonSchema).toBeNull();
  });

  it("is frozen", () => {
    expect(Object.isFrozen(echoTask)).toBe(true);
  });

  it.each(["", "1abc", "a-b", "a.b", "a/b", " a", "é"])(
    "refuses the bad name %j with DEFINITION_ERROR",
    (name) => {
      definitionErrorOf(() => task({ name }));
    },
  );

  it("refuses a name that is not a string", () => {
    definitionErrorOf(() => task({ name: 42 as unknown as string }));
  });

  it.each(["a", "_private", "snake_case", "camelCase", "A1"])("accepts the name %j", (name) => {
    expect(task({ name }).name).toBe(name);
  });
});

describe("task() JSON Schemas", () => {
  it("exports the input view: a defaulted key is optional and carries its default", () => {
    const schema = echoTask.inputJsonSchema!;
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(["message"]);
    expect(schema.properties).toMatchObject({
      message: { type: "string" },
      delay: { type: "number", default: 0, minimum: 0, maximum: 60 },
    });
  });

  it("exports the output view: a defaulted key is required and extra keys are refused", () => {
    const withDefault = task({
      name: "counted",
      output: z.object({ count: z.number().default(0) }),
    });
    const schema = withDefault.outputJsonSchema!;
    expect(schema.required).toEqual(["count"]);
    expect(schema.additionalProperties).toBe(false);
  });

  it("declares the JSON Schema dialect zod emits (draft 2020-12)", () => {
    expect(echoTask.outputJsonSchema?.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("converts lazily, on first access, and only once", () => {
    let resolved = 0;
    const input = z.lazy(() => {
      resolved++;
      return z.object({ id: z.string() });
    });
    const lazy = task({ name: "lazy", input });
    expect(resolved).toBe(0);
    const first = lazy.inputJsonSchema;
    const afterFirst = resolved;
    expect(afterFirst).toBeGreaterThan(0);
    expect(lazy.inputJsonSchema).toBe(first);
    expect(resolved).toBe(afterFirst);
  });

  it("reports a schema that cannot be converted as DEFINITION_ERROR on access, not at declaration", () => {
    const broken = z.lazy((): z.ZodType => {
      throw new Error("cannot resolve");
    });
    const declared = task({ name: "broken", output: broken });
    const error = definitionErrorOf(() => declared.outputJsonSchema);
    expect(error.cause).toBeInstanceOf(Error);
  });
});
