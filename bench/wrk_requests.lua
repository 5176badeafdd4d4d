-- wrk script for the bench: closed-loop load with a fresh request body per request.
-- BENCH_METHOD, BENCH_PATH, BENCH_RUN (unique per run), BENCH_AUTH (a bearer token or empty), and for redemptions BENCH_CODES (a file of pay
-- codes, one per line; each wrk thread takes every n-th) with BENCH_SHOP and BENCH_ITEM. The summary is printed as
-- one JSON line (latencies in microseconds) for bench/load.py to read.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH")
  headers = { ["Content-Type"] = "application/json" }
  local auth = os.getenv("BENCH_AUTH") or ""
  if auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  codes = {}
  local file = os.getenv("BENCH_CODES")
  if file and file ~= "" then
    local n, stride = 0, tonumber(os.getenv("BENCH_THREADS"))
    for line in io.lines(file) do
      if n % stride == index then table.insert(codes, line) end
      n = n + 1
    end
  end
  prefix = string.format("wrk-%s-%d-", os.getenv("BENCH_RUN"), index) -- keys never repeat across runs
  shop, item = os.getenv("BENCH_SHOP"), os.getenv("BENCH_ITEM")
end

function request()
  counter = counter + 1
  if #codes == 0 then return wrk.format(method, path, headers, nil) end
  local code = codes[counter]
  if code == nil then code = "1000000000000000000" end -- ran out: refused with 404, counted as an error
  headers["Idempotency-Key"] = prefix .. counter
  local body = string.format('{"pay_code":"%s","shop_id":%s,"items":[{"item_id":%s,"quantity":1}]}', code, shop, item)
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
