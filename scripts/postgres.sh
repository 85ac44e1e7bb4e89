#!/usr/bin/env bash
# Throw-away PostgreSQL server for the SynthGuard test suite and CI.
#
#   scripts/postgres.sh start DIR   -> prints ONE line on stdout: the SQLAlchemy URL
#                                      postgresql+psycopg://USER@127.0.0.1:PORT/synthguard
#                                      (also written to DIR/url)
#   scripts/postgres.sh stop DIR    -> stops the server (pg_ctl stop -m fast), removes DIR
#   scripts/postgres.sh url DIR     -> prints the URL of a running server in DIR
#
# Everything except the URL goes to stderr.
#
# Behaviour:
#   * Server binaries are looked up in /usr/lib/postgresql/*/bin (Debian layout,
#     newest version first), then on PATH.  If none are found the Debian package
#     `postgresql` is installed with apt-get (through sudo when not root).
#     The package's own default cluster/service is never used, systemd is not needed.
#   * The server runs as an unprivileged user: the current user, or when run as root
#     a system user (default `synthguard-pg`, created on demand).
#   * Authentication is `trust`, for local socket and loopback TCP only; the server
#     listens on 127.0.0.1 only, on a free port chosen by the kernel, with its Unix
#     socket inside DIR.  No password is stored anywhere.
#   * Durability settings (fsync, synchronous_commit, full_page_writes) keep their
#     defaults.  shared_buffers is small and max_connections=200.
#   * `start` on a DIR whose server is already running just prints the URL; on a
#     DIR whose cluster exists but is stopped it restarts it (possibly on a new port).
#   * If the unprivileged user cannot reach DIR (e.g. a pytest tmp_path, whose
#     /tmp/pytest-of-root parent is mode 0700) or DIR is too long for a Unix socket
#     path, the cluster is placed in a private directory /tmp/synthguard-pg.XXXXXX
#     instead; DIR/server-root records it and `stop` removes it too.  No permissions
#     of directories outside DIR are changed.
#
# Environment overrides:
#   SYNTHGUARD_PG_BINDIR    directory holding initdb/pg_ctl/postgres
#   SYNTHGUARD_PG_OS_USER   system user to run the server as when invoked as root
#   SYNTHGUARD_PG_TIMEOUT   seconds to wait for readiness (default 60)
#   SYNTHGUARD_PG_NO_INSTALL=1  never apt-get install, fail instead

set -euo pipefail

readonly DB_NAME=synthguard
readonly MARKER=.synthguard-postgres
readonly RELOCATE_PREFIX=/tmp/synthguard-pg.
TIMEOUT="${SYNTHGUARD_PG_TIMEOUT:-60}"

# The caller's libpq environment must not redirect our client tools.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE PGSERVICEFILE \
      PGPASSWORD PGPASSFILE PGSSLMODE PGTARGETSESSIONATTRS PGDATA 2>/dev/null || true

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat >&2 <<'EOF'
usage: scripts/postgres.sh start DIR   start (or reuse) a throw-away server, print its URL
       scripts/postgres.sh stop DIR    stop the server and remove DIR
       scripts/postgres.sh url DIR     print the URL of the running server in DIR
EOF
    exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- binaries ---

BINDIR=""

has_server_bins() {
    local d="$1"
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]
}

find_bindir() {
    local d found
    if [ -n "${SYNTHGUARD_PG_BINDIR:-}" ]; then
        has_server_bins "$SYNTHGUARD_PG_BINDIR" \
            || die "SYNTHGUARD_PG_BINDIR=$SYNTHGUARD_PG_BINDIR lacks initdb/pg_ctl/postgres"
        BINDIR="$SYNTHGUARD_PG_BINDIR"
        return 0
    fi
    # Debian/Ubuntu layout, newest major version first.
    for d in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -rV); do
        if has_server_bins "$d"; then
            BINDIR="$d"
            return 0
        fi
    done
    # Anything on PATH (resolving symlinks such as /usr/local/bin/initdb -> ...).
    if found="$(command -v initdb 2>/dev/null)"; then
        d="$(dirname "$(readlink -f "$found")")"
        if has_server_bins "$d"; then
            BINDIR="$d"
            return 0
        fi
    fi
    return 1
}

