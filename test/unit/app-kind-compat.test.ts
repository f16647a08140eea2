/**
 * Clients read an app kind they do not know (one a later gateway added) as none, rather than
 * refusing the whole list of apps: issues 8 and 9 each added a kind ("openapi", "mcp").
 */
import { describe, expect, it } from "vitest";
import { gatewayTasks } from "../../src/gateway/tasks.js";

describe("an app kind this client does not know", () => {
  it("reads as none, and the rest of the app (and of the list) as sent", () => {
    const reply = {
      apps: [
        { name: "later", url: "http://127.0.0.1:1", endpoints: {}, kind: "grpc" },
        { name: "known", url: "http://127.0.0.1:2", endpoints: {}, kind: "mcp", mcp: "/mcp" },
      ],
      revision: 3,
    };
    const parsed = gatewayTasks.list_apps_with_schemas.output.parse(reply);
    expect(parsed.apps[0]).toEqual({ name: "later", url: "http://127.0.0.1:1", endpoints: {} });
    expect(parsed.apps[1]).toMatchObject({ name: "known", kind: "mcp", mcp: "/mcp" });
    expect(parsed.revision).toBe(3);
  });
});
