-- wrk_bodies.lua — POST /v1/secrets with a different body per request, for a real tkmsd
-- whose dev-ecdsa replay cache accepts each challenge nonce once (bench/bench_rss.py).
--
--   wrk -t T -c C -d S -s bench/wrk_bodies.lua URL -- BODIES_FILE T
--
-- BODIES_FILE holds one JSON body per line (`bench_node --bodies`); wrk thread k of T
-- sends lines k+1, k+1+T, k+1+2T, … so no two threads share a nonce. A thread that runs
-- out of lines starts over: those requests are replays (401) and show up as non2xx, so
-- make enough bodies for the rate times the duration. done() prints one line (ok_rps:
-- the 2xx answers per second):
--   requests=N non2xx=E rps=R ok_rps=O p50_ms=X p99_ms=Y socket_errors=S
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local bodies = {}
local next_body = 1

function init(args)
  local path, step = args[1], tonumber(args[2])
  local index = thread_index or 0
  local line_number = 0
  for line in io.lines(path) do
    if line_number % step == index then
      bodies[#bodies + 1] = line
    end
    line_number = line_number + 1
  end
  assert(#bodies > 0, "no bodies for this thread in " .. path)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("requests=%d non2xx=%d rps=%.1f ok_rps=%.1f p50_ms=%.3f p99_ms=%.3f "
    .. "socket_errors=%d\n", summary.requests, e.status, summary.requests / seconds,
    (summary.requests - e.status) / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout))
end
