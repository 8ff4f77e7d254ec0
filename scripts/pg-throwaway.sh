# shellcheck shell=bash
# Throwaway PostgreSQL cluster for tests and CI.
#
#   source scripts/pg-throwaway.sh
#   pg_throwaway_start      # exports CELLPATH_TEST_POSTGRES_URL and prints it
#   ...                     # run tests
#   pg_throwaway_stop       # or just exit the shell: an EXIT trap stops it
#
# The cluster lives in a fresh `mktemp -d` directory (data, unix socket, log),
# listens on 127.0.0.1 only, on a free private port (55432 upwards, never 5432),
# uses trust auth for user `postgres` and runs with fsync off: test data only.
# As root, initdb/pg_ctl run as the `postgres` system user (created if missing).
#
# Settings (environment, all optional):
#   PG_THROWAWAY_BINDIR    directory holding initdb/pg_ctl (default: searched)
#   PG_THROWAWAY_PORT      first port to try (default 55432)
#   PG_THROWAWAY_NO_TRAP=1 do not install an EXIT trap (the caller cleans up)
#
# The functions do their own error checks, so they work with or without `set -e`.

# Prints the directory that holds initdb and pg_ctl, or fails.
pg_throwaway_bindir() {
    local d cand
    local -a cands=()
    [ -n "${PG_THROWAWAY_BINDIR:-}" ] && cands+=("$PG_THROWAWAY_BINDIR")
    cand=$(command -v initdb 2>/dev/null || true)
    [ -n "$cand" ] && cands+=("$(dirname "$cand")")
    cands+=(/usr/local/bin)
    # Debian: /usr/lib/postgresql/<version>/bin, newest first.
    while IFS= read -r d; do
        [ -n "$d" ] && cands+=("$d")
    done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r)
    for d in "${cands[@]}"; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# Runs a command as the postgres user when we are root, else as ourselves.
_pg_throwaway_as() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
_pg_throwaway_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_throwaway_start() {
    if [ -n "${PG_THROWAWAY_DIR:-}" ] && [ -d "${PG_THROWAWAY_DIR}" ]; then
        echo "pg-throwaway: already running in $PG_THROWAWAY_DIR (${CELLPATH_TEST_POSTGRES_URL:-})" >&2
        return 0
    fi
    local bindir
    bindir=$(pg_throwaway_bindir) || {
        echo "pg-throwaway: initdb/pg_ctl not found (install the 'postgresql' package)" >&2
        return 1
    }

    local base="${TMPDIR:-/tmp}"
    if [ "$(id -u)" -eq 0 ]; then
        base=/tmp # the postgres user must be able to reach it
        if ! id -u postgres >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home \
                --home-dir /var/lib/postgresql --shell /bin/sh postgres || {
                echo "pg-throwaway: could not create the postgres user" >&2
                return 1
            }
        fi
    fi

    local dir
    dir=$(mktemp -d "$base/cellpath-pg.XXXXXX") || return 1
    PG_THROWAWAY_DIR="$dir"
    export PG_THROWAWAY_DIR
    if [ "${PG_THROWAWAY_NO_TRAP:-}" != 1 ]; then
        trap pg_throwaway_stop EXIT
    fi
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" || { pg_throwaway_stop; return 1; }
    fi
    chmod 700 "$dir"

    # Run from inside the temp dir: the postgres user may not be able to read
    # the caller's working directory.
    if ! (cd "$dir" && _pg_throwaway_as "$bindir/initdb" -D "$dir/data" \
        -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1); then
        echo "pg-throwaway: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        pg_throwaway_stop
        return 1
    fi

    cat >>"$dir/data/postgresql.conf" <<EOF

# pg-throwaway: test cluster, data is disposable
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

    local port="${PG_THROWAWAY_PORT:-55432}" tries=0 started=0
    while [ "$tries" -lt 50 ]; do
        tries=$((tries + 1))
        if [ "$port" -eq 5432 ] || _pg_throwaway_port_busy "$port"; then
            port=$((port + 1))
            continue
        fi
        if (cd "$dir" && _pg_throwaway_as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -w -t 60 -o "-p $port" start >/dev/null 2>&1); then
            started=1
            break
        fi
        # Lost a race for the port (or another start failure): try the next one.
        port=$((port + 1))
    done
    if [ "$started" != 1 ]; then
        echo "pg-throwaway: could not start postgres; last log lines:" >&2
        tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
        pg_throwaway_stop
        return 1
    fi

    local isready="$bindir/pg_isready"
    [ -x "$isready" ] || isready=$(command -v pg_isready || true)
    local i=0
    if [ -n "$isready" ]; then
        until "$isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; do
            i=$((i + 1))
            if [ "$i" -ge 100 ]; then
                echo "pg-throwaway: server on port $port did not answer" >&2
                tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
                pg_throwaway_stop
                return 1
            fi
            sleep 0.1
        done
    fi

    PG_THROWAWAY_BINDIR="$bindir"
    PG_THROWAWAY_PORT_USED="$port"
    CELLPATH_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
    export PG_THROWAWAY_BINDIR PG_THROWAWAY_PORT_USED CELLPATH_TEST_POSTGRES_URL
    echo "pg-throwaway: started in $dir on 127.0.0.1:$port"
    echo "CELLPATH_TEST_POSTGRES_URL=$CELLPATH_TEST_POSTGRES_URL"
}

# Stops the cluster (if any) and removes its directory. Safe to call twice.
pg_throwaway_stop() {
    local dir="${PG_THROWAWAY_DIR:-}"
    [ -n "$dir" ] || return 0
    local bindir
    bindir="${PG_THROWAWAY_BINDIR:-}"
    [ -n "$bindir" ] || bindir=$(pg_throwaway_bindir 2>/dev/null) || bindir=""
    if [ -f "$dir/data/postmaster.pid" ]; then
        if [ -n "$bindir" ]; then
            (cd "$dir" && _pg_throwaway_as "$bindir/pg_ctl" -D "$dir/data" -m immediate \
                -w -t 30 stop >/dev/null 2>&1) || true
        fi
        # Still there? Kill the postmaster by its own pid (never by name).
        if [ -f "$dir/data/postmaster.pid" ]; then
            local pid
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -QUIT "$pid" 2>/dev/null || true
                sleep 1
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$dir"
    unset PG_THROWAWAY_DIR PG_THROWAWAY_PORT_USED
    # Only drop the URL if it is ours.
    case "${CELLPATH_TEST_POSTGRES_URL:-}" in
        postgres://postgres@127.0.0.1:*/postgres) unset CELLPATH_TEST_POSTGRES_URL ;;
    esac
    echo "pg-throwaway: stopped, removed $dir"
}
