#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the test suite: start them when they are
# installed but stopped, install them with apt when we are root and they are missing, otherwise say
# what to do. Also makes sure Chromium (for the browser tests) and gettext are present.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  echo "Installing $* with apt …"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
fail() { echo "ERROR: $*" >&2; exit 1; }

# --- PostgreSQL ---------------------------------------------------------------------------------
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    is_root || fail "PostgreSQL is not installed. Install it (sudo apt-get install -y postgresql) and run 'make test' again, or set TEST_DATABASE_URL to a server you can use."
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "Starting PostgreSQL $version …"
  if is_root; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  else
    pg_ctlcluster "$version" main start 2>/dev/null || fail "PostgreSQL is installed but not running, and I cannot start it as $(id -un). Start it (sudo pg_ctlcluster $version main start) and run 'make test' again."
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  pg_up || fail "PostgreSQL did not come up on $PG_HOST:$PG_PORT."
fi
# A fresh Debian install asks for a password over TCP: give the postgres role the one the suite uses.
if is_root && command -v runuser >/dev/null 2>&1 && ! PGPASSWORD=kenniscloud psql -h "$PG_HOST" -U postgres -Atqc 'select 1' >/dev/null 2>&1; then
  runuser -u postgres -- psql -qc "ALTER ROLE postgres PASSWORD 'kenniscloud'" >/dev/null 2>&1 || true
fi

# --- Redis --------------------------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    is_root || fail "Redis is not installed. Install it (sudo apt-get install -y redis-server) and run 'make test' again."
    apt_install redis-server
  fi
  echo "Starting Redis …"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  redis_up || fail "Redis did not come up on 127.0.0.1:$REDIS_PORT."
fi

# --- Chromium for the end-to-end tests ----------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  is_root || fail "Chromium is needed for the browser tests. Install it (sudo apt-get install -y chromium) and run 'make test' again."
  apt_install chromium
fi
echo "PostgreSQL, Redis and Chromium are ready."
