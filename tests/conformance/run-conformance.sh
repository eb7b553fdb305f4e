#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the official E2B SDKs from npm into a cache under the build dir,
# starts a real vivarium-host with a private state dir, and runs
# conformance.mjs against it (TAP on stdout).
# Usage: run-conformance.sh HOST_BINARY CACHE_DIR
set -eu
host_binary=$1
cache=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$cache"
if [ ! -f "$cache/.installed-v1" ]; then
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error \
     'e2b@^2' '@e2b/desktop@^2' 'e2b250@npm:e2b@2.50.0' >&2)
  touch "$cache/.installed-v1"
fi

work=$(mktemp -d)
host_pid=
cleanup() {
  if [ -n "$host_pid" ]; then
    # Kill every sandbox first: they outlive the host by design.
    for record in "$work"/state/sandboxes/*/sandbox.json; do
      [ -f "$record" ] || continue
      for cg in $(sed -n 's/.*"\(\/sys\/fs\/cgroup\/freezer\/[^"]*\)".*/\1/p' "$record"); do
        xargs -r kill -9 < "$cg/cgroup.procs" 2>/dev/null || true
      done
      pid=$(sed -n 's/.*"pid" : \([0-9]*\).*/\1/p' "$record")
      [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done
    kill "$host_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -m 0700 "$work/run"
XDG_RUNTIME_DIR="$work/run" "$host_binary" serve --state-dir "$work/state" 2>"$work/host.log" &
host_pid=$!

for _ in $(seq 1 300); do
  [ -f "$work/run/vivarium/host.json" ] && break
  sleep 0.1
done
eval "$(XDG_RUNTIME_DIR="$work/run" "$host_binary" env)"
export E2B_API_URL E2B_SANDBOX_URL E2B_API_KEY E2B_DOMAIN
export CONFORMANCE_MODULES="$cache/node_modules"

status=0
node "$here/conformance.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "# host log (last 40 lines):"
  tail -n 40 "$work/host.log" | sed 's/^/# /'
fi
exit "$status"
