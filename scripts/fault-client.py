#!/usr/bin/env python3
"""Report intake client for the fault scripts (scripts/fault-kill, scripts/fault-pg-restart).

Each thread behaves like a phone's outbox: it files one report under a fresh Idempotency-Key
and, until the server acknowledges it (201, or 200 for a replay), retries that same request
with that same key, whatever goes wrong (refused or reset connection, timeout, 5xx). Only then
does it move on to a new key. Every acknowledgement is appended to the log at once:

    ACK <idempotency key> <case id> <status> <attempts>

When the stop file appears, each thread finishes the report it holds (for at most --drain
seconds) and stops. The last line of stdout is a JSON summary: statuses seen (every answer,
first tries and retries alike), transport errors, acknowledgements, replays (reports the
server had stored but whose answer the client never got), and keys left unacknowledged.
A 503 must carry Retry-After; the client waits what it says, as a phone would.

Standard library only, so it runs wherever the scripts do.
"""

import argparse
import http.client
import json
import os
import threading
import time
import uuid
from collections import Counter


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--lat", required=True)
    p.add_argument("--lon", required=True)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--log", required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--tag", default="fault")
    p.add_argument("--drain", type=float, default=60.0)
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()

    lock = threading.Lock()
    statuses = Counter()
    transport = Counter()
    totals = Counter()
    missing_retry_after = Counter()
    unacked = []
    log = open(args.log, "a", buffering=1)

    def stopping():
        return os.path.exists(args.stop_file)

    def worker():
        conn = None
        while not stopping():
            key = str(uuid.uuid4())
            body = json.dumps({
                "category": "E0101",
                "description": f"{args.tag} report {key}",
                "position": {"lat": float(args.lat), "lon": float(args.lon), "crs": "wgs84", "accuracy_m": 8},
            })
            headers = {
                "content-type": "application/json",
                "authorization": f"Bearer {args.token}",
                "idempotency-key": key,
            }
            attempts = 0
            stop_seen = None
            while True:
                if stopping():
                    stop_seen = stop_seen or time.monotonic()
                    if time.monotonic() - stop_seen > args.drain:
                        with lock:
                            unacked.append(key)
                        break
                attempts += 1
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
                    conn.request("POST", "/api/v1/reports", body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status = resp.status
                    retry_after = resp.getheader("retry-after")
                    if resp.getheader("connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        transport[type(e).__name__] += 1
                    if conn is not None:
                        conn.close()
                        conn = None
                    time.sleep(0.05)
                    continue
                with lock:
                    statuses[status] += 1
                if status in (200, 201):
                    case_id = json.loads(data)["id"]
                    with lock:
                        log.write(f"ACK {key} {case_id} {status} {attempts}\n")
                        totals["acked"] += 1
                        if status == 200:
                            totals["replayed"] += 1
                        if attempts > 1:
                            totals["acked_after_retry"] += 1
                    break
                if status == 503:
                    if retry_after is None:
                        with lock:
                            missing_retry_after[status] += 1
                        time.sleep(0.2)
                    else:
                        time.sleep(float(retry_after))
                    continue
                if status >= 500:
                    time.sleep(0.2)
                    continue
                # A 4xx would be the same on every retry: a bug in this client or the server.
                with lock:
                    totals["rejected"] += 1
                    log.write(f"REJECTED {key} {status} {data[:200]!r}\n")
                break

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": dict(transport),
        "acked": totals["acked"],
        "replayed": totals["replayed"],
        "acked_after_retry": totals["acked_after_retry"],
        "rejected": totals["rejected"],
        "unacked": len(unacked),
        "503_without_retry_after": sum(missing_retry_after.values()),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
