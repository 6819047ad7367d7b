-- wrk's script for the bench (test/bench/lib.mjs): POSTs the bodies of a file, one a line, from a
-- given line on, and counts the answers that carry "return_code":1 (PAYJS failures are HTTP 200).
-- wrk -t1 -cN -dS --latency -s wrk.lua URL -- BODIES PATH START
local bodies, path, i, n = {}, "/", 0, 0
ok, bad, wrapped, first_bad = 0, 0, 0, "" -- globals: done() reads them with thread:get
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  path = args[2]
  n = #bodies
  i = tonumber(args[3] or "0") % n
end

function request()
  i = i + 1
  if i > n then i = 1; wrapped = wrapped + 1 end
  return wrk.format("POST", path, headers, bodies[i])
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
