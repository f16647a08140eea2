/**
 * A real `redis-server` for tests: a child process on a free loopback port, with no persistence
 * (`--save "" --appendonly no`) unless asked for, ready once it answers PING, killed on dispose. Tests that need it
 * skip when `redis-server` is not installed, unless PORTICO_REQUIRE_REDIS is set (CI), where its
 * absence is a failure.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants } from "node:fs";
import { createConnection, createServer } from "node:net";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";

/** True when a `redis-server` executable is on the PATH. */
export function hasRedisServer(): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, "redis-server"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when the environment demands the Redis tests run (PORTICO_REQUIRE_REDIS set, not 0). */
export function redisRequired(): boolean {
  const value = process.env.PORTICO_REQUIRE_REDIS;
  return value !== undefined && value !== "" && value !== "0";
}

/** A running test server. */
export interface RedisServer extends AsyncDisposable {
  readonly port: number;
  /** `redis://127.0.0.1:<port>/0`. */
  readonly url: string;
  /** Kills the server (SIGKILL: its data is gone) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty, unless persistent) and waits for PING. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
}

/** Options of a test server. */
export interface RedisServerOptions {
  /**
   * Keep the data in an append-only file in this folder (fsync on every write), so that a server
   * killed and restarted finds it again. Default: no persistence.
   */
  persistDir?: string;
}

/** Starts `redis-server` on a free loopback port and waits until it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await serverOn(port, options.persistDir);
    } catch (error) {
      if (attempt === 3) throw error; // The port was taken between the probe and the spawn.
    }
  }
}

async function serverOn(port: number, persistDir?: string): Promise<RedisServer> {
  let child = await spawnReady(port, persistDir);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    kill,
    restart: async () => {
      await kill();
      child = await spawnReady(port, persistDir);
    },
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    [Symbol.asyncDispose]: kill,
  };
}

async function spawnReady(port: number, persistDir?: string): Promise<ChildProcess> {
  const persistence = persistDir
    ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", persistDir]
    : ["--appendonly", "no"];
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  // A test process that dies without disposing must not leave the server running.
  const reap = (): void => void child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.off("exit", reap));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000)));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await answersPing(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server on port ${port} did not answer PING:\n${output}`);
}

/** Sends PING over a raw socket; true on +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** A port nothing listens on now (the kernel's pick for 127.0.0.1:0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * Call once at the top of a test file that needs Redis: true when `redis-server` is installed.
 * When it is not, says so loudly (the tests of `what` are skipped), and when PORTICO_REQUIRE_REDIS
 * is set (CI) adds a failing test instead.
 */
export function redisForTests(what: string): boolean {
  const installed = hasRedisServer();
  if (!installed && !redisRequired()) {
    console.warn(
      `\n*** SKIPPED ${what}: redis-server is not on the PATH. Install it (apt-get install ` +
        "redis-server) or set PORTICO_REQUIRE_REDIS=1 to make its absence fail. ***\n",
    );
  }
  describe.runIf(redisRequired())("the Redis tests, required by PORTICO_REQUIRE_REDIS", () => {
    it("find redis-server on the PATH", () => {
      expect(installed, "redis-server is not installed but PORTICO_REQUIRE_REDIS is set").toBe(
        true,
      );
    });
  });
  return installed;
}
