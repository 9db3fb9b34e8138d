#!/bin/sh
# Import throughput, SQLite library against a ClickHouse library, on the same files.
#
# Usage: tools/bench/import-sqlite-vs-clickhouse.sh [SESSIONS] [SESSIONLENS_BINARY] [demo|rrweb]
#
# Input `demo` (the default): SESSIONS simulated demo-shop sessions as native files (seed 7).
# Input `rrweb`: SESSIONS copies, round robin, of the real rrweb recordings in
# tests/fixtures/rrweb (made by the rrweb recorder in Chromium; a bare rrweb file's session id is
# its file name, so each copy is a session of its own). Then it starts a throwaway
# clickhouse-server (/usr/sbin/clickhouse-server, or $SESSIONLENS_CLICKHOUSE_SERVER) on free
# ports of 127.0.0.1 with a data folder of its own, then times `sessionlens import` of that
# folder into a fresh SQLite file and into a fresh ClickHouse database with /usr/bin/time, and
# prints sessions per second for each. Everything is removed at the end.
set -eu

sessions=${1:-2000}
bin=${2:-target/release/sessionlens}
input=${3:-demo}
repo=$(cd "$(dirname "$0")/../.." && pwd)
server=${SESSIONLENS_CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -x "$server" ] || { echo "no clickhouse-server at $server" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); tcp=$(free_port); inter=$(free_port)
mkdir -p "$work/ch/data" "$work/ch/tmp" "$work/ch/user_files" "$work/ch/format_schemas"
cat > "$work/ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$work/ch/server.log</log><errorlog>$work/ch/server.err.log</errorlog><console>0</console></logger>
    <http_port>$http</http_port><tcp_port>$tcp</tcp_port><interserver_http_port>$inter</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>$work/ch/data/</path><tmp_path>$work/ch/tmp/</tmp_path>
    <user_files_path>$work/ch/user_files/</user_files_path><format_schema_path>$work/ch/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
    <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
cat > "$work/ch/users.xml" <<EOF
<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>
EOF
(cd "$work/ch" && exec "$server" --config-file="$work/ch/config.xml" >/dev/null 2>&1) &
server_pid=$!
i=0
until [ "$(curl -s "http://127.0.0.1:$http/ping" || true)" = "Ok." ]; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "clickhouse-server did not start" >&2; exit 1; }
    sleep 0.2
done

case "$input" in
demo) "$bin" demo generate --sessions "$sessions" --seed 7 --out "$work/sessions" >/dev/null ;;
rrweb)
    mkdir -p "$work/sessions"
    set -- $(ls "$repo"/tests/fixtures/rrweb/*.json | grep -v '\.truth\.json$')
    [ $# -gt 0 ] || { echo "no rrweb recordings in $repo/tests/fixtures/rrweb" >&2; exit 2; }
    i=0
    while [ $i -lt "$sessions" ]; do
        for f in "$@"; do
            [ $i -lt "$sessions" ] || break
            cp "$f" "$work/sessions/copy-$i-$(basename "$f")"
            i=$((i + 1))
        done
    done ;;
*) echo "unknown input $input (demo or rrweb)" >&2; exit 2 ;;
esac
files=$(find "$work/sessions" -type f | wc -l)
echo "$sessions sessions in $files files, $(du -sh "$work/sessions" | cut -f1)"

run() { # name library
    start=$(date +%s.%N)
    /usr/bin/time -f "$1: %e s wall, %U s user, %M KB max RSS" \
        env -u SESSIONLENS_LIBRARY "$bin" --library "$2" import "$work/sessions" >/dev/null
    end=$(date +%s.%N)
    echo "$1: $(echo "$sessions / ($end - $start)" | bc -l | xargs printf '%.0f') sessions/s"
}
run sqlite "$work/library.sqlite"
run clickhouse "clickhouse://default@127.0.0.1:$http/bench"
