-- wrk script of the stateless scenarios (bench/run.mjs sets the environment):
--   BENCH_BODY      the form body (POST)
--   BENCH_AUTH_FILE one Authorization header value a line: each request takes the next (1000 clients)
--   BENCH_AUTH      one Authorization header value for every request
--   BENCH_TOKEN_FILE one token a line: each request introspects the next (body "token=<line>")
--   BENCH_DELAY_MS  the mean pause before each request on a connection, exponential (a paced run, below saturation)
-- Every answer but 2xx is an error (wrk counts them in errors.status); for introspection the answers
-- with "active":true are counted, so the harness checks the active share. done() prints one JSON line.
local auths, tokens = {}, {}
local nextAuth, nextToken = 0, 0
active, answers = 0, 0 -- globals: read by done() through thread:get
local body = os.getenv("BENCH_BODY") or ""
local auth = os.getenv("BENCH_AUTH")
local threads = {}

local function lines(path)
  local out = {}
  if path and path ~= "" then for line in io.lines(path) do out[#out + 1] = line end end
  return out
end

function setup(thread) table.insert(threads, thread) end

function init(args)
  auths = lines(os.getenv("BENCH_AUTH_FILE"))
  tokens = lines(os.getenv("BENCH_TOKEN_FILE"))
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/x-www-form-urlencoded"
  if auth then wrk.headers["authorization"] = auth end
end

function request()
  local b = body
  if #auths > 0 then
    nextAuth = nextAuth % #auths + 1
    wrk.headers["authorization"] = auths[nextAuth]
  end
  if #tokens > 0 then
    nextToken = nextToken % #tokens + 1
    b = "token=" .. tokens[nextToken]
  end
  return wrk.format(nil, nil, nil, b)
end

local delayMs = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delayMs then
  -- An exponential pause of mean BENCH_DELAY_MS (independent clients: the arrivals of many connections
  -- are then close to a Poisson stream). A fixed pause kept the connections in step with whatever
  -- answers them in groups: a server that answers a batch of requests at once (ours, on the batch's
  -- acknowledgement by Kafka) got them back as one wave 20 ms later, each queued behind the others.
  math.randomseed(os.time())
  function delay() return -delayMs * math.log(1 - math.random()) end
end

if os.getenv("BENCH_TOKEN_FILE") then
  function response(status, headers, responseBody)
    answers = answers + 1
    if status == 200 and string.find(responseBody, '"active":true', 1, true) then active = active + 1 end
  end
end

function done(summary, latency, requests)
  local a, n = 0, 0
  for _, thread in ipairs(threads) do
    a = a + (thread:get("active") or 0)
    n = n + (thread:get("answers") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"p50":%.3f,"p99":%.3f,"max":%.3f,"non2xx":%d,"socketErrors":%d,"active":%d,"answers":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, a, n))
end
