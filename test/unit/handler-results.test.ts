import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { Service } from "../../src/service/service.js";
import { FaultyService } from "../helpers/faulty-service.js";
import { inject, wireError } from "../helpers/inject.js";
import { WIRE_ERROR_CLASSES } from "../helpers/wire-errors.js";
import { ERROR_CODES } from "../../src/errors.js";
import type { ErrorCode } from "../../src/errors.js";

describe("what a handler returns or throws, on the wire", () => {
  it("a thrown Error: 500 INTERNAL_ERROR, and the next call is served", async () => {
    const service = new FaultyService();
    const crashed = await inject(service, "/crash");
    expect(crashed.status).toBe(500);
    expect(wireError(crashed).code).toBe("INTERNAL_ERROR");
    expect((await inject(service, "/status")).body).toEqual({ status: "Available" });
    expect((await inject(service, "/text")).status).toBe(200);
  });

  it("an output its schema rejects: 500 OUTPUT_VALIDATION_FAILED with the issues", async () => {
    const reply = await inject(new FaultyService(), "/bad_output");
    expect(reply.status).toBe(500);
    expect(wireError(reply).code).toBe("OUTPUT_VALIDATION_FAILED");
    expect(wireError(reply).data.issues[0].path).toEqual(["count"]);
  });

  it.each(Object.keys(WIRE_ERROR_CLASSES))(
    "a thrown %s keeps its code, status and data",
    async (code) => {
      const reply = await inject(new FaultyService(), "/fail", { body: { code } });
      expect(reply.status).toBe(ERROR_CODES[code as ErrorCode].status);
      expect(wireError(reply)).toMatchObject({ code, data: { code } });
    },
  );

  it("a thrown local error (never sent as such): 500 INTERNAL_ERROR naming its code", async () => {
    const reply = await inject(new FaultyService(), "/local_error");
    expect(reply.status).toBe(500);
    expect(wireError(reply)).toMatchObject({
      code: "INTERNAL_ERROR",
      data: { cause: "REQUEST_TIMEOUT" },
    });
  });

  it("undefined with no output schema: 204 and no body", async () => {
    const reply = await inject(new FaultyService(), "/nothing");
    expect(reply.status).toBe(204);
    expect(reply.text).toBe("");
  });

  it("a bare string is still a JSON reply", async () => {
    const reply = await inject(new FaultyService(), "/text");
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(reply.body).toBe("plain words");
  });
});

const noteTask = task({
  name: "note",
  input: z.object({ text: z.string(), priority: z.number().default(3) }),
  output: z.object({ text: z.string(), priority: z.number() }),
});

class NoteService extends Service {
  received: unknown[] = [];
  constructor() {
    super();
    this.addEndpoint(noteTask, (input) => {
      this.received.push(input);
      return { ...input, internal: "not for callers" };
    });
  }
}

describe("parsing on the server", () => {
  it("hands the handler its input with defaults applied and unknown keys removed", async () => {
    const service = new NoteService();
    await inject(service, "/note", { body: { text: "t", extra: true } });
    expect(service.received).toEqual([{ text: "t", priority: 3 }]);
  });

  it("sends the output shaped by its schema (unknown keys removed)", async () => {
    const reply = await inject(new NoteService(), "/note", { body: { text: "t" } });
    expect(reply.body).toEqual({ text: "t", priority: 3 });
  });
});
