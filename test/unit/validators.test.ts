import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { describeIssues, zodRequestValidator, zodValidator } from "../../src/contract/validator.js";
import type { Validator } from "../../src/contract/validator.js";
import { jsonSchemaValidator } from "../../src/client/json-schema-validator.js";

const entry = task({
  name: "entry",
  input: z.object({ title: z.string(), tags: z.array(z.string()).default([]) }),
  output: z.object({ id: z.number(), state: z.enum(["new", "old"]).default("new") }),
});

const shape = z.union([
  z.object({ kind: z.literal("circle"), radius: z.number() }),
  z.object({ kind: z.literal("square"), side: z.number() }),
]);
const pick = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("a"), a: z.string() }),
  z.object({ kind: z.literal("b"), b: z.number() }),
]);

/** The same contract checked from zod and from the JSON Schema sent on the wire. */
const sources: [string, (schema: z.ZodType, io: "input" | "output") => Validator][] = [
  ["zod", (schema) => zodValidator(schema)],
  ["JSON Schema", (schema, io) => jsonSchemaValidator(z.toJSONSchema(schema, { io }))],
];

describe.each(sources)("validators from %s", (_source, make) => {
  it("fills defaults in", () => {
    const result = make(entry.input, "input")({ title: "t" });
    expect(result).toEqual({ ok: true, value: { title: "t", tags: [] } });
  });

  it("drops keys an output schema does not allow", () => {
    const result = make(entry.output, "output")({ id: 1, state: "old", secret: "x" });
    expect(result).toEqual({ ok: true, value: { id: 1, state: "old" } });
  });

  it("drops unknown keys of objects nested in arrays and records", () => {
    const item = z.object({ a: z.string() });
    const nested = z.object({ list: z.array(item), byName: z.record(z.string(), item) });
    const result = make(
      nested,
      "output",
    )({
      list: [{ a: "1", x: 1 }],
      byName: { k: { a: "2", y: 2 } },
    });
    expect(result).toEqual({ ok: true, value: { list: [{ a: "1" }], byName: { k: { a: "2" } } } });
  });

  it("accepts every branch of a union (anyOf) with its own keys", () => {
    const validate = make(shape, "output");
    expect(validate({ kind: "square", side: 2 })).toEqual({
      ok: true,
      value: { kind: "square", side: 2 },
    });
    expect(validate({ kind: "circle", radius: 1 })).toEqual({
      ok: true,
      value: { kind: "circle", radius: 1 },
    });
  });

  it("accepts every branch of a discriminated union (oneOf)", () => {
    expect(make(pick, "output")({ kind: "b", b: 3 })).toEqual({
      ok: true,
      value: { kind: "b", b: 3 },
    });
  });

  it("reports each issue with the path of the offending key", () => {
    const result = make(entry.input, "input")({ tags: [1] });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining([["title"], ["tags", 0]]));
  });

  it("never changes the caller's value", () => {
    const value = { title: "t" };
    make(entry.input, "input")(value);
    expect(value).toEqual({ title: "t" });
  });
});

describe("zodRequestValidator: what a typed client sends", () => {
  it("is the input view of the parsed value: defaults filled, unknown keys dropped", () => {
    const result = zodRequestValidator(entry.input)({ title: "t", junk: 1 });
    expect(result).toEqual({ ok: true, value: { title: "t", tags: [] } });
  });

  it("is the caller's value as written when a transform cannot be reversed", () => {
    const csv = z.object({ list: z.string().transform((s) => s.split(",")) });
    const validate = zodRequestValidator(csv);
    expect(validate({ list: "a,b" })).toEqual({ ok: true, value: { list: "a,b" } });
    expect(validate({ list: "c" })).toEqual({ ok: true, value: { list: "c" } });
  });

  it("reports issues like zodValidator", () => {
    expect(zodRequestValidator(entry.input)({})).toEqual(zodValidator(entry.input)({}));
  });
});

describe("describeIssues", () => {
  it("joins at most five issues, each prefixed with its path when it has one", () => {
    const issues = Array.from({ length: 7 }, (_, i) => ({ path: ["k", i], message: `m${i}` }));
    const text = describeIssues([{ path: [], message: "root" }, ...issues]);
    expect(text.split("; ")).toEqual(["root", "k.0: m0", "k.1: m1", "k.2: m2", "k.3: m3"]);
  });
});
