-- wrk script: every request goes to the next path of a file (one path a line), starting at line
-- `start` + 1 and wrapping around at the end. Distinct query strings mean no response cache can
-- answer: this measures a first request for each combination.
-- Usage: wrk ... -s bench/paths.lua URL -- PATHS_FILE START
local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  i = tonumber(args[2] or "0") % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
