import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import { ServiceUnavailableError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { deadUrl } from "../helpers/observe.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";

describe("connect()", () => {
  it("resolves a client whose url is the service's, without a trailing slash", async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(`${echo.url}/`);
    expect(client.url).toBe(echo.url);
  });

  it.each([
    ["EchoService", EchoService],
    ["Service", Service],
  ])("%s.connect to a dead URL rejects ServiceUnavailableError naming it", async (_name, cls) => {
    const url = await deadUrl();
    const connecting = cls.connect(url);
    const error = await expectRejects(connecting, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    expect(error.data).toEqual({ url, status: "Down" });
  });

  it("rejects a plain HTTP server that is not a Portico service", async () => {
    await using plain = await startPlainApp((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<h1>Not here</h1>");
    });
    const connecting = EchoService.connect(plain.url);
    await expectRejects(connecting, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
  });

  it("rejects a JSON server whose status reply is not a Portico status", async () => {
    await using plain = await startPlainApp((_req, res) => sendJson(res, 200, { ok: true }));
    const connecting = Service.connect(plain.url);
    const error = await expectRejects(connecting, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    expect(error.data).toEqual({ url: plain.url });
  });

  it("rejects a service that is stopping, saying so in data", async () => {
    await using echo = await startEcho();
    await echo.service.close(); // Stopping, while its server still answers
    const connecting = EchoService.connect(echo.url);
    const error = await expectRejects(connecting, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    expect(error.data).toEqual({ url: echo.url, status: "Stopping" });
  });
});

describe("a client of a dead URL", () => {
  it('status() resolves {status:"Down"}', async () => {
    await using client = createServiceClient({ url: await deadUrl() }, EchoService.tasks);
    expect(await client.status()).toEqual({ status: "Down" });
  });

  it("calls reject SERVICE_UNAVAILABLE (connection refused)", async () => {
    await using client = createServiceClient({ url: await deadUrl() }, EchoService.tasks);
    const call = client.echo({ message: "anyone?" });
    const error = await expectRejects(call, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    expect(error.retryable).toBe(true);
  });
});
