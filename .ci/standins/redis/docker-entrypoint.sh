#!/bin/bash
# The part of the official redis image's entrypoint that deploy/compose relies on (CI stand-in, see
# the Dockerfile beside this file): `redis-server [config file] [--options]` runs as `redis`, in
# /data, bound to every interface with protected mode off, as the official build does.
set -euo pipefail
[ "${1#-}" = "${1:-}" ] || set -- redis-server "$@"
if [ "${1:-}" = redis-server ]; then
  shift
  conf=()
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then conf=("$1"); shift; fi
  set -- redis-server "${conf[@]}" --bind '* -::*' --protected-mode no "$@"
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis .
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
