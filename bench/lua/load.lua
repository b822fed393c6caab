-- wrk script for every web benchmark (bench/load.py builds the arguments).
--   wrk ... -s load.lua URL -- METHOD EXPECTED_STATUS QUOTA PREFIX COOKIE BODY SIGNAL_DIR THREADS
-- GET: the URL's path, again and again. POST: BODY (form-encoded) with "{email}" replaced by an
-- address new for every request, so each POST is a new sign-up. QUOTA > 0: each thread sends that
-- many POSTs, then cheap GETs of a path that answers 404 (not counted) until every thread's POSTs
-- are answered (each says so with a file in SIGNAL_DIR), then all stop together: a thread that
-- stopped alone would leave half-open connections that hold gunicorn's sync workers until their
-- timeout. done() prints one line "BENCH-JSON {...}" for bench/load.py.

-- setup() runs in wrk's main thread, each thread's just before that thread starts: it may set
-- values in the thread it is given, never in one already running: wrk's Lua states are not
-- thread-safe, and a value pushed onto a running thread's stack can land in the middle of its
-- request() (a smoke burst once posted 21 sign-ups for 20, one address twice). So the thread
-- count is an argument.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  method, expected, quota = args[1], tonumber(args[2]), tonumber(args[3])
  prefix, cookie, body, signal_dir = args[4], args[5], args[6], args[7]
  thread_count = tonumber(args[8])
  sent, answered, ok, unexpected, first_unexpected = 0, 0, 0, 0, ""
  -- wrk calls the first thread's request() once before it starts, to check the request, and
  -- never sends that one: it must not use up an address or a place in the quota.
  checking_call_due = thread_number == 1
  headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
end

function request()
  if checking_call_due then
    checking_call_due = false
    return wrk.format("GET", "/bench-filler/none/404", headers)
  end
  if method == "GET" then
    return wrk.format("GET", nil, headers)
  end
  if quota > 0 and sent >= quota then
    return wrk.format("GET", "/bench-filler/none/404", headers)
  end
  sent = sent + 1
  local email = prefix .. "." .. thread_number .. "." .. sent .. "%40example.com"
  return wrk.format("POST", nil, headers, (body:gsub("{email}", function() return email end)))
end

local function everyone_done()
  for number = 1, thread_count do
    local file = io.open(signal_dir .. "/" .. number, "r")
    if file == nil then return false end
    file:close()
  end
  return true
end

function response(status, response_headers, response_body)
  if quota > 0 and status == 404 then
    if answered >= quota and everyone_done() then wrk.thread:stop() end
    return
  end
  answered = answered + 1
  if status == expected then
    ok = ok + 1
  else
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = tostring(status) .. " " .. string.sub(response_body or "", 1, 200)
    end
  end
  if quota > 0 and answered == quota then
    io.open(signal_dir .. "/" .. thread_number, "w"):close()
    if everyone_done() then wrk.thread:stop() end
  end
end

local function escape(text)
  return (text:gsub('[%c"\\]', " "))
end

function done(summary, latency, requests)
  local ok_total, unexpected_total, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    unexpected_total = unexpected_total + thread:get("unexpected")
    if first == "" then first = thread:get("first_unexpected") end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "ok": %d, "unexpected": %d, "first_unexpected": "%s", ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, ok_total, unexpected_total, escape(first),
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout))
end
