-- GET the URL given on wrk's command line (headers from -H), counting statuses.
dofile("bench/wrk/common.lua")
