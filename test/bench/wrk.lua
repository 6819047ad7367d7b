-- wrk's script for the bench (test/bench/lib.mjs): POSTs the bodies of a file, one a line, from a
-- given line on, and counts the answers that carry "return_code":1 (PAYJS failures are HTTP 200).
-- wrk -t1 -cN -dS --latency -s wrk.lua URL -- BODIES PATH START
-- The bodies are read from the file as they are sent, not held in a table: a Lua table of 500k
-- strings made wrk itself pause (LuaJIT's GC walks it), which put ~10 ms on the p99 of every
-- server, the bare one included (docs/benchmarks.md, "The load generator's own p99").
local file, path, n = nil, "/", 0
ok, bad, wrapped, first_bad = 0, 0, 0, "" -- globals: done() reads them with thread:get
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  file = assert(io.open(args[1], "r"))
  for _ in file:lines() do n = n + 1 end
  path = args[2]
  file:seek("set", 0)
  for _ = 1, tonumber(args[3] or "0") % n do file:read("*l") end
end

function request()
  local body = file:read("*l")
  if body == nil then
    file:seek("set", 0)
    body = file:read("*l")
    wrapped = wrapped + 1
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if status == 200 and string.find(body, '"return_code":1', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body, 1, 200) end
  end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local t_ok, t_bad, t_wrapped, t_first = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok"); t_bad = t_bad + t:get("bad"); t_wrapped = t_wrapped + t:get("wrapped")
    if t_first == "" then t_first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format('\nWRK-JSON {"ok":%d,"bad":%d,"wrapped":%d,"requests":%d,"us":%d,"errors":%d,"p50":%d,"p99":%d,"max":%d,"firstBad":%q}\n',
    t_ok, t_bad, t_wrapped, summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    (string.gsub(t_first, '[%c"\\]', ' '))))
end
