-- wrk script: varied.lua's requests, paced, with the status of every answer tallied.
-- Usage: wrk -t1 ... -s bench/switch.lua URL -- UNITS_FILE TEMPLATE SEED PAUSE_MS STATUS_FILE
-- The first three arguments are varied.lua's. Each connection waits PAUSE_MS before its next
-- request, so the load stays modest instead of saturating the server; at the end one
-- "status count" line per status goes to STATUS_FILE (wrk itself only counts non-2xx/3xx).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "varied.lua")

local varied_init = init
local pause = 0
statuses = {}

function init(args)
  varied_init(args)
  pause = tonumber(args[4] or "0")
  status_file = args[5]
end

function delay()
  return pause
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  -- runs in wrk's main state, which never saw init's arguments: each thread holds its own
  local file = assert(io.open(threads[1]:get("status_file"), "w"))
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    file:write(status, " ", count, "\n")
  end
  file:close()
end
