-- list_children: GET /v1/children?limit=50, the first page, every request the same.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
wrk.path = "/v1/children?limit=50"
done = common.done
