-- wrk script for benches/run.sh: GET each path of the file named by WRK_PATHS in turn (one
-- path per line; each thread starts at a different offset), count the responses by status,
-- and print machine-readable "WRK <key> <value>" lines when done.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local paths = {}
local next_i = 1
ok, errors = 0, 0

function init(args)
  local file = os.getenv("WRK_PATHS")
  if file then
    for line in io.lines(file) do
      if #line > 0 then table.insert(paths, line) end
    end
  end
  if #paths == 0 then table.insert(paths, "/") end
  next_i = ((tid or 1) - 1) * 97 % #paths + 1
end

function request()
  local p = paths[next_i]
  next_i = next_i % #paths + 1
  return wrk.format("GET", p)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else errors = errors + 1 end
end

function done(summary, latency, requests)
  local good, bad = 0, 0
  for _, t in ipairs(threads) do
    good = good + (t:get("ok") or 0)
    bad = bad + (t:get("errors") or 0)
  end
  local e = summary.errors
  io.write(string.format("WRK requests %d\n", summary.requests))
  io.write(string.format("WRK rps %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("WRK p50_ms %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("WRK p99_ms %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("WRK max_ms %.3f\n", latency.max / 1000))
  io.write(string.format("WRK ok %d\n", good))
  io.write(string.format("WRK non2xx %d\n", bad))
  io.write(string.format("WRK socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
end
