#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up: Redis on 127.0.0.1:6379 (the
# three-node cluster test). Starts it the way this machine's image does if it is down.
set -euo pipefail

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not running on 127.0.0.1:6379 and redis-server is not installed." >&2
    echo "Install it (apt-get install redis-server) or set REDIS_URL to a running one." >&2
    exit 1
  fi
  dir=/var/lib/redis
  log=/var/log/redis/ci.log
  if ! mkdir -p "$dir" /var/log/redis 2>/dev/null || [ ! -w "$dir" ]; then
    dir=$(mktemp -d)
    log="$dir/redis.log"
  fi
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$log"
  for _ in $(seq 1 50); do
    redis_up && break
    sleep 0.1
  done
  redis_up || { echo "Redis did not start (see $log)" >&2; exit 1; }
  echo "started Redis on 127.0.0.1:6379"
fi
