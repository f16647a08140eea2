import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import {
  EndpointNotFoundError,
  InternalError,
  MethodNotAllowedError,
  OutputValidationError,
  PayloadTooLargeError,
  RemoteError,
} from "../../src/errors.js";
import type { ErrorCode } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { FaultyService } from "../helpers/faulty-service.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";
import { WIRE_ERROR_CLASSES } from "../helpers/wire-errors.js";

describe("errors a client rebuilds from the wire", () => {
  it.each(Object.entries(WIRE_ERROR_CLASSES))(
    "a handler's %s arrives as its own class, status and data",
    async (code, Cls) => {
      await using served = await serveOn(new FaultyService());
      await using client = await FaultyService.connect(served.url);
      const error = await expectRejects(client.fail({ code }), Cls, code as ErrorCode);
      expect(error.data).toEqual({ code });
    },
  );

  it("a crashing handler: InternalError, and the service still answers", async () => {
    await using served = await serveOn(new FaultyService());
    await using client = await FaultyService.connect(served.url);
    await expectRejects(client.crash(), InternalError, "INTERNAL_ERROR");
    expect(await client.text()).toBe("plain words");
  });

  it("an invalid handler output: OutputValidationError", async () => {
    await using served = await serveOn(new FaultyService());
    await using client = await FaultyService.connect(served.url);
    const error = await expectRejects(
      client.bad_output(),
      OutputValidationError,
      "OUTPUT_VALIDATION_FAILED",
    );
    expect(error.status).toBe(500);
  });

  it("unknown endpoint, wrong method and too large a body, through call()", async () => {
    await using echo = await startEcho({ bodyLimit: 64 });
    await using client = createServiceClient({ url: echo.url }, EchoService.tasks);
    await expectRejects(client.call("nowhere"), EndpointNotFoundError, "ENDPOINT_NOT_FOUND");
    const get = client.call("echo", undefined, { method: "GET" });
    await expectRejects(get, MethodNotAllowedError, "METHOD_NOT_ALLOWED");
    const big = client.echo({ message: "x".repeat(100) });
    await expectRejects(big, PayloadTooLargeError, "PAYLOAD_TOO_LARGE");
  });

  it("an unknown code: RemoteError keeping the status and the code", async () => {
    const body = { error: { code: "TEAPOT", message: "short and stout" } };
    await using plain = await startPlainApp((_req, res) => sendJson(res, 418, body));
    await using client = createServiceClient({ url: plain.url }, {});
    const error = await expectRejects(client.call("brew"), RemoteError, "REMOTE_ERROR");
    expect(error.status).toBe(418);
    expect(error.data).toEqual({ code: "TEAPOT", body });
  });

  it("a non-JSON error reply: RemoteError with the text", async () => {
    await using plain = await startPlainApp((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<h1>Bad Gateway</h1>");
    });
    await using client = createServiceClient({ url: plain.url }, {});
    const error = await expectRejects(client.call("x"), RemoteError, "REMOTE_ERROR");
    expect(error.status).toBe(502);
    expect(error.data).toEqual({ body: "<h1>Bad Gateway</h1>" });
  });
});
