#!/usr/bin/env bash
# The embedded default (`xinfang dev`, SQLite, the outbox tables as the event log) under clerks'
# registrations at c=8, then how long the node's own readers (dispatch, supervision, evaluation,
# meetings, exchange, intake's followed steps) take to apply everything, and the node's CPU per
# registration: the README's embedded rows. A fresh data folder each run; leaves nothing behind.
#
#   cargo build --release -p xinfang && crates/cli/bench/embedded-node.sh
#
# XINFANG (the binary, default target/release/xinfang or $CARGO_TARGET_DIR/release/xinfang),
# SECONDS_EACH (default 20), CONCURRENCY (default 8). The node listens on its default ports.
set -euo pipefail
target=${CARGO_TARGET_DIR:-target}
bin=${XINFANG:-$target/release/xinfang}
seconds=${SECONDS_EACH:-20}
work=$(mktemp -d)
node=
cleanup() {
  [[ -n $node ]] && kill "$node" 2>/dev/null && wait "$node" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export XINFANG__TELEMETRY__LOG_FILTER=warn
export XINFANG__AUTH__DEV_SIGNING_KEY="$work/data/dev-signing-key.pem"
"$bin" dev --data "$work/data" >"$work/node.log" 2>&1 & node=$!
for _ in $(seq 100); do
  grep -q "^xinfang node" "$work/node.log" && break
  sleep 0.1
done
sleep 1

cpu() { awk '{print $14 + $15}' "/proc/$node/stat"; }
ticks=$(getconf CLK_TCK)
before=$(cpu)
"$bin" bench register -c "${CONCURRENCY:-8}" --duration "$seconds" --as-unit east-t1
loaded=$(cpu)

# Every reader's cursor at the end of each log it reads: nothing left to apply.
python3 - "$work/data/xinfang.db" "$node" "$ticks" "$before" "$loaded" <<'EOF'
import sqlite3, sys, time
db, pid, ticks, before, loaded = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
cursors = [t for (t,) in con.execute("select name from sqlite_master where name like '%_log_cursor'")]
def behind():
    total = 0
    for table in cursors:
        for source, last in con.execute(f"select source, last_id from {table}"):
            (top,) = con.execute(f"select coalesce(max(id), 0) from {source}_outbox").fetchone()
            total += top - last
    return total
start = time.time()
while (left := behind()) > 0 and time.time() - start < 300:
    time.sleep(0.1)
waited = time.time() - start
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
(registered,) = con.execute("select count(*) from intake_petition").fetchone()
(cases,) = con.execute("select count(*) from dispatch_case").fetchone()
print(f"readers: {'caught up' if left == 0 else f'{left} events still to apply'} "
      f"{waited:.1f} s after the load; {registered} petitions registered, {cases} cases opened")
print(f"node CPU: {(loaded - before) / ticks:.1f} s during the load, "
      f"{(cpu() - before) / ticks / max(registered, 1) * 1000:.2f} ms a registration in all")
EOF
