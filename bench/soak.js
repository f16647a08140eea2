// Soak test (npm run soak): an echo backend and a Portico gateway with adminToken and callToken
// set (Host checks are always on for a loopback bind), each its own process on 127.0.0.1; the
// backend is registered with the admin token, the gateway is checked to refuse calls without
// the caller token, then autocannon (in this process) drives N connections through the gateway
// with the caller token: a warm-up, then the measured run. Prints requests, errors, latency,
// the gateway's RSS after the warm-up and at the end, and exits 1 when there was any error or
// the RSS grew by 20 MB or more. Bounded in time; every child is stopped on exit and on Ctrl+C.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { cpuMeter } from "./lib/cpu.js";
import { installCleanup, startServer, stopAll } from "./lib/procs.js";
import { callerHeaders, checkSecured, newTokens, securedEnv } from "./lib/secured.js";
import { BACKEND, BODY, verify } from "./lib/setup.js";

const GATEWAY = fileURLToPath(new URL("./servers/portico-gateway.js", import.meta.url));
const OUT = fileURLToPath(new URL("./results/soak.json", import.meta.url));
const PATH = "/echoer/echo";
const MAX_GROWTH_MB = 20;
/** Both RSS readings are taken this long after the load stops, so that they compare alike. */
const SETTLE_MS = 2000;
const USAGE = `usage: node bench/soak.js [options]   (npm run soak -- [options])
  --connections N   concurrent connections (default 50, at most 1000)
  --duration S      measured seconds (default 60, at most 3600)
  --warmup S        warm-up seconds before the first RSS reading (default 10, at most 600)
  --out FILE        results file (default bench/results/soak.json)
Exits 1 when a request failed (non-2xx, socket error, timeout) or the gateway's RSS grew by
${MAX_GROWTH_MB} MB or more between the end of the warm-up and the end of the run.`;

const log = (line) => process.stdout.write(`${line}\n`);

function parseOptions(argv = process.argv.slice(2)) {
  const options = { help: { type: "boolean" }, out: { type: "string" } };
  for (const n of ["connections", "duration", "warmup"]) options[n] = { type: "string" };
  const { values: a } = parseArgs({ args: argv, options, strict: true });
  const int = (name, fallback, min, max) => {
    const n = Number(a[name] ?? fallback);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  return {
    help: Boolean(a.help),
    connections: int("connections", 50, 1, 1000),
    duration: int("duration", 60, 1, 3600),
    warmup: int("warmup", 10, 0, 600),
    out: a.out ?? OUT,
  };
}

/** A /proc/<pid>/status field in MB (VmRSS, VmHWM), or null off Linux or once the pid is gone. */
function memMb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * Drive `url` for `duration` s with autocannon; RSS of `pid` sampled every 5 s. Resolves to the
 * figures of the run; the first failed request (status or socket error) is kept for the report.
 */
function drive({ url, headers, connections, duration, pid }) {
  const samples = [];
  const sampler = setInterval(() => samples.push(memMb(pid, "VmRSS")), 5000);
  let firstError = null;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: BODY,
        connections,
        duration,
        pipelining: 1,
        timeout: 10,
      },
      (err, result) => {
        clearInterval(sampler);
        if (err) reject(err);
        else resolve({ result, firstError, rss_samples_mb: samples });
      },
    );
    instance.on("response", (_client, status) => {
      if ((status < 200 || status > 299) && !firstError) firstError = `status ${status}`;
    });
    instance.on("reqError", (err) => {
      if (!firstError) firstError = String(err?.message ?? err);
    });
  });
}

/** The figures of one autocannon run, in the results' shape. */
function figures({ result, firstError, rss_samples_mb }) {
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    requests: result.requests.total,
    rps: Math.round(result.requests.total / (result.duration || 1)),
    errors,
    non2xx: result.non2xx,
    socket_errors: result.errors,
    timeouts: result.timeouts,
    first_error: firstError,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    status_codes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]),
    ),
    rss_samples_mb,
  };
}

async function startStack(tokens) {
  const backend = await startServer("echo backend", BACKEND);
  await verify(`${backend.url}/echo`);
  const args = ["--backend", backend.url, "--secured"];
  const gateway = await startServer("gateway", GATEWAY, args, 20_000, securedEnv(tokens));
  const probes = await checkSecured({
    origin: gateway.url,
    path: PATH,
    body: BODY,
    backendUrl: backend.url,
    tokens,
  });
  await verify(`${gateway.url}${PATH}`, callerHeaders(tokens));
  log(`backend ${backend.url} (pid ${backend.child.pid})`);
  log(`gateway ${gateway.url} (pid ${gateway.child.pid}): adminToken and callToken set;`);
  log(`  ${probes} probes without or with wrong tokens / a foreign Host refused as expected`);
  return { backend, gateway };
}

