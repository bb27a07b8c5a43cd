-- wrk script: a realistic mix, each request drawn from a ranked list with Zipf's law (rank k is
-- asked with weight 1 / k^EXPONENT), so a few requests are frequent and most are rare.
-- Usage: wrk ... -s bench/mix.lua URL -- REQUESTS_FILE SEED EXPONENT
-- REQUESTS_FILE: one request a line, most popular first: PATH<tab>ACCEPT-ENCODING<tab>IF-NONE-MATCH
-- (either header left out when empty). One SEED gives every server the same sequence.
local requests, cumulative = {}, {}
local total = 0

function init(args)
  local exponent = tonumber(args[3] or "1")
  for line in io.lines(args[1]) do
    if line ~= "" then
      local path, encoding, etag = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
      local headers = { Host = wrk.headers["Host"] }
      if encoding ~= "" then headers["Accept-Encoding"] = encoding end
      if etag ~= "" then headers["If-None-Match"] = etag end
      requests[#requests + 1] = wrk.format("GET", path, headers)
      local rank = #requests
      total = total + 1 / rank ^ exponent
      cumulative[rank] = total
    end
  end
  math.randomseed(tonumber(args[2] or "1"))
end

function request()
  -- the first rank whose cumulative weight reaches a uniform draw: a binary search
  local draw = math.random() * total
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < draw then low = middle + 1 else high = middle end
  end
  return requests[low]
end
