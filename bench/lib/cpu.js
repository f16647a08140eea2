// CPU time of server processes, read from /proc (Linux only), to report each proxy's CPU time per
// forwarded request. A "process" here is a root pid and all its descendants (nginx's master and
// worker under the bench wrapper), each summed over its threads (V8's GC and libuv threads work
// too). Source: /proc/<pid>/task/<tid>/schedstat (first field: ns on CPU), or, when the kernel
// has no schedstat, utime + stime of /proc/<pid>/stat in clock ticks (10 ms resolution at 100 Hz).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";

const read = (file) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null; // the process or thread is gone
  }
};

function clockTicks() {
  const res = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5000 });
  const n = Number(res.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

const HAS_PROC = existsSync("/proc/self/stat");
const HAS_SCHEDSTAT = HAS_PROC && existsSync("/proc/self/task") && read("/proc/self/schedstat");
const TICKS = HAS_PROC && !HAS_SCHEDSTAT ? clockTicks() : null;

/** How CPU time is read here, for the results file; null when /proc is not available. */
export const CPU_SOURCE = !HAS_PROC
  ? null
  : HAS_SCHEDSTAT
    ? "/proc/<pid>/task/*/schedstat (ns on CPU, summed over threads and child processes)"
    : `/proc/<pid>/stat utime+stime (clock ticks, CLK_TCK=${TICKS}; with child processes)`;

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid) {
  const text = read(`/proc/${pid}/stat`);
  if (!text) return null;
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** `roots` and every live descendant of them. */
export function processTree(roots) {
  const parentOf = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields) parentOf.set(Number(entry), Number(fields[1])); // field 4: ppid
  }
  const tree = new Set(roots.filter((pid) => parentOf.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/** Nanoseconds on CPU of one process (all its threads). */
function processCpuNs(pid) {
  if (HAS_SCHEDSTAT) {
    let ns = 0;
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return 0;
    }
    for (const tid of tids)
      ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(" ")[0] ?? 0);
    return ns;
  }
  const fields = statFields(pid);
  if (!fields) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1e9) / TICKS; // fields 14, 15
}

/**
 * Nanoseconds on CPU so far of the processes rooted at `roots` (their descendants included), or
 * null when /proc is not available or there is nothing to read.
 */
export function cpuNs(roots) {
  if (!HAS_PROC || roots.length === 0) return null;
  return processTree(roots).reduce((sum, pid) => sum + processCpuNs(pid), 0);
}

const perRequest = (after, before, requests) =>
  after === null || before === null || !(requests > 0)
    ? null
    : Math.round(((after - before) / 1e3 / requests) * 1000) / 1000;

/**
 * Start a CPU meter on a contender's processes ({ pids, backendPids, storePids? }); the returned
 * function, called with the requests the round served, gives { proxy_us_per_req,
 * backend_us_per_req } (microseconds of CPU per request; null for a contender without proxy
 * process, or off Linux), and `store_us_per_req` when the contender has a store process.
 */
export function cpuMeter({ pids, backendPids, storePids = [] }) {
  const proxy = cpuNs(pids);
  const backend = cpuNs(backendPids);
  const store = storePids.length > 0 ? cpuNs(storePids) : null;
  return (requests) => {
    const out = {
      proxy_us_per_req: perRequest(cpuNs(pids), proxy, requests),
      backend_us_per_req: perRequest(cpuNs(backendPids), backend, requests),
    };
    if (storePids.length > 0) out.store_us_per_req = perRequest(cpuNs(storePids), store, requests);
    return out;
  };
}
