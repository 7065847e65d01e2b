-- post_session: POST /v1/session-records with the JSON body of BENCH_BODY_FILE (10 exercises),
-- the same body every time, no Idempotency-Key.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
common.authorize()
wrk.method = "POST"
wrk.path = "/v1/session-records"
wrk.body = common.read_file(common.env("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
done = common.done
