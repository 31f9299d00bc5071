-- wrk script for bench/meter: every request carries the signed reader cookie of a returning
-- reader, picked at random from a pool.
--
--     wrk -s bench/meter/cookies.lua URL -- COOKIE_FILE
--
-- COOKIE_FILE has one "mh_reader=<signed id>" per line; bench/meter/worker.py writes it with
-- the server's own signing, for readers whose windows it has put in the store.

local thread_count = 0

function setup(thread)
  -- Runs in wrk's main state: number the threads, so their random sequences differ.
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

local cookies = {}

function init(args)
  local path = args[1]
  if path == nil then
    error("usage: wrk -s cookies.lua URL -- COOKIE_FILE")
  end
  for line in io.lines(path) do
    if #line > 0 then
      cookies[#cookies + 1] = line
    end
  end
  if #cookies == 0 then
    error("no cookies in " .. path)
  end
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
  return wrk.format(nil, nil, { Cookie = cookies[math.random(#cookies)] })
end
