import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import { RequestAbortedError, RequestTimeoutError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { countRequests } from "../helpers/observe.js";

/** A delay the echo never reaches: the call can only end by timeout or abort. */
const FOREVER = 60;

describe("per-call options", () => {
  it("timeout: REQUEST_TIMEOUT, and the client keeps working", async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(echo.url);
    const slow = client.echo({ message: "slow", delay: FOREVER }, { timeout: 50 });
    await expectRejects(slow, RequestTimeoutError, "REQUEST_TIMEOUT");
    expect(await client.echo({ message: "next" })).toEqual({ echoed: "next" });
  });

  it("the client's default timeout applies when a call sets none", async () => {
    await using echo = await startEcho();
    await using client = createServiceClient({ url: echo.url, timeout: 50 }, EchoService.tasks);
    const slow = client.echo({ message: "slow", delay: FOREVER });
    await expectRejects(slow, RequestTimeoutError, "REQUEST_TIMEOUT");
  });

  it("signal: aborting a call in flight rejects REQUEST_ABORTED", async () => {
    const service = new EchoService();
    const controller = new AbortController();
    service.app.addHook("onRequest", (request, _reply, done) => {
      if (request.url === "/echo") controller.abort(); // the request has reached the server
      done();
    });
    await using served = await serveOn(service);
    await using client = createServiceClient({ url: served.url }, EchoService.tasks);
    const call = client.echo({ message: "m", delay: FOREVER }, { signal: controller.signal });
    await expectRejects(call, RequestAbortedError, "REQUEST_ABORTED");
  });

  it("signal: an already aborted signal rejects REQUEST_ABORTED and sends nothing", async () => {
    const service = new EchoService();
    const requests = countRequests(service);
    await using served = await serveOn(service);
    await using client = createServiceClient({ url: served.url }, EchoService.tasks);
    const call = client.echo({ message: "m" }, { signal: AbortSignal.abort() });
    await expectRejects(call, RequestAbortedError, "REQUEST_ABORTED");
    expect(requests.count).toBe(0);
  });

  it("headers: extra request headers reach the service", async () => {
    const service = new EchoService();
    const seen: unknown[] = [];
    service.app.addHook("onRequest", (request, _reply, done) => {
      seen.push(request.headers["x-trace"]);
      done();
    });
    await using served = await serveOn(service);
    await using client = createServiceClient({ url: served.url }, EchoService.tasks);
    await client.echo({ message: "m" }, { headers: { "x-trace": "t-1" } });
    expect(seen).toEqual(["t-1"]);
  });
});
