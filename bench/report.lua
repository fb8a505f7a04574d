-- wrk calls done() once, with all threads' figures; bench/run.py reads what it prints.
-- Latency is printed per percentile cell (lo-hi: the latency at hi, in microseconds), so
-- the rounds of one page can be pooled: 1% cells, and 0.1% cells above the 99th.
local cells = {}
for i = 0, 98 do cells[#cells + 1] = {i, i + 1} end
for i = 0, 9 do cells[#cells + 1] = {99 + i / 10, 99 + (i + 1) / 10} end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH totals requests=%d duration_us=%d errors=%d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
  local parts = {}
  for _, cell in ipairs(cells) do
    -- wrk's percentile(100) is 0: the top cell's value is the maximum.
    local us = cell[2] < 100 and latency:percentile(cell[2]) or latency.max
    parts[#parts + 1] = string.format("%g-%g:%d", cell[1], cell[2], us)
  end
  io.write("BENCH latency " .. table.concat(parts, " ") .. "\n")
end
