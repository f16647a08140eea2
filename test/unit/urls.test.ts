import { describe, expect, it } from "vitest";
import { HttpTransport, normalizeUrl } from "../../src/client/transport.js";
import { InvalidOptionsError } from "../../src/errors.js";
import { resolveListenAddress } from "../../src/service/serve.js";
import type { ServeOptions } from "../../src/service/serve.js";
import { expectThrows } from "../helpers/expect-error.js";

describe("client URLs", () => {
  it("drops a trailing slash, query and fragment", () => {
    expect(normalizeUrl("http://127.0.0.1:8080/base/?q=1#f").href).toBe(
      "http://127.0.0.1:8080/base",
    );
  });

  it.each(["not a url", "ftp://127.0.0.1/", "file:///tmp/x"])(
    "refuses %j with INVALID_OPTIONS",
    (url) => {
      expectThrows(() => normalizeUrl(url), InvalidOptionsError, "INVALID_OPTIONS");
    },
  );

  it("keeps a base path for every call", async () => {
    await using transport = new HttpTransport("http://127.0.0.1:9/api/v1/");
    expect(transport.url).toBe("http://127.0.0.1:9/api/v1");
    expect(transport.basePath).toBe("/api/v1");
  });
});

describe("serve addresses", () => {
  it("defaults to a free port on 127.0.0.1", () => {
    expect(resolveListenAddress({})).toEqual({ host: "127.0.0.1", port: 0 });
  });

  it("reads host and port from a URL", () => {
    expect(resolveListenAddress({ url: "http://[::1]:8081" })).toEqual({ host: "::1", port: 8081 });
    expect(resolveListenAddress({ url: "http://localhost" })).toEqual({
      host: "localhost",
      port: 80,
    });
  });

  it.each<ServeOptions>([
    { port: -1 },
    { port: 70000 },
    { port: 1.5 },
    { url: "https://h:1" },
    { url: "::" },
  ])("refuses %j with INVALID_OPTIONS", (options) => {
    expectThrows(() => resolveListenAddress(options), InvalidOptionsError, "INVALID_OPTIONS");
  });
});
