#!/usr/bin/env bash
# The three questions of the ClickHouse scale targets through the CLI, whole process (start,
# open, query, render or print), wall seconds per run:
#   heatmap  a filtered full-page click map of the home page (desktop sessions, 1440 px) as PNG
#   kpis     the KPIs of all sessions
#   funnel   view_item -> add_to_cart -> begin_checkout -> add_payment_info -> purchase
# Usage: tools/bench/clickhouse-questions.sh LIBRARY_URL [RUNS]   (default 5 runs; a release
# build: `cargo build --release --no-default-features`, or SESSIONLENS_BIN)
# Fill a library first (docs/BENCHMARKS.md, "Issue 20"), e.g. for one local server:
#   sessionlens --library clickhouse://default@127.0.0.1:8123/bench demo generate --sessions 1000000 --seed 1 --into-library
#   sessionlens --library clickhouse://default@127.0.0.1:8123/bench screenshot add --url http://shop.test/ --width 1440 assets/demo-shop/screenshots/home-1440.png
set -euo pipefail
cd "$(dirname "$0")/../.."
library="${1:?usage: $0 LIBRARY_URL [RUNS]}"
runs="${2:-5}"
bin="${SESSIONLENS_BIN:-target/release/sessionlens}"
[ -x "$bin" ] || cargo build --release --no-default-features
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Defines the standard events once (the first run would otherwise do it).
"$bin" --library "$library" kpis > /dev/null
for question in heatmap kpis funnel; do
  case "$question" in
    heatmap) args=(heatmap --page http://shop.test/ --kind click --device desktop --out "$work/h.png") ;;
    kpis) args=(kpis) ;;
    funnel) args=(funnel --step view_item --step add_to_cart --step begin_checkout --step add_payment_info --step purchase) ;;
  esac
  printf '%-8s' "$question"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$work/time" "$bin" --library "$library" "${args[@]}" > /dev/null 2> "$work/err" \
      || { echo " failed:"; cat "$work/err"; exit 1; }
    printf ' %s s' "$(cat "$work/time")"
  done
  echo
done
