/**
 * Structural checks of an OpenAPI 3.1 document: the rules of the specification a generated
 * document can break (version, info, path keys, operations, unique operationIds, responses,
 * local references), and every schema compiled as JSON Schema 2020-12, the 3.1 dialect.
 */
import { Ajv2020 } from "ajv/dist/2020.js";

type Doc = Record<string, any>;

const ajv = new Ajv2020({ strict: false });

const OPERATION_KEYS = new Set([
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
]);
const PATH_ITEM_KEYS = new Set([
  ...OPERATION_KEYS,
  "summary",
  "description",
  "servers",
  "parameters",
]);

/** Every way `doc` breaks OpenAPI 3.1 that these checks see; empty when none. */
export function openApiProblems(doc: Doc): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(String(doc.openapi))) problems.push(`openapi is ${doc.openapi}`);
  if (typeof doc.info?.title !== "string") problems.push("info.title missing");
  if (typeof doc.info?.version !== "string") problems.push("info.version missing");
  const ids = new Set<string>();
  for (const [path, item] of Object.entries<Doc>(doc.paths ?? {})) {
    if (!path.startsWith("/")) problems.push(`path ${path} does not start with /`);
    for (const [key, op] of Object.entries<Doc>(item)) {
      if (!PATH_ITEM_KEYS.has(key)) problems.push(`${path}: unknown key ${key}`);
      if (OPERATION_KEYS.has(key)) problems.push(...operationProblems(`${key} ${path}`, op, ids));
    }
  }
  for (const [name, schema] of Object.entries<Doc>(doc.components?.schemas ?? {})) {
    problems.push(...schemaProblems(`components.schemas.${name}`, schema));
  }
  problems.push(...danglingRefs(doc));
  return problems;
}

function operationProblems(where: string, op: Doc, ids: Set<string>): string[] {
  const problems: string[] = [];
  if (op.operationId !== undefined) {
    if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
  }
  const responses = Object.entries<Doc>(op.responses ?? {});
  if (responses.length === 0) problems.push(`${where}: no responses`);
  for (const [status, response] of responses) {
    if (!/^([1-5](\d\d|XX)|default)$/.test(status)) problems.push(`${where}: status ${status}`);
    if (typeof response.description !== "string")
      problems.push(`${where} ${status}: no description`);
    problems.push(...contentProblems(`${where} ${status}`, response.content));
  }
  if (op.requestBody) {
    if (!op.requestBody.content) problems.push(`${where}: requestBody without content`);
    problems.push(...contentProblems(`${where} requestBody`, op.requestBody.content));
  }
  return problems;
}

function contentProblems(where: string, content: Doc | undefined): string[] {
  return Object.entries<Doc>(content ?? {}).flatMap(([type, media]) =>
    media.schema === undefined ? [] : schemaProblems(`${where} ${type}`, media.schema),
  );
}

function schemaProblems(where: string, schema: Doc): string[] {
  if (typeof schema.$ref === "string") return [];
  try {
    ajv.compile(schema);
    return [];
  } catch (error) {
    return [`${where}: schema does not compile (${(error as Error).message})`];
  }
}

function danglingRefs(doc: Doc): string[] {
  const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]*"/g) ?? [];
  return refs
    .map((ref) => ref.slice(9, -1))
    .filter(
      (ref) =>
        ref
          .slice(1)
          .split("/")
          .reduce<any>((node, key) => node?.[key], doc) === undefined,
    )
    .map((ref) => `dangling $ref ${ref}`);
}
