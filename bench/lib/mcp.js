// The MCP figures of issue 9, pinned like the contenders, each with processes of its own:
//   calls       tools/call through the gateway against the same call as plain HTTP through it
//               (bench/lib/mcp-calls.js): req/s ratio (target >= 0.6), CPU per request;
//   tools_list  tools/list time and bytes with 1, 100 and 1,000 apps of 20 endpoints
//               (bench/lib/mcp-list.js).
// `opts.mcp`: null when skipped (--skip-mcp), else overrides of the defaults below. Each figure
// is { status: ok|error|skipped, ... } and never throws; every process is stopped at the end.
import { fileURLToPath } from "node:url";
import { mcpCallFigures } from "./mcp-calls.js";
import { mcpListFigures } from "./mcp-list.js";
import { mcpLoad } from "./mcp-load.js";
import { stopChild } from "./procs.js";
import { round } from "./stats.js";

const GATEWAY = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));
const FIGURES = ["calls", "tools_list"];
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/**
 * The settings of the figures: full 4 rounds of 5 s (quick 3 of 2 s) after a 2 s warm-up (quick
 * 1 s) per variant; tools/list 5 repetitions (quick 3) on 1, 100 and 1,000 apps. Null: skipped.
 */
export function mcpSettings(opts) {
  if (opts.mcp === null) return null;
  const quick = Boolean(opts.quick);
  return {
    rounds: quick ? 3 : 4,
    duration: quick ? 2 : 5,
    warmup: quick ? 1 : 2,
    connections: opts.connections?.at(-1) ?? 32,
    appCounts: [1, 100, 1000],
    listReps: quick ? 3 : 5,
    ...opts.mcp,
  };
}

/** Rough seconds the figures take (for the run's estimate and deadline). */
export function mcpEstimate(opts) {
  const m = mcpSettings(opts);
  if (!m) return 0;
  const calls = 6 + 3 * m.warmup + m.rounds * 3 * (m.duration + 0.5);
  const apps = m.appCounts.reduce((s, n) => s + n, 0);
  const list = 4 + apps * 0.006 + m.listReps * (m.appCounts.length + apps * 0.0015);
  return Math.round(calls + list);
}

/** Placeholders for a run without the figures. */
export function skippedMcp() {
  return Object.fromEntries(
    FIGURES.map((k) => [k, { status: "skipped", note: "--skip-mcp given" }]),
  );
}

async function figure(name, fn, log) {
  const t0 = performance.now();
  const elapsed = () => round((performance.now() - t0) / 1000, 1);
  try {
    return { status: "ok", ...(await fn()), elapsed_s: elapsed() };
  } catch (err) {
    log(`  ${name} figure failed: ${firstLine(err)}`);
    return { status: "error", error: firstLine(err), elapsed_s: elapsed() };
  }
}

/** Run the MCP figures; never throws. `shared` gives the temp folder for the load script. */
export async function mcpFigures({ opts, load, shared, log }) {
  const m = mcpSettings(opts);
  if (!m) return skippedMcp();
  const procs = [];
  const out = {};
  try {
    const how = `${load.tool} @${m.connections}, ${m.rounds} x ${m.duration} s`;
    log(`MCP tools/call vs HTTP through the gateway (${how}):`);
    out.calls = await figure(
      "MCP calls",
      () => {
        const runner = mcpLoad(load, shared.tempDir(), opts.wrkThreads ?? 1);
        return mcpCallFigures({ ...m, gatewayScript: GATEWAY, runner, procs, log });
      },
      log,
    );
    log(`  MCP calls figure took ${out.calls.elapsed_s} s`);
    await Promise.allSettled(procs.splice(0).map((c) => stopChild(c, 5000)));
    log(`MCP tools/list with ${m.appCounts.join(", ")} apps (${m.listReps} repetitions):`);
    out.tools_list = await figure(
      "MCP tools/list",
      () =>
        mcpListFigures({
          appCounts: m.appCounts,
          reps: m.listReps,
          gatewayScript: GATEWAY,
          procs,
          log,
        }),
      log,
    );
    log(`  MCP tools/list figure took ${out.tools_list.elapsed_s} s`);
  } finally {
    await Promise.allSettled(procs.map((c) => stopChild(c, 5000)));
  }
  out.elapsed_s = round(
    FIGURES.reduce((s, k) => s + (out[k]?.elapsed_s ?? 0), 0),
    1,
  );
  return out;
}
