import { describe, expect, it } from "vitest";
import { EchoService } from "../../src/samples/echo-service.js";
import { ECHO_DESCRIPTOR } from "../helpers/fixtures.js";
import { inject } from "../helpers/inject.js";

const BUILTINS = [
  "endpoints",
  "detailed_endpoints",
  "status",
  "heartbeat",
  "server_id",
  "class_name",
  "pid_file",
  "shutdown",
];

function echo(): EchoService {
  return new EchoService({ id: "echo-1", pidFile: "/run/echo.pid" });
}

describe.each(["GET", "POST"] as const)("built-in endpoints over %s", (method) => {
  const get = async (path: string): Promise<unknown> => {
    const reply = await inject(echo(), path, { method });
    expect(reply.status).toBe(200);
    return reply.body;
  };

  it("endpoints: every endpoint name, built-ins included", async () => {
    expect(await get("/endpoints")).toEqual({ endpoints: [...BUILTINS, "echo"] });
  });

  it('status: {"status":"Available"}', async () => {
    expect(await get("/status")).toEqual({ status: "Available" });
  });

  it("heartbeat: status, server_id, message and details", async () => {
    expect(await get("/heartbeat")).toEqual({
      heartbeat: {
        status: "Available",
        server_id: "echo-1",
        message: expect.any(String),
        details: null,
      },
    });
  });

  it("server_id, class_name and pid_file", async () => {
    expect(await get("/server_id")).toEqual({ server_id: "echo-1" });
    expect(await get("/class_name")).toEqual({ class_name: "EchoService" });
    expect(await get("/pid_file")).toEqual({ pid_file: "/run/echo.pid" });
  });
});

describe("HEAD", () => {
  it("answers where GET does, without a body", async () => {
    const reply = await inject(new EchoService(), "/status", { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("");
  });

  it("is refused where GET is (405 on a POST-only endpoint)", async () => {
    expect((await inject(new EchoService(), "/echo", { method: "HEAD" })).status).toBe(405);
  });
});

describe("detailed_endpoints", () => {
  it("describes every endpoint with exactly name, path, methods, schemas and description (and its annotations and access when it has them)", async () => {
    const { body } = await inject(new EchoService(), "/detailed_endpoints");
    expect(Object.keys(body.endpoints)).toEqual([...BUILTINS, "echo"]);
    for (const [name, d] of Object.entries<Record<string, unknown>>(body.endpoints)) {
      const keys = ["description", "input_schema", "methods", "name", "output_schema", "path"];
      // Built-ins that only read say so (MCP clients read it as readOnlyHint); echo declares none.
      if (name !== "shutdown" && name !== "echo") {
        keys.push("annotations");
        expect(d.annotations).toEqual({ read_only: true, idempotent: true, open_world: false });
      }
      // Who may call it, when not any caller (the gateway keeps admin endpoints to its admin).
      const access = { shutdown: "admin", status: "public", heartbeat: "public" }[name];
      if (access) keys.push("access");
      expect(d.access).toBe(access);
      expect(Object.keys(d).sort()).toEqual(keys.sort());
      expect(d.name).toBe(name);
      expect(d.path).toBe(`/${name}`);
    }
  });

  it("gives the echo task's JSON Schemas and POST only", async () => {
    const { body } = await inject(new EchoService(), "/detailed_endpoints");
    expect(body.endpoints.echo).toEqual(ECHO_DESCRIPTOR);
  });

  it("gives built-ins GET and POST, no input schema and an output schema", async () => {
    const { body } = await inject(new EchoService(), "/detailed_endpoints");
    expect(body.endpoints.status).toMatchObject({
      methods: ["GET", "POST"],
      input_schema: null,
      output_schema: { type: "object" },
    });
  });
});

describe("defaults", () => {
  it("a service without options has a random server id and no PID file", async () => {
    const a = await inject(new EchoService(), "/server_id");
    const b = await inject(new EchoService(), "/server_id");
    expect(a.body.server_id).not.toBe(b.body.server_id);
    expect((await inject(new EchoService(), "/pid_file")).body).toEqual({ pid_file: null });
  });
});

describe("shutdown", () => {
  it('answers {"shutdown":true}, then reports Stopping and refuses new calls (503)', async () => {
    const service = new EchoService();
    expect((await inject(service, "/shutdown")).body).toEqual({ shutdown: true });
    expect((await inject(service, "/status")).body).toEqual({ status: "Stopping" });
    const refused = await inject(service, "/echo", { body: { message: "late" } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("SERVICE_STOPPING");
  });
});
