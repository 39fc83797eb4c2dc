#!/usr/bin/env bash
# Make sure the real services the test suite talks to are there: PostgreSQL, Redis and Chromium.
# Uses the servers at the configured addresses when they answer; otherwise starts them, installing the
# Debian packages first when they are missing and we are root. Safe to run repeatedly.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
APT_UPDATED=0

log() { echo "[services] $*"; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    log "cannot install $* (not root); install it yourself"; return 1
  fi
  if [ "$APT_UPDATED" = "0" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq; APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

postgres_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }

ensure_postgres() {
  if postgres_up; then log "postgres answers on $PG_HOST:$PG_PORT"; return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing postgresql"; apt_install postgresql postgresql-client
  fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Tests connect as postgres over TCP without a password (trust on loopback only).
  if ! grep -q "supportops-tests" "$hba"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust # supportops-tests\nhost all postgres ::1/128 trust # supportops-tests' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
  postgres_up || { log "postgres did not start"; exit 1; }
  log "postgres started"
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  # The fault tests (tests/faults) start private redis-server processes: the binary is needed even when a
  # shared Redis already answers.
  command -v redis-server >/dev/null || { log "installing redis-server"; apt_install redis-server; }
  if command -v redis-cli >/dev/null && redis_up; then log "redis answers on 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/supportops-redis.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { log "redis did not start"; exit 1; }
  log "redis started"
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then log "chromium at /usr/bin/chromium"; return; fi
  log "installing chromium"; apt_install chromium fonts-liberation
}

ensure_postgres
ensure_redis
ensure_chromium
