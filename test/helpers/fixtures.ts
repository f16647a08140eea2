/**
 * Disposable test fixtures: real servers on 127.0.0.1 with free ports, closed by `await using`.
 */
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { EchoService, echoTask } from "../../src/samples/echo-service.js";
import type { Service, ServiceOptions } from "../../src/service/service.js";
import type { ServedService } from "../../src/service/serve.js";

/** A served service plus its instance. */
export interface Running<S extends Service> extends ServedService {
  service: S;
}

/** Serves `service` on a free loopback port. */
export async function serveOn<S extends Service>(service: S): Promise<Running<S>> {
  const served = await service.serve({ host: "127.0.0.1", port: 0 });
  return Object.assign(served, { service });
}

/** An EchoService served in-process. */
export function startEcho(options?: ServiceOptions): Promise<Running<EchoService>> {
  return serveOn(new EchoService(options));
}

/** A Gateway served in-process. */
export function startGateway(options?: GatewayOptions): Promise<Running<Gateway>> {
  return serveOn(new Gateway(options));
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 25 ms until it returns true or `ms` pass. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** The `detailed_endpoints` entry of EchoService's `echo`, as every service must publish it. */
export const ECHO_DESCRIPTOR = {
  name: "echo",
  path: "/echo",
  methods: ["POST"],
  input_schema: echoTask.inputJsonSchema,
  output_schema: echoTask.outputJsonSchema,
  description: echoTask.description,
};
