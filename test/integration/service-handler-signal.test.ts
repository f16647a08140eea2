import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import { Service } from "../../src/service/service.js";
import { serveOn, waitFor } from "../helpers/fixtures.js";

/** Records whether each call's signal was aborted, after waiting as long as asked. */
class Patient extends Service {
  readonly outcomes: boolean[] = [];
  constructor() {
    super();
    this.addEndpoint("wait", async (_input, { signal }) => {
      await sleep(20, undefined, { signal }).catch(() => undefined);
      this.outcomes.push(signal.aborted);
      return { aborted: signal.aborted };
    });
    this.addEndpoint("hang", async (_input, { signal }) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      this.outcomes.push(signal.aborted);
      return null;
    });
  }
}

describe("the handler's abort signal", () => {
  it("stays quiet while the caller waits for the reply", async () => {
    await using served = await serveOn(new Patient());
    await using client = createServiceClient({ url: served.url }, {});
    expect(await client.call("wait")).toEqual({ aborted: false });
  });

  it("fires when the caller goes away before the reply", async () => {
    await using served = await serveOn(new Patient());
    await using client = createServiceClient({ url: served.url }, {});
    await expect(client.call("hang", {}, { timeout: 50 })).rejects.toMatchObject({
      code: "REQUEST_TIMEOUT",
    });
    expect(await waitFor(() => served.service.outcomes.length === 1)).toBe(true);
    expect(served.service.outcomes).toEqual([true]);
  });
});
