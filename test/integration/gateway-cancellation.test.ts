import { describe, expect, it } from "vitest";
import { RequestAbortedError, RequestTimeoutError } from "../../src/errors.js";
import { waitFor } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("a caller that gives up", () => {
  it("cancels the forwarded request, freeing the app's connection for the next caller", async () => {
    // One socket to the app and a long upstream timeout: only cancellation can free the socket.
    await using stack = await startGatewayStack({ connectionsPerApp: 1, upstreamTimeout: 60_000 });
    await using app = await startPlainApp();
    await stack.gw.registerApp("plain", app.url);
    const plain = stack.gw.app("plain");

    await expectRejects(
      plain.call("hang", {}, { timeout: 200 }),
      RequestTimeoutError,
      "REQUEST_TIMEOUT",
    );
    expect(await waitFor(() => app.abandoned === 1)).toBe(true);

    const controller = new AbortController();
    const aborted = plain.call("hang", {}, { signal: controller.signal });
    expect(await waitFor(() => app.received.filter((r) => r.url === "/hang").length === 2)).toBe(
      true,
    );
    controller.abort();
    await expectRejects(aborted, RequestAbortedError, "REQUEST_ABORTED");
    expect(await waitFor(() => app.abandoned === 2)).toBe(true);

    expect(await plain.call("ok", { after: "cancel" })).toMatchObject({ url: "/ok" });
  });

  it("leaves no listeners behind on a keep-alive connection that carries many calls", async () => {
    await using stack = await startGatewayStack();
    await using app = await startPlainApp();
    await stack.gw.registerApp("plain", app.url);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      for (let i = 0; i < 40; i++) await stack.gw.app("plain").call("ok", { i });
    } finally {
      process.off("warning", onWarning);
    }
    // Sequential calls share the client's keep-alive socket; leaked listeners would warn past 10.
    expect(warnings).toEqual([]);
  });
});
