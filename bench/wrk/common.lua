-- Shared by the scenario scripts: read the token and id list, spread threads, report JSON.
-- Inputs come from the environment the runner sets:
--   BENCH_TOKEN_FILE  a file holding the bearer token (absent for the baseline)
--   BENCH_IDS_FILE    one id per line, shuffled; each thread cycles through it from its own offset
local M = {}

function M.env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error("wrk script: environment variable " .. name .. " is not set")
  end
  return value
end

function M.read_file(path)
  local file = assert(io.open(path, "r"))
  local text = file:read("*a")
  file:close()
  return text
end

function M.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then
      lines[#lines + 1] = line
    end
  end
  assert(#lines > 0, "wrk script: no ids in " .. path)
  return lines
end

-- Sets the Authorization header of every request from BENCH_TOKEN_FILE.
function M.authorize()
  local token = M.read_file(M.env("BENCH_TOKEN_FILE")):gsub("%s+$", "")
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Numbers the threads (in the main state), so that each starts at its own place in the list.
local threads = 0
function M.setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

-- A request() that formats `template` (one %s) with the ids of BENCH_IDS_FILE in turn.
function M.cycle(template)
  local ids = M.read_lines(M.env("BENCH_IDS_FILE"))
  local index = nil
  return function()
    if index == nil then -- thread_index is set by setup(), after the script's top level ran
      local count = tonumber(os.getenv("BENCH_THREADS") or "1")
      index = math.floor(#ids * (thread_index or 0) / count)
    end
    index = index % #ids + 1
    return wrk.format(nil, string.format(template, ids[index]))
  end
end

-- One JSON line the runner parses; latencies in milliseconds.
function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_s":%.3f,"non_2xx":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p90_ms":%.3f,'
      .. '"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end

return M