function printReport(r) {
  const m = r.measured;
  log(`\nsoak: ${r.connections} connections for ${r.duration_s} s (after ${r.warmup_s} s warm-up)`);
  log(`  requests   ${m.requests} (${m.rps} req/s)`);
  const detail = `non-2xx ${m.non2xx}, socket errors ${m.socket_errors}, timeouts ${m.timeouts}`;
  log(`  errors     ${r.errors} (measured: ${detail}; warm-up: ${r.warmup?.errors ?? 0})`);
  if (r.first_error) log(`  first error: ${r.first_error}`);
  log(`  latency    p50 ${m.p50_ms} ms, p99 ${m.p99_ms} ms, max ${m.max_ms} ms (autocannon)`);
  log(`  gateway CPU per request: ${r.gateway_cpu_us_per_req ?? "n/a"} us`);
  const g = r.rss_mb;
  log(`  gateway RSS after warm-up ${g.after_warmup} MB, at the end ${g.end} MB`);
  log(`  RSS growth ${g.growth} MB (limit < ${MAX_GROWTH_MB} MB); peak (VmHWM) ${g.peak} MB`);
  log(`  RSS every 5 s: ${m.rss_samples_mb.join(", ")}`);
  log(`\n${r.pass ? "PASS" : "FAIL"}: ${r.verdict}`);
}

async function main(opts) {
  const started = new Date();
  const tokens = newTokens();
  const { gateway } = await startStack(tokens);
  const pid = gateway.child.pid;
  const base = {
    url: `${gateway.url}${PATH}`,
    headers: callerHeaders(tokens),
    connections: opts.connections,
    pid,
  };
  let warmup = null;
  if (opts.warmup > 0) {
    log(`warm-up: ${opts.connections} connections for ${opts.warmup} s`);
    warmup = figures(await drive({ ...base, duration: opts.warmup }));
  }
  await sleep(SETTLE_MS);
  const rssAfterWarmup = memMb(pid, "VmRSS");
  log(`gateway RSS after warm-up: ${rssAfterWarmup} MB; soak: ${opts.duration} s`);
  const meter = cpuMeter({ pids: [pid], backendPids: [] });
  const measured = figures(await drive({ ...base, duration: opts.duration }));
  const cpu = meter(measured.requests).proxy_us_per_req;
  await sleep(SETTLE_MS);
  const rssEnd = memMb(pid, "VmRSS");
  const growth =
    rssEnd === null || rssAfterWarmup === null
      ? null
      : Math.round((rssEnd - rssAfterWarmup) * 10) / 10;
  const errors = measured.errors + (warmup?.errors ?? 0);
  const problems = [];
  if (errors > 0) problems.push(`${errors} failed requests`);
  if (growth === null) problems.push("gateway RSS not readable (/proc/<pid>/status)");
  else if (growth >= MAX_GROWTH_MB) problems.push(`RSS grew ${growth} MB`);
  const finished = new Date();
  const result = {
    schema: 1,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    connections: opts.connections,
    duration_s: opts.duration,
    warmup_s: opts.warmup,
    gateway: { security: "adminToken + callToken, Host check (loopback bind)", path: PATH },
    errors,
    first_error: measured.first_error ?? warmup?.first_error ?? null,
    measured,
    warmup,
    gateway_cpu_us_per_req: cpu === null ? null : Math.round(cpu * 10) / 10,
    rss_mb: { after_warmup: rssAfterWarmup, end: rssEnd, growth, peak: memMb(pid, "VmHWM") },
    max_growth_mb: MAX_GROWTH_MB,
    pass: problems.length === 0,
    verdict:
      problems.length === 0
        ? `0 errors, RSS growth ${growth} MB < ${MAX_GROWTH_MB} MB`
        : problems.join("; "),
  };
  printReport(result);
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${opts.out}`);
  return result.pass;
}

let opts;
try {
  opts = parseOptions();
} catch (err) {
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (opts.help) {
  log(USAGE);
  process.exit(0);
}
// Start-up (~5 s), warm-up, run, and slack for a stalled request (timeout 10 s) and shutdown.
installCleanup((opts.warmup + opts.duration + 60) * 1000);
main(opts)
  .then(async (pass) => {
    await stopAll();
    process.exit(pass ? 0 : 1);
  })
  .catch(async (err) => {
    process.stderr.write(`soak failed: ${err.stack ?? err}\n`);
    await stopAll();
    process.exit(1);
  });
