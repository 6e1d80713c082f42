-- GET one existing lead per request, cycling through the leads in the data file run.py writes
-- (id<TAB>phone in E.164 a line). Mode `id` (first argument): GET /api/v1/leads/{id}. Mode
-- `phone`: GET /api/v1/leads?phone=… with the lead's number as people write it, 0 and the
-- national number with a space, URL-encoded (+919876543210 is asked as `098765%2043210`).
dofile("bench/wrk/common.lua")

local leads, counter, mode = {}, 0, "id"

function init(args)
   mode = args[1]
   leads = read_records(args[2])
   counter = id * 7919
end

function request()
   counter = counter + 1
   local lead = leads[counter % #leads + 1]
   local path
   if mode == "phone" then
      local national = lead[2]:sub(4) -- without "+91"
      path = "/api/v1/leads?phone=0" .. national:sub(1, 5) .. "%20" .. national:sub(6)
   else
      path = "/api/v1/leads/" .. lead[1]
   end
   return wrk.format(nil, path)
end
