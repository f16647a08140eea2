import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConnectionManager } from "../../src/client/connection-manager.js";
import { RESERVED_CLIENT_MEMBERS, createServiceClient } from "../../src/client/create-client.js";
import { task } from "../../src/contract/task.js";
import { DefinitionError } from "../../src/errors.js";
import { expectThrows } from "../helpers/expect-error.js";

describe("endpoint names and client members", () => {
  it("reserves every member of a live client, instance fields included", async () => {
    await using client = new ConnectionManager({ url: "http://127.0.0.1:9" });
    const members = [
      ...Object.keys(client),
      ...Object.getOwnPropertyNames(ConnectionManager.prototype),
    ];
    expect(members.filter((name) => !RESERVED_CLIENT_MEMBERS.has(name))).toEqual([]);
  });

  it("a typed client refuses a task whose name would shadow a member", () => {
    const tasks = { close: task({ name: "close", output: z.object({}) }) };
    const create = (): unknown => createServiceClient({ url: "http://127.0.0.1:9" }, tasks);
    expectThrows(create, DefinitionError, "DEFINITION_ERROR");
  });

  it("a typed client has one enumerable method per task", async () => {
    const tasks = { first: task({ name: "first" }), second: task({ name: "second" }) };
    await using client = createServiceClient({ url: "http://127.0.0.1:9" }, tasks);
    expect(typeof client.first).toBe("function");
    expect(Object.keys(client)).toEqual(expect.arrayContaining(["first", "second"]));
  });
});
