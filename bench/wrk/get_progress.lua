-- get_progress: GET /v1/children/<id>/progress, ids cycled from BENCH_IDS_FILE.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
setup = common.setup
request = common.cycle("/v1/children/%s/progress")
done = common.done
