# Sourced by .ci/image and .ci/compose: a Docker daemon of CI's own, and the Debian bookworm base
# that the local stand-ins for Docker Hub images are built on (these machines reach the npm registry
# and Debian's mirrors, not Docker Hub). Needs root (apt-get, dockerd).
# shellcheck shell=bash

# The tag of the bare base: Debian bookworm from debootstrap (minbase), the release node:24-slim,
# postgres:16 and redis:7 are built on, with the apt sources the official Debian images carry and
# this machine's CA bundle (its egress proxy re-signs TLS; a real base image does not need it).
CI_BASE_TAG=warden-ci/bookworm:minbase

# docker.io and debootstrap from Debian when missing, then a daemon when none answers: no default
# bridge and no iptables rules (builds use the host's network; compose's own bridge network needs
# neither, see .ci/compose), overlay2 storage. Its log is .ci/cache/dockerd.log.
ci_dockerd() { # ci_dockerd <who, for messages>
  local who="$1" root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    mkdir -p "$root/.ci/cache"
    dockerd --iptables=false --ip6tables=false --bridge=none >"$root/.ci/cache/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "$who: dockerd did not start; see .ci/cache/dockerd.log" >&2; tail -20 "$root/.ci/cache/dockerd.log" >&2; return 1; }
  fi
}

# Debootstraps Debian bookworm (minbase) into <dir> (once: a tree already there is kept) and
# prints nothing. The caller owns <dir>. Used only when an image built on it is missing.
ci_debootstrap() { # ci_debootstrap <who> <dir>
  local who="$1" dir="$2"
  [ -f "$dir/.ci-bookworm" ] && return 0
  [ -x "$dir/bin/sh" ] || debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$dir.log" 2>&1 \
    || { echo "$who: debootstrap of Debian bookworm failed; the end of its log:" >&2; tail -20 "$dir.log" >&2; return 1; }
  cat >"$dir/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  mkdir -p "$dir/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  touch "$dir/.ci-bookworm"
}

# Imports <dir> (a debootstrapped tree) as $CI_BASE_TAG when that image is missing.
ci_base_image() { # ci_base_image <who> <dir>
  docker image inspect "$CI_BASE_TAG" >/dev/null 2>&1 && return 0
  ci_debootstrap "$1" "$2" || return 1
  echo "$1: importing Debian bookworm (debootstrap minbase) as $CI_BASE_TAG"
  tar -C "$2" --exclude ./.ci-bookworm -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$CI_BASE_TAG" >/dev/null
}
