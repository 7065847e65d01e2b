-- get_child: GET /v1/children/<id>, ids cycled from BENCH_IDS_FILE.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
setup = common.setup
request = common.cycle("/v1/children/%s")
done = common.done
