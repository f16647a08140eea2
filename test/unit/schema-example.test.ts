import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinTasks } from "../../src/contract/builtins.js";
import { echoTask } from "../../src/samples/contract.js";
import { schemaExample } from "../../src/service/http/schema-example.js";

const ajv = new Ajv2020({ strict: false });
addFormats.default(ajv);

/** The example of `schema`, checked to validate against it. */
function valid(schema: Record<string, unknown>): unknown {
  const example = schemaExample(schema);
  const validate = ajv.compile(schema);
  expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  return example;
}

describe("schemaExample", () => {
  it("gives undefined without a schema, null for an empty one", () => {
    expect(schemaExample(null)).toBeUndefined();
    expect(schemaExample({})).toBeNull();
  });

  it("prefers what the schema states: examples, default, const, the first enum value", () => {
    expect(valid({ type: "string", examples: ["hi"], default: "x" })).toBe("hi");
    expect(valid({ type: "number", default: 3 })).toBe(3);
    expect(valid({ const: "fixed" })).toBe("fixed");
    expect(valid({ type: "string", enum: ["b", "a"] })).toBe("b");
  });

  it("writes strings of the schema's format", () => {
    for (const format of ["date-time", "date", "email", "uri", "uuid", "ipv4", "ipv6"]) {
      expect(typeof valid({ type: "string", format })).toBe("string");
    }
    expect(schemaExample({ type: "string", format: "email" })).toBe("user@example.com");
    expect(valid({ type: "string", minLength: 10 })).toHaveLength(10);
    expect(valid({ type: "string", maxLength: 3 })).toHaveLength(3);
  });

  it("takes the lower bound of numbers, on their multiple", () => {
    expect(valid({ type: "integer", minimum: 5 })).toBe(5);
    expect(valid({ type: "integer", exclusiveMinimum: 5 })).toBe(6);
    expect(valid({ type: "number", minimum: 0.5, multipleOf: 2 })).toBe(2);
    expect(valid({ type: "integer", maximum: -3 })).toBe(-3);
    expect(valid({ type: "number" })).toBe(0);
  });

  it("gives arrays one item, or minItems, or the prefix items", () => {
    expect(valid({ type: "array", items: { type: "string" } })).toEqual(["string"]);
    expect(valid({ type: "array", items: { type: "integer" }, minItems: 2 })).toEqual([0, 0]);
    expect(valid({ type: "array", items: { type: "integer" }, maxItems: 0 })).toEqual([]);
    expect(
      valid({
        type: "array",
        prefixItems: [{ type: "string" }, { type: "boolean" }],
        items: false,
      }),
    ).toEqual(["string", true]);
  });

  it("fills required properties and the cheap optional ones, not optional nested objects", () => {
    const example = valid({
      type: "object",
      required: ["id"],
      properties: {
        id: { type: "string", format: "uuid" },
        note: { type: "string" },
        limit: { type: "integer", default: 10 },
        nested: { type: "object", properties: { deep: { type: "string" } } },
      },
      additionalProperties: false,
    });
    expect(example).toEqual({
      id: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      note: "string",
      limit: 10,
    });
  });

  it("follows local $refs and stops on recursive ones", () => {
    const tree = {
      $defs: {
        node: {
          type: "object",
          required: ["name", "children"],
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/node" }, minItems: 0 },
          },
        },
      },
      $ref: "#/$defs/node",
    };
    expect(valid(tree)).toEqual({ name: "string", children: [] });
    const loop = { $defs: { a: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" };
    expect(schemaExample(loop)).toBeNull();
  });

  it("takes the first non-null branch of a union and merges allOf parts", () => {
    expect(valid({ anyOf: [{ type: "null" }, { type: "integer", minimum: 1 }] })).toBe(1);
    expect(valid({ type: ["null", "string"] })).toBe("string");
    expect(
      valid({
        allOf: [
          { type: "object", required: ["a"], properties: { a: { type: "string" } } },
          { type: "object", required: ["b"], properties: { b: { type: "boolean" } } },
        ],
      }),
    ).toEqual({ a: "string", b: true });
  });

  it("invents a key for records", () => {
    expect(
      valid({ type: "object", additionalProperties: { type: "array", items: { type: "string" } } }),
    ).toEqual({ key: ["string"] });
  });

  it("is valid and deterministic for zod schemas, the echo task and the built-ins", () => {
    const schemas = [
      echoTask.inputJsonSchema!,
      echoTask.outputJsonSchema!,
      ...Object.values(builtinTasks).map((task) => task.outputJsonSchema!),
      z.toJSONSchema(
        z.object({
          when: z.iso.datetime(),
          mail: z.email(),
          tags: z.record(z.string(), z.array(z.string())).optional(),
          kind: z.enum(["a", "b"]),
          size: z.number().int().positive(),
          result: z.union([z.object({ ok: z.literal(true) }), z.object({ error: z.string() })]),
        }),
      ),
    ];
    for (const schema of schemas) {
      valid(schema);
      expect(schemaExample(schema)).toEqual(schemaExample(schema));
    }
    expect(schemaExample(echoTask.inputJsonSchema)).toEqual({ message: "string", delay: 0 });
  });
  it("stays small for schemas asking for huge or fanned-out arrays", () => {
    const huge = schemaExample({ type: "array", minItems: 1e9, items: { type: "integer" } });
    expect(huge).toHaveLength(8);
    const fan = {
      $defs: { node: { type: "array", minItems: 8, items: { $ref: "#/$defs/node" } } },
      $ref: "#/$defs/node",
    };
    expect(JSON.stringify(schemaExample(fan)).length).toBeLessThan(20_000);
    // Small arrays still get the items their schema asks for.
    expect(valid({ type: "array", minItems: 3, items: { type: "string" } })).toHaveLength(3);
  });
});
