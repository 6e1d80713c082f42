-- Shared by every scenario (loaded with dofile): per-thread status counts (and bodies a script
-- found wrong, `bad_bodies`), merged in done() and printed with the latency percentiles as one
-- machine-readable line for run.py.
local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

statuses = {}
bad_bodies = 0 -- responses whose body a script's own response() rejected

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

-- Read a data file (one record a line, fields separated by a tab) into a list of field lists.
function read_records(path)
   local records = {}
   for line in io.lines(path) do
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
      table.insert(records, fields)
   end
   return records
end

function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
   local merged, bad = {}, 0
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses")) do merged[code] = (merged[code] or 0) + n end
      bad = bad + (thread:get("bad_bodies") or 0)
   end
   local parts = {}
   for code, n in pairs(merged) do table.insert(parts, string.format('"%d":%d', code, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"statuses":{%s},"bad_bodies":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ","), bad))
end
