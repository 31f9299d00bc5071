-- wrk script for bench/api: every request carries one extra header, given after "--".
--
--     wrk -s bench/api/header.lua URL -- NAME VALUE
--
-- bench/api/run.py uses it for "Authorization: Bearer <token>" and for a session cookie.

local name, value

function init(args)
  name, value = args[1], args[2]
  if name == nil or value == nil then
    error("usage: wrk -s header.lua URL -- NAME VALUE")
  end
end

function request()
  return wrk.format(nil, nil, { [name] = value })
end
