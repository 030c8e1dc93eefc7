-- Mixed traffic for bench/soak: each request picks a URL by weight. Keys are drawn from a small
-- set so that the state store (/sequence, /flaky, /ratelimit and their journals) fills early
-- and then stays the same size: a soak measures growth, not a bigger working set.
local weighted = {
  {30, function() return "/status/200" end},
  {6,  function() return "/status/404" end},
  {6,  function() return "/status/503" end},
  {4,  function() return "/status/418?format=json" end},
  {4,  function() return "/status/204" end},
  {4,  function() return "/status/200,503?seed=" .. math.random(1000) end},
  {6,  function() return "/status/302" end},
  {5,  function() return "/redirect/" .. math.random(0, 3) end},
  {3,  function() return "/redirect-to?url=/status/200&status=307" end},
  {5,  function() return "/status/200?delay=0.0" .. math.random(1, 9) end},
  {4,  function() return "/delay/0.1" end},
  {6,  function() return "/sequence/200,201,202,203?cycle=1&key=wrk-" .. math.random(16) end},
  {3,  function() return "/flaky/2?key=wrk-" .. math.random(16) end},
  {3,  function() return "/ratelimit/50/1?key=wrk-" .. math.random(16) end},
  {1,  function() return "/fault/close" end},
  {1,  function() return "/fault/reset" end},
  {1,  function() return "/fault/truncate" end},
}

local total = 0
for _, entry in ipairs(weighted) do total = total + entry[1] end

local post_body = '{"soak": true, "text": "\228\184\173\230\150\135"}'

request = function()
  local pick = math.random(total + 4)
  if pick > total then -- an echo with a body, now and then
    return wrk.format("POST", "/anything?soak=1", {["Content-Type"] = "application/json"},
                      post_body)
  end
  for _, entry in ipairs(weighted) do
    pick = pick - entry[1]
    if pick <= 0 then return wrk.format("GET", entry[2]()) end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
