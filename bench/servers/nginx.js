// nginx contender wrapper: writes a config into a temp dir (one worker, upstream keepalive,
// daemon off, pid/logs/temp paths inside the temp dir, running as the current user), starts
// nginx, waits for its port, prints READY, and stops nginx and removes the dir on shutdown.
// Usage: node bench/servers/nginx.js --backend http://127.0.0.1:PORT [--port 0]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fail, flags, main, onShutdown, ready, required } from "./common.js";

const args = flags(["backend", "port"]);
const backend = new URL(required(args, "backend"));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function config(dir, port) {
  // As root, nginx would drop worker privileges to "nobody": keep the current user instead.
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};` : "";
  return `${user}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  upstream echo_backend {
    server ${backend.hostname}:${backend.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location /echoer/ {
      proxy_pass http://echo_backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

async function waitForPort(port, child, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => resolve(sock.end() && true));
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on ${port} within ${deadlineMs} ms`);
}

main("nginx", async () => {
  const port = Number(args.port ?? 0) || (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), "portico-bench-nginx-"));
  const confPath = path.join(dir, "nginx.conf");
  writeFileSync(confPath, config(dir, port));
  // Own process group, so that a forced stop can take the workers down with the master.
  const nginx = spawn("nginx", ["-p", dir, "-c", confPath, "-e", `${dir}/error.log`], {
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const killGroup = (signal) => {
    try {
      process.kill(-nginx.pid, signal);
    } catch {
      // already gone
    }
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let stopping = false;
  const exited = new Promise((resolve) => nginx.once("exit", resolve));
  nginx.once("error", (err) => {
    cleanup();
    fail("cannot start nginx", err);
  });
  try {
    await waitForPort(port, nginx, 5000);
  } catch (err) {
    let log = "";
    try {
      log = readFileSync(`${dir}/error.log`, "utf8");
    } catch {
      // no log written
    }
    killGroup("SIGKILL");
    cleanup();
    throw new Error(`${err.message}\n${log}`);
  }
  exited.then((code) => {
    if (stopping) return;
    cleanup();
    fail(`nginx exited unexpectedly (code ${code})`);
  });
  onShutdown(async () => {
    stopping = true;
    nginx.kill("SIGTERM");
    await Promise.race([exited, sleep(2000).then(() => killGroup("SIGKILL"))]);
    cleanup();
  });
  ready(`http://127.0.0.1:${port}`);
});
