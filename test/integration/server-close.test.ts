/**
 * A closing server does not wait for connections that never sent a request (clients such as
 * fetch open spare ones): nothing is in flight on them. Before, `close()` waited until the
 * client's own keep-alive (or the server's headers timeout) ended them.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { EchoService } from "../../src/samples/echo-service.js";
import { Gateway } from "../../src/gateway/gateway.js";

function openIdle(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("closing a server with connections that never sent a request", () => {
  it.each([
    ["a service", () => new EchoService({ headersTimeout: 60_000, requestTimeout: 120_000 })],
    [
      "a gateway",
      () => new Gateway({ health: false, headersTimeout: 60_000, requestTimeout: 120_000 }),
    ],
  ])(
    "%s closes them and stops (well before its 60 s headers timeout)",
    async (_label, make) => {
      const served = await make().serve();
      const idle = await Promise.all([openIdle(served.url), openIdle(served.url)]);
      const ended = idle.map((socket) => new Promise((resolve) => socket.once("close", resolve)));
      // A used keep-alive connection next to them: fastify closes idle ones itself.
      const reply = await fetch(`${served.url}/status`);
      expect(reply.status).toBe(200);
      await served.close(); // the test's own timeout (well under 60 s) fails it when it waits
      await Promise.all(ended);
      for (const socket of idle) expect(socket.destroyed).toBe(true);
    },
    20_000,
  );
});
