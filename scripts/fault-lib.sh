# Shared by the fault scripts (scripts/fault-kill, scripts/fault-pg-restart): start the release
# server, get a token and a point in the demo grid, run the intake client, and count its log
# against the database. Sourced, not run. Expects $bin, $port and $base to be set.

# Starts the server on database $2 with data folder $1 (appending to its logs); sets $server.
start_server() {
  GRIDLINE_BIND=127.0.0.1:$port GRIDLINE_DATA_DIR="$1" DATABASE_URL="$2" GRIDLINE_LOG=warn \
    GRIDLINE_INTAKE_PER_ACCOUNT_PER_HOUR=0 GRIDLINE_DEMO_SEED=true \
    "$bin" serve >> "$1/console.txt" 2>> "$1/server.log" &
  server=$!
  for _ in $(seq 1 200); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.05; done
  echo "fault: server did not come up" >&2; cat "$1/server.log" >&2; return 1
}

# Starts scripts/fault-client.py in the background against the server whose data folder is $1,
# tagging its reports $2; sets $client. Touch "$1/stop" to end it.
start_client() {
  local point lat lon token
  point=$(grep -o 'lat=[0-9.]*&lon=[0-9.]*' "$1/console.txt" | head -1)
  lat=${point#lat=}; lat=${lat%%&*}; lon=${point##*lon=}
  token=$(curl -s -X POST "$base/api/v1/auth/anonymous" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  python3 scripts/fault-client.py --port "$port" --token "$token" --lat "$lat" --lon "$lon" \
    --threads "${THREADS:-8}" --log "$1/acks.log" --stop-file "$1/stop" --tag "$2" > "$1/summary.json" &
  client=$!
}

acked_so_far() { grep -c '^ACK' "$1/acks.log" || true; }

# Counts the client's log in data folder $1 (reports tagged $2) against the rows the query
# command "$3..." returns, prints the figures and returns non-zero on any loss, wrong id,
# duplicate, unexpected 4xx, 5xx other than 503, or 503 without Retry-After.
# Client side: key and case id of every acknowledged report. Database side: the same pair for
# every stored report of this run (the description carries the key, so a report stored twice
# under two keys would show too).
count_against_db() {
  local data=$1 tag=$2; shift 2
  awk '$1 == "ACK" { print $2, $3 }' "$data/acks.log" | sort > "$data/acked"
  "$@" "SELECT description || ' ' || id FROM cases WHERE description LIKE '$tag report %'" \
    | awk '{ print $3, $4 }' | sort > "$data/stored"
  local acked stored lost wrong dup unacked_stored bad
  acked=$(wc -l < "$data/acked")
  stored=$(wc -l < "$data/stored")
  lost=$(join -v1 <(cut -d' ' -f1 "$data/acked") <(cut -d' ' -f1 "$data/stored" | sort -u) | wc -l)
  wrong=$(join "$data/acked" "$data/stored" | awk '$2 != $3' | wc -l)
  dup=$(cut -d' ' -f1 "$data/stored" | uniq -d | wc -l)
  unacked_stored=$(join -v2 <(cut -d' ' -f1 "$data/acked") <(cut -d' ' -f1 "$data/stored" | sort -u) | wc -l)
  echo "   client: $(cat "$data/summary.json")"
  echo "   acknowledged=$acked stored=$stored lost=$lost wrong_id=$wrong duplicated=$dup stored_never_acknowledged=$unacked_stored"
  bad=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["rejected"] + s["503_without_retry_after"] + sum(v for k,v in s["statuses"].items() if k.startswith("5") and k != "503"))' "$data/summary.json")
  [ "$lost" = 0 ] && [ "$wrong" = 0 ] && [ "$dup" = 0 ] && [ "$acked" != 0 ] && [ "$bad" = 0 ]
}