install_postgres() {
    [ "${SYNTHGUARD_PG_NO_INSTALL:-0}" = 1 ] && die "PostgreSQL server binaries not found and SYNTHGUARD_PG_NO_INSTALL=1"
    command -v apt-get >/dev/null 2>&1 \
        || die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found and apt-get is unavailable; install PostgreSQL or set SYNTHGUARD_PG_BINDIR"
    local -a sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 \
            || die "PostgreSQL server binaries not found; installing them needs root or sudo"
        sudo=(sudo)
    fi
    log "PostgreSQL server binaries not found; installing the Debian package 'postgresql'"
    # fd 9 (our lock) is closed: a cluster started by the package must not inherit it.
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update >&2 9>&- || die "apt-get update failed"
    # The package's maintainer scripts create a default cluster and may try to start
    # it through invoke-rc.d; in containers without an init system that can fail.
    # We never use that cluster, so a non-zero exit is only fatal if the binaries
    # did not arrive.
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o DPkg::Lock::Timeout=300 install -y postgresql >&2 9>&-; then
        log "warning: 'apt-get install postgresql' exited non-zero; checking whether the binaries were installed anyway"
    fi
}

ensure_bins() {
    if ! find_bindir; then
        install_postgres
        find_bindir || die "PostgreSQL server binaries still not found after installing the 'postgresql' package"
    fi
}

# Client tools: prefer the ones next to the server (same major version).
client() {
    local name="$1"
    if [ -x "$BINDIR/$name" ]; then
        printf '%s\n' "$BINDIR/$name"
    elif command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    else
        die "$name not found (looked in $BINDIR and on PATH)"
    fi
}

# --------------------------------------------------------- unprivileged user ---

PG_USER=""

pick_user() {
    if is_root; then
        PG_USER="${SYNTHGUARD_PG_OS_USER:-synthguard-pg}"
        if ! id -u "$PG_USER" >/dev/null 2>&1; then
            log "creating system user $PG_USER"
            if command -v useradd >/dev/null 2>&1; then
                useradd --system --user-group --no-create-home --home-dir /nonexistent \
                    --shell /usr/sbin/nologin --comment "SynthGuard throw-away PostgreSQL" \
                    "$PG_USER" >&2 || true
            else
                adduser --system --group --no-create-home --home /nonexistent \
                    --shell /usr/sbin/nologin "$PG_USER" >&2 || true
            fi
            # A concurrent invocation may have created it first; only its absence is fatal.
            id -u "$PG_USER" >/dev/null 2>&1 || die "could not create system user $PG_USER"
        fi
    else
        PG_USER="$(id -un 2>/dev/null)" \
            || die "the current uid $(id -u) has no user name; PostgreSQL's initdb needs one"
    fi
}

# Run a command as the unprivileged user, from a directory it can enter.
# fd 9 (the lock on DIR) is closed so the postmaster does not inherit the lock.
as_pg() {
    local cwd="$1"
    shift
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$cwd" && runuser -u "$PG_USER" -- "$@") 9>&-
        else
            local cmd
            cmd="$(printf '%q ' "$@")"
            (cd "$cwd" && su -s /bin/sh "$PG_USER" -c "$cmd") 9>&-
        fi
    else
        (cd "$cwd" && "$@") 9>&-
    fi
}

# ------------------------------------------------------------------ helpers ---

free_port() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1; then
            "$py" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
        fi
    done
    die "python3 is needed to pick a free port"
}

url_quote() {
    if [[ "$1" =~ ^[A-Za-z0-9._~-]+$ ]]; then
        printf '%s' "$1"
    else
        python3 -c 'import sys, urllib.parse; sys.stdout.write(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
    fi
}

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Absolute, symlink-free path of an existing directory.
abs_dir() { (cd "$1" && pwd -P); }

# Where the cluster lives for DIR: DIR/pg, or a relocated directory recorded in DIR.
server_root() {
    local dir="$1" root
    if [ -f "$dir/server-root" ]; then
        root="$(cat "$dir/server-root")"
        case "$root" in
            "$RELOCATE_PREFIX"*) ;;
            *) die "$dir/server-root holds an unexpected path: $root" ;;
        esac
        printf '%s\n' "$root"
    else
        printf '%s\n' "$dir/pg"
    fi
}

take_lock() {
    local dir="$1"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$dir/.lock"
        flock -w 300 9 || die "timed out waiting for the lock on $dir"
    fi
}

is_running() {
    local root="$1" pid state
    [ -f "$root/data/PG_VERSION" ] || return 1
    as_pg "$root" "$BINDIR/pg_ctl" status -D "$root/data" >/dev/null 2>&1 || return 1
    # pg_ctl status only probes the pid with kill(0), which also succeeds for an
    # unreaped zombie postmaster (possible when PID 1 does not reap orphans).
    pid="$(head -n 1 "$root/data/postmaster.pid" 2>/dev/null)" || return 0
    if [ -r "/proc/$pid/stat" ]; then
        state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 0
        [ "$state" != Z ] || return 1
    fi
    return 0
}

