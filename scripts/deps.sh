#!/usr/bin/env bash
# Installs what building and testing afftrack needs, from Debian and npm packages only,
# and only what is missing (so it is quick when everything is there). Safe to run
# repeatedly. Debian: the C libraries, node and npm, Chromium for the browser tests,
# clang-format (14 on bookworm: `make test` checks the C style with it, and other
# versions format differently).
# npm: the pinned versions of package.json / package-lock.json (the dashboard's modules,
# embedded into the binary at build, playwright-core, and the known-bot list the build
# turns into C), into ./node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
need=(build-essential pkg-config libh2o-evloop-dev libjansson-dev libsqlite3-dev libssl-dev libsodium-dev libargon2-dev
      zlib1g-dev sqlite3 libpcre2-dev libmaxminddb-dev libicu-dev nodejs npm chromium clang-format)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm may come from outside Debian (nvm, a tarball): accept node >= 18 and any npm on PATH.
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  missing=("${missing[@]/nodejs}")
  command -v npm >/dev/null 2>&1 && missing=("${missing[@]/npm}")
fi
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
# Chromium from elsewhere at the path the browser tests use is fine too.
if [ -x /usr/bin/chromium ]; then
  missing=("${missing[@]/chromium}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# npm packages: reinstall when the lock file is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
