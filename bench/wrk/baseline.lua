-- baseline: GET /children/<id>, ids cycled from BENCH_IDS_FILE.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
request = common.cycle("/children/%s")
done = common.done