# A killed postmaster that PID 1 has not reaped yet still "owns" postmaster.pid
# (postgres refuses to start while kill(pid, 0) succeeds); wait for the reaping.
wait_zombie_gone() {
    local root="$1" pid deadline=$((SECONDS + TIMEOUT))
    pid="$(head -n 1 "$root/data/postmaster.pid" 2>/dev/null)" || return 0
    [ -n "$pid" ] || return 0
    while [ -r "/proc/$pid/stat" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            die "the previous postmaster (PID $pid) is a zombie that was not reaped within ${TIMEOUT}s; cannot restart the cluster in $root/data"
        fi
        sleep 0.2
    done
}

# Wait until pg_isready succeeds. Returns 0 when ready, 2 if the server is no longer
# running; exits with an error at the deadline.
wait_ready() {
    local root="$1" port="$2" deadline="$3" isready
    isready="$(client pg_isready)"
    while :; do
        if as_pg "$root" "$isready" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres -t 2; then
            return 0
        fi
        if ! is_running "$root"; then
            return 2
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "error: PostgreSQL on 127.0.0.1:$port did not become ready within ${TIMEOUT}s (pg_isready kept failing)"
            show_log "$root"
            exit 1
        fi
        sleep 0.2
    done
}

show_log() {
    local root="$1"
    if [ -f "$root/postgres.log" ]; then
        log "last lines of $root/postgres.log:"
        tail -n 40 "$root/postgres.log" >&2 || true
    fi
}

make_url() {
    local port="$1"
    printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$(url_quote "$PG_USER")" "$port" "$DB_NAME"
}

# -------------------------------------------------------------------- start ---

init_cluster() {
    local root="$1"
    local -a hba
    rm -rf "$root/data"
    log "initdb in $root/data (superuser $PG_USER, $("$BINDIR/postgres" --version))"
    # --no-sync only skips fsync of the freshly created files during initdb itself;
    # the running server keeps the default (durable) fsync/synchronous_commit.
    as_pg "$root" "$BINDIR/initdb" -D "$root/data" -U "$PG_USER" \
        --auth-local=trust --auth-host=trust --encoding=UTF8 --locale=C \
        --no-instructions --no-sync >&2 \
        || die "initdb failed"
    hba=(
        "# Written by scripts/postgres.sh: trust, local socket and loopback only."
        "# TYPE  DATABASE  USER  ADDRESS        METHOD"
        "local   all       all                  trust"
        "host    all       all   127.0.0.1/32   trust"
        "host    all       all   ::1/128        trust"
        "local   replication all                trust"
        "host    replication all 127.0.0.1/32   trust"
    )
    printf '%s\n' "${hba[@]}" > "$root/data/pg_hba.conf"
    printf "\n# Added by scripts/postgres.sh\ninclude_if_exists = 'synthguard.conf'\n" >> "$root/data/postgresql.conf"
    if is_root; then chown "$PG_USER:" "$root/data/pg_hba.conf"; fi
}

write_conf() {
    local root="$1" port="$2"
    {
        echo "# Regenerated by scripts/postgres.sh on every start."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = $(conf_quote "$root/socket")"
        echo "max_connections = 200"
        echo "shared_buffers = 32MB"
        echo "logging_collector = off"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
    } > "$root/data/synthguard.conf"
    if is_root; then chown "$PG_USER:" "$root/data/synthguard.conf"; fi
}

# Decide where the cluster of DIR lives; sets ROOT.
ROOT=""
choose_root() {
    local dir="$1" reason=""
    ROOT="$(server_root "$dir")"
    if [ -f "$dir/server-root" ]; then
        [ -d "$ROOT" ] || die "relocated server directory $ROOT (from $dir/server-root) is missing"
        return 0
    fi
    if [ -d "$ROOT/data" ]; then
        return 0
    fi
    # Unix socket path: ROOT/socket/.s.PGSQL.NNNNN must fit in sun_path (107 bytes).
    if [ "${#ROOT}" -gt 80 ]; then
        reason="$dir is too long for a Unix socket path"
    elif is_root && ! runuser -u "$PG_USER" -- test -x "$dir" 2>/dev/null; then
        reason="user $PG_USER cannot reach $dir (a parent directory is not searchable)"
    fi
    if [ -z "$reason" ]; then
        mkdir -p "$ROOT"
    else
        ROOT="$(mktemp -d "${RELOCATE_PREFIX}XXXXXXXX")"
        printf '%s\n' "$ROOT" > "$dir/server-root"
        log "$reason; using $ROOT for the cluster instead (recorded in $dir/server-root, removed by stop)"
    fi
    chmod 700 "$ROOT"
    if is_root; then chown "$PG_USER:" "$ROOT"; fi
}

cmd_start() {
    local dir="$1" port attempt deadline started=0 psql exists
    local t0=$SECONDS

    if [ -e "$dir" ] && [ ! -d "$dir" ]; then
        die "$dir exists and is not a directory"
    fi
    mkdir -p "$dir"
    dir="$(abs_dir "$dir")"
    [ "$dir" != / ] || die "refusing to use / as DIR"
    if [ ! -e "$dir/$MARKER" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir is not empty and was not created by scripts/postgres.sh; refusing to use it (stop would delete it)"
    fi
    : > "$dir/$MARKER"
    chmod 755 "$dir"
    take_lock "$dir"

    ensure_bins
    pick_user
    choose_root "$dir"

    if is_running "$ROOT" && [ -f "$dir/port" ]; then
        port="$(cat "$dir/port")"
        deadline=$((SECONDS + TIMEOUT))
        if wait_ready "$ROOT" "$port" "$deadline"; then
            log "server already running in $ROOT (port $port)"
            make_url "$port" | tee "$dir/url"
            return 0
        fi
        log "the server in $ROOT went away; starting it again"
    fi

    if [ ! -f "$ROOT/data/PG_VERSION" ]; then
        init_cluster "$ROOT"
    else
        log "reusing existing stopped cluster in $ROOT/data"
        wait_zombie_gone "$ROOT"
    fi
    as_pg "$ROOT" mkdir -p "$ROOT/socket"

    deadline=$((SECONDS + TIMEOUT))
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        write_conf "$ROOT" "$port"
        printf '%s\n' "$port" > "$dir/port"
        : > "$ROOT/postgres.log"
        if is_root; then chown "$PG_USER:" "$ROOT/postgres.log"; fi
        log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt, log $ROOT/postgres.log)"
        if as_pg "$ROOT" "$BINDIR/pg_ctl" start -D "$ROOT/data" -l "$ROOT/postgres.log" \
                -w -t "$TIMEOUT" -s >&2; then
            started=1
            break
        fi
        # pg_ctl may time out while the postmaster is still coming up; let pg_isready decide.
        if is_running "$ROOT"; then
            started=1
            break
        fi
        if grep -q -e 'Address already in use' -e 'could not bind' "$ROOT/postgres.log" 2>/dev/null; then
            log "port $port was taken in the meantime; retrying with another port"
            continue
        fi
        log "error: pg_ctl could not start the server"
        show_log "$ROOT"
        exit 1
    done
    [ "$started" = 1 ] || { show_log "$ROOT"; die "could not start PostgreSQL after 5 attempts"; }

    if ! wait_ready "$ROOT" "$port" "$deadline"; then
        log "error: the server exited before accepting connections"
        show_log "$ROOT"
        exit 1
    fi

    psql="$(client psql)"
    exists="$(as_pg "$ROOT" "$psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres \
        -v ON_ERROR_STOP=1 -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" \
        || die "could not query the new server"
    if [ "$exists" != 1 ]; then
        as_pg "$ROOT" "$psql" -X -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres \
            -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME" >&2 \
            || die "could not create database $DB_NAME"
    fi

    log "ready in $((SECONDS - t0))s"
    make_url "$port" | tee "$dir/url"
}

# --------------------------------------------------------------------- stop ---

cmd_stop() {
    local dir="$1" root
    if [ ! -e "$dir" ]; then
        log "$dir does not exist; nothing to stop"
        return 0
    fi
    [ -d "$dir" ] || die "$dir is not a directory"
    dir="$(abs_dir "$dir")"
    [ "$dir" != / ] || die "refusing to use / as DIR"
    [ -e "$dir/$MARKER" ] || die "$dir was not created by scripts/postgres.sh; refusing to delete it"
    take_lock "$dir"
    root="$(server_root "$dir")"

    if [ -f "$root/data/PG_VERSION" ]; then
        ensure_bins
        pick_user
        if is_running "$root"; then
            log "stopping PostgreSQL in $root/data"
            if ! as_pg "$root" "$BINDIR/pg_ctl" stop -D "$root/data" -m fast -w -t "$TIMEOUT" -s >&2; then
                log "warning: fast shutdown failed; using immediate shutdown"
                as_pg "$root" "$BINDIR/pg_ctl" stop -D "$root/data" -m immediate -w -t "$TIMEOUT" -s >&2 \
                    || die "could not stop PostgreSQL in $root/data"
            fi
        fi
    fi
    if [ "$root" != "$dir/pg" ] && [ -d "$root" ]; then
        rm -rf -- "$root"
    fi
    rm -rf -- "$dir"
    log "stopped and removed $dir"
}

cmd_url() {
    local dir="$1" root port
    [ -d "$dir" ] || die "$dir does not exist"
    dir="$(abs_dir "$dir")"
    root="$(server_root "$dir")"
    ensure_bins
    pick_user
    if ! is_running "$root" || [ ! -f "$dir/port" ]; then
        die "no server running in $dir"
    fi
    port="$(cat "$dir/port")"
    make_url "$port"
}

# --------------------------------------------------------------------- main ---

[ $# -eq 2 ] || usage
[ -n "$2" ] || usage
case "$1" in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    url) cmd_url "$2" ;;
    *) usage ;;
esac
