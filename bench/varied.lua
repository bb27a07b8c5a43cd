-- wrk script: each request asks for a random unit, page size and offset, as varied traffic does.
-- Usage: wrk ... -s bench/varied.lua URL -- UNITS_FILE TEMPLATE SEED
-- UNITS_FILE: one unit id a line. TEMPLATE: a path with {unit}, {limit} (1-100) and {offset} (0-19).
-- One SEED gives every server the same sequence of requests.
local units = {}
local template

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then units[#units + 1] = line end
  end
  template = args[2]
  math.randomseed(tonumber(args[3] or "1"))
end

function request()
  local path = template:gsub("{unit}", units[math.random(#units)])
  path = path:gsub("{limit}", tostring(math.random(1, 100)))
  path = path:gsub("{offset}", tostring(math.random(0, 19)))
  return wrk.format(nil, path)
end
