// Resources the contenders and the change-feed figures share within one run: a redis-server the
// harness starts itself (free 127.0.0.1 port, no persistence: `--save "" --appendonly no`),
// started on first use and stopped at the end, and a temporary folder for SQLite files.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { adopt, stopChild } from "./procs.js";

/** True when `redis-server` is an executable on the PATH. */
export function hasRedisServer() {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, "redis-server"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const NO_REDIS = "redis-server is not on the PATH: skipped";

/** A port nothing listens on now (the kernel's pick for 127.0.0.1:0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** PING over a raw socket: true on +PONG. */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** Spawn redis-server on `port` and resolve to its child once it answers PING (10 s at most). */
async function spawnRedis(port) {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = adopt(spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  const keep = (d) => (output = (output + d).slice(-2000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    if (await answersPing(port)) return child;
    await sleep(25);
  }
  await stopChild(child, 500);
  throw new Error(`redis-server on port ${port} did not answer PING: ${output.trim().slice(-300)}`);
}

/** The shared resources of one run; `close()` stops redis-server and removes the temp folder. */
export function createShared() {
  let redis = null;
  let dir = null;
  return {
    /** The run's redis-server: resolves to { port, url(db), pid, version }; started once. */
    redis() {
      redis ??= (async () => {
        if (!hasRedisServer()) throw new Error(NO_REDIS);
        for (let attempt = 1; ; attempt++) {
          const port = await freePort();
          try {
            const child = await spawnRedis(port);
            const url = (db = 0) => `redis://127.0.0.1:${port}/${db}`;
            return { port, url, pid: child.pid, child };
          } catch (err) {
            if (attempt === 3) throw err; // the port was taken between the probe and the spawn
          }
        }
      })();
      return redis;
    },
    /** A folder for this run's SQLite files, removed by close() (and at exit). */
    tempDir() {
      if (dir === null) {
        dir = mkdtempSync(join(tmpdir(), "portico-bench-"));
        const path = dir;
        process.once("exit", () => rmSync(path, { recursive: true, force: true }));
      }
      return dir;
    },
    /** A fresh SQLite registry URL in the temp folder. */
    sqliteUrl(name) {
      return `sqlite://${join(this.tempDir(), `${name}.db`)}`;
    },
    async close() {
      const started = redis;
      redis = null;
      if (started) await started.then((r) => stopChild(r.child, 1000)).catch(() => undefined);
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
  };
}
