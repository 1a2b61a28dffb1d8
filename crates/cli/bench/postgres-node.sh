#!/usr/bin/env bash
# The production shape on one machine — `xinfang serve intake` and `serve dispatch` as separate
# processes on PostgreSQL, with the tansu broker and the outbox relays — and the load generator
# against it: the figures of the README's Performance section. Leaves nothing behind.
#
#   cargo build --release -p xinfang && crates/cli/bench/postgres-node.sh
#
# XINFANG (the binary, default target/release/xinfang or $CARGO_TARGET_DIR/release/xinfang),
# PG (default postgres://postgres@127.0.0.1:5432), TANSU_BIN, SECONDS_EACH (default 20),
# PIPELINE_SECONDS (default 60), PARTS (default "P1 P2": which to run), FETCH_WAIT_MS (default 5),
# SETTLE_COUNT (default 3000: registrations before each part's measured ones).
set -euo pipefail
target=${CARGO_TARGET_DIR:-target}
bin=${XINFANG:-$target/release/xinfang}
pg=${PG:-postgres://postgres@127.0.0.1:5432}
tansu=${TANSU_BIN:-$HOME/.cargo/bin/tansu}
seconds=${SECONDS_EACH:-20}
work=$(mktemp -d)
db=xinfang_bench_$$
port=19092
broker=()
services=()

stop_services() {
  for pid in "${services[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${services[@]}"; do wait "$pid" 2>/dev/null || true; done
  services=()
}
cleanup() {
  stop_services
  for pid in "${broker[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A broker of its own for each part, its topics empty: P2's dispatch read all of P1's events
# first when the parts shared one (p50 16 s).
start_broker() {
  for pid in "${broker[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${broker[@]}"; do wait "$pid" 2>/dev/null || true; done
  broker=()
  "$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ --silent & broker+=($!)
  sleep 1
  for service in intake dispatch supervision; do
    "$tansu" topic create --broker "tcp://127.0.0.1:$port" --partitions 3 "xinfang.$service.events" >/dev/null
  done
}

"$bin" keys generate --out "$work/keys" >/dev/null
secret() { sed -n "s/^  $1: \"\(.*\)\"$/\1/p" "$work/keys/secret.yaml"; }
export XINFANG__DATABASE__URL="$pg/$db" XINFANG__DATABASE__MAX_CONNECTIONS=40
export XINFANG__EVENTS__BACKEND=kafka XINFANG__EVENTS__BROKERS="127.0.0.1:$port"
export XINFANG__AUTH__JWKS="$work/keys/jwks.json"
export XINFANG__PII__SEAL_KEYS="$(secret XINFANG__PII__SEAL_KEYS)"
export XINFANG__PII__HASH_KEYS="$(secret XINFANG__PII__HASH_KEYS)"
export XINFANG__AUDIT__CHAIN_KEYS="$(secret XINFANG__AUDIT__CHAIN_KEYS)"
export XINFANG__TELEMETRY__LOG_FILTER=warn
# tansu answers a fetch only when fetch.wait.max.ms has passed, even with records waiting (a
# Kafka broker answers as soon as one arrives): the consumers here wait 5 ms, not the default 20.
export XINFANG__EVENTS__FETCH_WAIT_MS=${FETCH_WAIT_MS:-5}
export XINFANG_TOKEN
XINFANG_TOKEN=$("$bin" token --unit east-t1 --signing-key "$work/keys/idp-signing-key.pem")

# A fresh database and broker with these services running.
start() {
  stop_services
  start_broker
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  "$bin" migrate >/dev/null
  for service in "$@"; do
    "$bin" serve "$service" >>"$work/$service.log" 2>&1 & services+=($!)
  done
  sleep 2
}

# Registrations before the measured ones, then ANALYZE: the figures are of a database whose
# planner knows its tables. On a fresh database each connection's cached plan of a statement is
# made while the tables are empty and kept until autovacuum first analyzes them (a minute or
# more): the screening look-up of a person's earlier items then scanned every petitioner
# (issue #9: 0.5 ms of PostgreSQL's time a registration at c=1, more as the table grew).
settle() {
  "$bin" bench register -c 8 --count "${SETTLE_COUNT:-3000}" >/dev/null 2>&1
  psql "$pg/$db" -qc ANALYZE
  sleep 5 # the relays and consumers idle again
}

parts=${PARTS:-P1 P2}
if [[ " $parts " == *" P1 "* ]]; then
  echo "== P1: intake alone (its relay publishing), as clerks register"
  start intake
  settle
  "$bin" bench register -c 1 --duration "$seconds"
  "$bin" bench get -c 1 --duration "$seconds"
  "$bin" bench register -c 32 --duration "$seconds" --ceiling
fi

if [[ " $parts " == *" P2 "* ]]; then
  echo "== P2: intake and dispatch, registered → case opened at 500/s"
  start intake dispatch
  settle
  "$bin" bench pipeline -c 64 --rate "${PIPELINE_RATE:-500}" --duration "${PIPELINE_SECONDS:-60}"
fi
