-- wrk script: /vol/update changing a volume's description, over volumes bench0..bench<n-1>.
--   wrk -t1 -c16 -d10s -s vol_update.lua http://LEADER -- AUTHKEY NVOLS
-- Every request sets a description never used before, so every one is a Raft write. Answers
-- whose envelope code is not 0 are counted and printed at the end (wrk itself only counts HTTP
-- errors).
local counter = 0
failed = 0
local threads = {}
local prefix = tostring(math.random(1000000))

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

function init(args)
    auth = args[1]
    nvols = tonumber(args[2] or "64")
end

function request()
    counter = counter + 1
    local vol = (counter + id * 7919) % nvols
    return wrk.format("GET", "/vol/update?name=bench" .. vol .. "&authKey=" .. auth ..
        "&description=d" .. prefix .. "t" .. id .. "n" .. counter)
end

function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"code":0', 1, true) then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, t in ipairs(threads) do
        total = total + t:get("failed")
    end
    io.write(string.format("non-success answers: %d\n", total))
end
