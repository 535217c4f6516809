#!/usr/bin/env bash
# Make sure a PostgreSQL server listens on 127.0.0.1:$PGPORT (default 5432) for the test suite.
#
# Idempotent; prints what it did. Steps, stopping at the first that succeeds:
#   1. a server already listens on the port: nothing to do;
#   2. the PostgreSQL binaries are missing: install the Debian package `postgresql` (apt-get);
#   3. a Debian cluster (pg_lsclusters) is configured for the port: start it (pg_ctlcluster);
#   4. on the default port with the Debian tools and no cluster: create one (pg_createcluster)
#      whose pg_hba.conf trusts local and loopback connections, and start it;
#   5. otherwise: initdb a throwaway data directory ($SMARTSPEC_PGDATA, default
#      /var/lib/postgresql/smartspec-test-$PGPORT) with trust authentication and start it with
#      pg_ctl, listening on 127.0.0.1 only.
# Clusters created here trust every local connection: they are for tests and CI machines only.
# Needs root (or passwordless sudo) for steps 2-5. Exit status 0 when a server is ready.
set -euo pipefail

PORT="${PGPORT:-5432}"
DATA="${SMARTSPEC_PGDATA:-/var/lib/postgresql/smartspec-test-$PORT}"
say() { echo "ensure_postgres: $*"; }
die() { echo "ensure_postgres: FAILED: $*" >&2; exit 1; }

listening() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$PORT" && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

wait_ready() {
  for _ in $(seq 1 60); do
    listening && return 0
    sleep 0.5
  done
  return 1
}

if listening; then
  say "a server already listens on 127.0.0.1:$PORT; nothing to do"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    die "no server on 127.0.0.1:$PORT, and starting one needs root (or passwordless sudo)"
  fi
fi
as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then "$@"; else $SUDO runuser -u postgres -- "$@"; fi
}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/postgres" ]; then
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is missing"
  say "installing the Debian package postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null || die "apt-get update failed (no network?)"
    $SUDO apt-get install -y -q --no-install-recommends postgresql >/dev/null \
      || die "apt-get install postgresql failed"
  fi
  say "installed $(ls /usr/lib/postgresql)"
  if listening; then  # the package's post-install script may have started a cluster
    say "the package started a server on 127.0.0.1:$PORT"
    exit 0
  fi
fi
BIN="$(bindir)"
VERSION="$(basename "$(dirname "$BIN")")"

if command -v pg_lsclusters >/dev/null 2>&1; then
  CLUSTER="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p {print $1 " " $2; exit}')"
  if [ -n "$CLUSTER" ]; then
    say "starting the existing cluster $CLUSTER (pg_ctlcluster)"
    # shellcheck disable=SC2086
    $SUDO pg_ctlcluster $CLUSTER start || die "pg_ctlcluster $CLUSTER start failed"
    wait_ready || die "cluster $CLUSTER did not come up on port $PORT"
    say "ready on 127.0.0.1:$PORT"
    exit 0
  fi
  if [ "$PORT" = "5432" ] && [ -z "$(pg_lsclusters -h 2>/dev/null)" ] \
      && command -v pg_createcluster >/dev/null 2>&1; then
    say "creating cluster $VERSION/main on port $PORT (pg_createcluster, trust auth)"
    $SUDO pg_createcluster "$VERSION" main --port "$PORT" >/dev/null \
      || die "pg_createcluster failed"
    HBA="/etc/postgresql/$VERSION/main/pg_hba.conf"
    printf '%s\n' "# written by smartspec scripts/ensure_postgres.sh (test cluster)" \
      "local all all trust" "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust" \
      | $SUDO tee "$HBA" >/dev/null
    $SUDO pg_ctlcluster "$VERSION" main start || die "pg_ctlcluster $VERSION main start failed"
    wait_ready || die "cluster $VERSION/main did not come up on port $PORT"
    say "ready on 127.0.0.1:$PORT"
    exit 0
  fi
fi

id postgres >/dev/null 2>&1 || $SUDO useradd --system --home-dir /var/lib/postgresql \
  --shell /bin/bash postgres || die "cannot create the postgres user"
if [ ! -s "$DATA/PG_VERSION" ]; then
  say "initdb $DATA (trust auth, user postgres)"
  $SUDO mkdir -p "$DATA"
  $SUDO chown postgres "$DATA"
  $SUDO chmod 700 "$DATA"
  as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null \
    || die "initdb $DATA failed"
fi
say "starting $BIN/postgres on 127.0.0.1:$PORT (pg_ctl, data $DATA)"
as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k /tmp" start >/dev/null \
  || die "pg_ctl start failed; see $DATA/server.log"
wait_ready || die "the server in $DATA did not come up on port $PORT"
say "ready on 127.0.0.1:$PORT (stop it with: pg_ctl -D $DATA stop)"
