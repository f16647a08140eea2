import { describe, expect, it } from "vitest";
import { EchoService } from "../../src/samples/echo-service.js";
import { inject, wireError } from "../helpers/inject.js";

const JSON_TYPE = { "content-type": "application/json" };

describe("requests the server refuses", () => {
  it("invalid input: 422 VALIDATION_FAILED with the list of issues", async () => {
    const reply = await inject(new EchoService(), "/echo", { body: { message: 7, delay: -1 } });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      error: {
        code: "VALIDATION_FAILED",
        message: expect.any(String),
        data: {
          issues: expect.arrayContaining([
            expect.objectContaining({ path: ["message"], code: "invalid_type" }),
            expect.objectContaining({ path: ["delay"], code: "too_small" }),
          ]),
        },
      },
    });
  });

  it("an empty body counts as no input (422 for a required key, not 400)", async () => {
    const reply = await inject(new EchoService(), "/echo", { body: "", headers: JSON_TYPE });
    expect(reply.status).toBe(422);
    expect(wireError(reply).data.issues[0].path).toEqual(["message"]);
  });

  it("malformed JSON: 400 BAD_REQUEST", async () => {
    const reply = await inject(new EchoService(), "/echo", { body: "{nope", headers: JSON_TYPE });
    expect(reply.status).toBe(400);
    expect(wireError(reply).code).toBe("BAD_REQUEST");
  });

  it.each(['{"message":"m","__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}'])(
    "a body that would poison prototypes (%s): 400 BAD_REQUEST",
    async (body) => {
      const reply = await inject(new EchoService(), "/echo", { body, headers: JSON_TYPE });
      expect(reply.status).toBe(400);
      expect(wireError(reply).code).toBe("BAD_REQUEST");
    },
  );

  it("unknown endpoint: 404 ENDPOINT_NOT_FOUND", async () => {
    const reply = await inject(new EchoService(), "/nowhere", { body: {} });
    expect(reply.status).toBe(404);
    expect(wireError(reply).code).toBe("ENDPOINT_NOT_FOUND");
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"] as const)(
    "%s on a POST endpoint: 405 METHOD_NOT_ALLOWED with an Allow header",
    async (method) => {
      const reply = await inject(new EchoService(), "/echo", { method });
      expect(reply.status).toBe(405);
      expect(wireError(reply).code).toBe("METHOD_NOT_ALLOWED");
      expect(reply.headers.allow).toBe("POST");
    },
  );

  it.each(["text/plain", "application/xml", "application/x-www-form-urlencoded"])(
    "a %s body: 415 UNSUPPORTED_MEDIA_TYPE",
    async (type) => {
      const reply = await inject(new EchoService(), "/echo", {
        body: "message=hi",
        headers: { "content-type": type },
      });
      expect(reply.status).toBe(415);
      expect(wireError(reply).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it("a body over bodyLimit: 413 PAYLOAD_TOO_LARGE", async () => {
    const service = new EchoService({ bodyLimit: 64 });
    const reply = await inject(service, "/echo", { body: { message: "x".repeat(100) } });
    expect(reply.status).toBe(413);
    expect(wireError(reply).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("a body within bodyLimit is served", async () => {
    const service = new EchoService({ bodyLimit: 64 });
    const reply = await inject(service, "/echo", { body: { message: "short" } });
    expect(reply.body).toEqual({ echoed: "short" });
  });

  it("accepts JSON with a charset parameter", async () => {
    const reply = await inject(new EchoService(), "/echo", {
      body: JSON.stringify({ message: "hi" }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(reply.body).toEqual({ echoed: "hi" });
  });
});
