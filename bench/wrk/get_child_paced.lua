-- get_child_paced: get_child at a steady pace below capacity (the export scenario's latency):
-- each connection waits BENCH_DELAY_MS after a response before its next request.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
setup = common.setup
request = common.cycle("/v1/children/%s")
local pause = tonumber(common.env("BENCH_DELAY_MS"))
function delay()
  return pause
end
done = common.done
