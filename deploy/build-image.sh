#!/bin/sh
# Builds the image from this repository and checks what the tests cannot without a Docker daemon:
# it starts, `warden` is the entrypoint, and it runs as a non-root user.
#   deploy/build-image.sh [tag]        (default tag: agent-warden:local)
# WARDEN_DOCKER_BUILD_FLAGS adds flags to `docker build` (e.g. "--network host"; unquoted, split on spaces).
set -eu
tag="${1:-agent-warden:local}"
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086
docker build ${WARDEN_DOCKER_BUILD_FLAGS:-} -t "$tag" .
docker run --rm --entrypoint id "$tag" -u | grep -qx 10001 || { echo "build-image: the image does not run as uid 10001" >&2; exit 1; }
docker run --rm "$tag" --version
docker image inspect "$tag" --format 'size {{.Size}} bytes, user {{.Config.User}}, entrypoint {{.Config.Entrypoint}}'
