import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import { DefinitionError, ServiceUnavailableError } from "../../src/errors.js";
import { isAlive, startEcho } from "../helpers/fixtures.js";
import { expectThrows } from "../helpers/expect-error.js";

function rawClient(url: string) {
  return createServiceClient({ url }, {});
}

describe("serve()", () => {
  it("listens on a free loopback port and answers over HTTP", async () => {
    await using echo = await startEcho();
    expect(echo.url).toBe(`http://127.0.0.1:${echo.port}`);
    expect(echo.port).toBeGreaterThan(0);
    expect(echo.service.url).toBe(echo.url);
    await using client = rawClient(echo.url);
    expect(await client.call("echo", { message: "over the wire" })).toEqual({
      echoed: "over the wire",
    });
  });

  it("close() is idempotent, resolves `closed`, and frees the port", async () => {
    const echo = await startEcho();
    await Promise.all([echo.close(), echo.close()]);
    await echo.closed;
    await using client = rawClient(echo.url);
    await expect(client.call("status")).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await client.status()).toEqual({ status: "Down" });
  });

  it("refuses new endpoints once serving (DEFINITION_ERROR)", async () => {
    await using echo = await startEcho();
    const late = (): unknown => echo.service.addEndpoint("late", () => null);
    expectThrows(late, DefinitionError, "DEFINITION_ERROR");
  });
});

describe("the shutdown endpoint", () => {
  it('answers {"shutdown":true} and stops only its own server; this process lives on', async () => {
    await using doomed = await startEcho();
    await using survivor = await startEcho();
    await using client = rawClient(doomed.url);
    expect(await client.call("shutdown")).toEqual({ shutdown: true });
    await doomed.closed;
    expect(await client.status()).toEqual({ status: "Down" });
    await using other = rawClient(survivor.url);
    expect(await other.status()).toEqual({ status: "Available" });
    expect(isAlive(process.pid)).toBe(true);
  });
});
