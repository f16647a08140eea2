/**
 * Endpoints as MCP tools: the one mapping from an endpoint descriptor to a tool definition, from
 * tool arguments to the endpoint's input, and from what the endpoint produced (or threw) to a
 * tool result. Services and the gateway both use it, so a tool looks the same whichever serves it.
 */
import type { EndpointDescriptor, JsonSchema } from "../contract/endpoint.js";
import type { PorticoError } from "../errors.js";

/** A tool as `tools/list` lists it (the fields we fill of the MCP `Tool`). */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema & { type: "object" };
  outputSchema?: JsonSchema & { type: "object" };
  annotations?: ToolAnnotations;
}

/** MCP tool annotations (hints for clients; never a security boundary). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool result (`CallToolResult`). */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * How the endpoint's input sits in the tool's arguments: the fields themselves for an object
 * input (no wrapper), `{ input }` for any other input (MCP arguments are always an object).
 */
export type InputShape = "fields" | "wrapped" | "none";

/** How the endpoint's output sits in `structuredContent`: itself, `{ result }`, or absent. */
export type OutputShape = "object" | "wrapped" | "none";

/** A tool and how its arguments and result map to the endpoint's input and output. */
export interface ToolBinding {
  tool: ToolDefinition;
  input: InputShape;
  output: OutputShape;
}

/** Builds the tool of an endpoint, named `name` (the endpoint's name unless prefixed). */
export function toolOf(endpoint: EndpointDescriptor, name = endpoint.name): ToolBinding {
  const [inputSchema, input] = inputOf(endpoint.input_schema);
  const [outputSchema, output] = outputOf(endpoint.output_schema);
  const tool: ToolDefinition = { name, inputSchema };
  if (endpoint.description) tool.description = endpoint.description;
  if (outputSchema) tool.outputSchema = outputSchema;
  const annotations = annotationsOf(endpoint);
  if (annotations) {
    tool.annotations = annotations;
    if (annotations.title) tool.title = annotations.title;
  }
  return { tool, input, output };
}

function inputOf(schema: JsonSchema | null): [ToolDefinition["inputSchema"], InputShape] {
  if (schema === null) return [{ type: "object", properties: {} }, "none"];
  if (isObjectSchema(schema)) return [schema as ToolDefinition["inputSchema"], "fields"];
  return [wrap("input", schema) as ToolDefinition["inputSchema"], "wrapped"];
}

function outputOf(
  schema: JsonSchema | null,
): [ToolDefinition["outputSchema"] | undefined, OutputShape] {
  if (schema === null) return [undefined, "none"];
  if (isObjectSchema(schema)) return [schema as ToolDefinition["outputSchema"], "object"];
  return [wrap("result", schema) as ToolDefinition["outputSchema"], "wrapped"];
}

/**
 * `{ type: "object", properties: { <key>: schema }, required: [<key>] }`. Its dialect (`$schema`,
 * 2020-12 as MCP assumes) and definitions stay at the root, where the schema's own `$ref`s
 * (`#/$defs/Node`, recursive types) point.
 */
function wrap(key: string, schema: JsonSchema): JsonSchema {
  const { $schema, $defs, definitions, ...inner } = schema;
  return {
    type: "object",
    properties: { [key]: inner },
    required: [key],
    ...($schema === undefined ? {} : { $schema }),
    ...($defs === undefined ? {} : { $defs }),
    ...(definitions === undefined ? {} : { definitions }),
  };
}

/** A schema whose values are always JSON objects (`type: "object"` at its root). */
function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === "object";
}

function annotationsOf(endpoint: EndpointDescriptor): ToolAnnotations | undefined {
  const declared = endpoint.annotations;
  if (!declared) return undefined;
  const out: ToolAnnotations = {};
  if (declared.title !== undefined) out.title = declared.title;
  if (declared.read_only !== undefined) out.readOnlyHint = declared.read_only;
  if (declared.destructive !== undefined) out.destructiveHint = declared.destructive;
  if (declared.idempotent !== undefined) out.idempotentHint = declared.idempotent;
  if (declared.open_world !== undefined) out.openWorldHint = declared.open_world;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The endpoint's input from a tool's arguments. */
export function inputFromArguments(
  shape: InputShape,
  args: Record<string, unknown> | undefined,
): unknown {
  if (shape === "wrapped") return args?.input;
  if (shape === "none") return undefined;
  return args ?? {};
}

/** The tool result of an endpoint's output (`undefined`: it replied with no body). */
export function resultOf(shape: OutputShape, value: unknown): ToolResult {
  if (value === undefined) return { content: [] };
  const text = JSON.stringify(value);
  const result: ToolResult = { content: [{ type: "text", text }] };
  if (shape === "object" && isPlainObject(value)) result.structuredContent = value;
  else if (shape === "wrapped") result.structuredContent = { result: value };
  return result;
}

/** The tool result of an endpoint's output given as JSON text (forwarded replies). */
export function resultOfText(shape: OutputShape, text: string): ToolResult {
  if (text === "") return { content: [] };
  const result: ToolResult = { content: [{ type: "text", text }] };
  if (shape === "none") return result;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return result;
  }
  if (shape === "object" && isPlainObject(value)) result.structuredContent = value;
  else if (shape === "wrapped") result.structuredContent = { result: value };
  return result;
}

/**
 * A tool error: `isError` (so a model reads it and can correct its call) with our error body
 * `{"error":{code,message,data}}` as the text. Never `structuredContent`: the 1.x SDK client
 * validates it against the tool's output schema even on errors, and throws when it does not fit.
 */
export function errorResult(error: PorticoError): ToolResult {
  return { content: [{ type: "text", text: JSON.stringify(error.toJSON()) }], isError: true };
}

/** An error body received as text (a forwarded call's error reply), as a tool error. */
export function errorResultOfText(text: string): ToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
