/**
 * The fast path answers well-formed `tools/call` and `tools/list` itself; the SDK answers every
 * other request. Both must give the same replies: two endpoints over one catalogue, one with the
 * fast path and one without, get the same requests (2026-07-28 per request, and in a 2025
 * session) and their replies are compared as JSON, key for key.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpEndpoint } from "../../src/mcp/mcp-endpoint.js";
import type { ToolCatalogue } from "../../src/mcp/mcp-endpoint.js";
import { ToolPages } from "../../src/mcp/tool-pages.js";
import { errorResult, resultOf, toolOf } from "../../src/mcp/tool-shape.js";
import { EndpointNotFoundError } from "../../src/errors.js";

const MODERN = "2026-07-28";
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** Five tools in pages of two: cursors matter. */
function catalogue(): ToolCatalogue {
  const tools = ["alpha", "bravo", "charlie", "delta", "echo"].map(
    (name) =>
      toolOf({
        name,
        path: `/${name}`,
        methods: ["POST"],
        input_schema: { type: "object", properties: { n: { type: "number" } } },
        output_schema: { type: "object", properties: { twice: { type: "number" } } },
        description: `Tool ${name}`,
        annotations: { read_only: true },
      }).tool,
  );
  const pages = new ToolPages(tools, "test", 2);
  return {
    page: (cursor) => pages.page(cursor),
    ttlMs: () => 12_345,
    call: (name, args) =>
      Promise.resolve(
        tools.some((tool) => tool.name === name)
          ? resultOf("object", { twice: Number(args?.n ?? 0) * 2 })
          : errorResult(new EndpointNotFoundError(`No tool named ${name}`, { data: { name } })),
      ),
  };
}

interface Served {
  url: string;
  server: HttpServer;
  endpoint: McpEndpoint;
}

async function serve(fastPath: boolean): Promise<Served> {
  const endpoint = new McpEndpoint({
    name: "Same",
    version: "1.2.3",
    catalogue: catalogue(),
    listChanged: true,
    maxRequestBodySize: 1024 * 1024,
    fastPath,
  });
  const server = createServer((req, res) => {
    void readJson(req).then((body) => endpoint.handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, server, endpoint };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

/** A reply's JSON-RPC message: a JSON body, or the one `data:` of an event stream. */
async function message(reply: Response): Promise<unknown> {
  const text = await reply.text();
  if (!(reply.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return JSON.parse(text) as unknown;
  }
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  return JSON.parse(data!.slice(6)) as unknown;
}

function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

function modern(url: string, method: string, params: Record<string, unknown>, name?: string) {
  return post(
    url,
    { jsonrpc: "2.0", id: 7, method, params: { ...params, _meta: ENVELOPE } },
    {
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      ...(name === undefined ? {} : { "mcp-name": name }),
    },
  );
}

/** Opens a 2025 session; returns a function that sends a request in it. */
async function session(url: string) {
  const init = await post(
    url,
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "t", version: "1" },
      },
    },
    {},
  );
  const id = init.headers.get("mcp-session-id")!;
  await init.text();
  const headers = { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" };
  await (await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers)).text();
  return (method: string, params: Record<string, unknown>) =>
    post(url, { jsonrpc: "2.0", id: 9, method, params }, headers);
}

describe("the fast path and the SDK give the same replies", () => {
  let fast: Served;
  let sdk: Served;
  beforeAll(async () => {
    [fast, sdk] = await Promise.all([serve(true), serve(false)]);
  });
  afterAll(async () => {
    for (const served of [fast, sdk]) {
      await served.endpoint.close();
      served.server.closeAllConnections();
      await new Promise((resolve) => served.server.close(resolve));
    }
  });

  it("2026-07-28: tools/call (result and tool error), tools/list (first page, by cursor)", async () => {
    const call = (s: Served, name: string) =>
      modern(s.url, "tools/call", { name, arguments: { n: 21 } }, name);
    for (const name of ["charlie", "nope"]) {
      const [a, b] = await Promise.all([call(fast, name), call(sdk, name)]);
      expect(a.status).toBe(b.status);
      expect(await message(a)).toEqual(await message(b));
    }
    const first = await message(await modern(fast.url, "tools/list", {}));
    expect(first).toEqual(await message(await modern(sdk.url, "tools/list", {})));
    // The cache hints are there, from the catalogue.
    expect(first).toMatchObject({ result: { ttlMs: 12_345, cacheScope: "public" } });
    const cursor = (first as { result: { nextCursor: string } }).result.nextCursor;
    const [a, b] = await Promise.all([
      modern(fast.url, "tools/list", { cursor }),
      modern(sdk.url, "tools/list", { cursor }),
    ]);
    expect(await message(a)).toEqual(await message(b));
  });

  it("2025 session: tools/call and tools/list give the same messages", async () => {
    const [inFast, inSdk] = await Promise.all([session(fast.url), session(sdk.url)]);
    for (const [method, params] of [
      ["tools/call", { name: "bravo", arguments: { n: 2 } }],
      ["tools/call", { name: "nope" }],
      ["tools/list", {}],
    ] as const) {
      const [a, b] = await Promise.all([inFast(method, params), inSdk(method, params)]);
      expect(await message(a)).toEqual(await message(b));
    }
    const list = (await message(await inFast("tools/list", {}))) as {
      result: { tools: { name: string }[]; nextCursor: string };
    };
    expect(list.result.tools.map((t) => t.name)).toEqual(["alpha", "bravo"]);
    // No cache hints on 2025 replies.
    expect(list.result).not.toHaveProperty("ttlMs");
    const [a, b] = await Promise.all([
      inFast("tools/list", { cursor: list.result.nextCursor }),
      inSdk("tools/list", { cursor: list.result.nextCursor }),
    ]);
    expect(await message(a)).toEqual(await message(b));
  });

  it("a cursor of another list: the SDK's error in both (the fast path leaves it to the SDK)", async () => {
    const bogus = Buffer.from("other:1").toString("base64url");
    const [a, b] = await Promise.all([
      modern(fast.url, "tools/list", { cursor: bogus }),
      modern(sdk.url, "tools/list", { cursor: bogus }),
    ]);
    const [ma, mb] = [await message(a), await message(b)];
    expect(ma).toEqual(mb);
    expect(ma).toMatchObject({ error: { code: -32602 } });
  });
});
