-- list_child_sessions: GET /v1/children/<id>/session-records?from=…&to=… (BENCH_FROM, BENCH_TO:
-- aware ISO date-times), children cycled from BENCH_IDS_FILE.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
local query = "?from=" .. common.env("BENCH_FROM") .. "&to=" .. common.env("BENCH_TO")
setup = common.setup
request = common.cycle("/v1/children/%s/session-records" .. query)
done = common.done
