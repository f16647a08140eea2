-- wrk script for the benchmark: POSTs the JSON body from $BENCH_BODY and prints one line
-- "JSON {...}" with requests/s and latency percentiles in microseconds (wrk's resolution).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"message":"hello world from the benchmark","delay":0}'
wrk.headers["Content-Type"] = "application/json"
-- Extra headers (e.g. a bearer token) from $BENCH_HEADERS, a flat JSON object of plain strings
-- (bench/lib/load.js refuses values that would need JSON escaping).
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", '"([^"]+)"%s*:%s*"([^"]*)"') do
  wrk.headers[name] = value
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'JSON {"requests":%d,"duration_s":%.6f,"rps":%.2f,"p50_us":%d,"p99_us":%d,' ..
      '"mean_us":%.2f,"max_us":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max, errors, e.status))
end
