#!/usr/bin/env bash
# Installs what building and testing afftrack needs, from Debian packages and the npm
# packages of package.json (npm ci), and only what is missing (so it is quick when
# everything is there). Safe to run repeatedly.
set -euo pipefail
need=(build-essential pkg-config libh2o-evloop-dev libjansson-dev libsqlite3-dev libssl-dev libsodium-dev zlib1g-dev sqlite3
      libpcre2-dev libmaxminddb-dev nodejs npm)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node may come from outside Debian (nvm, a tarball): accept any node >= 18 on PATH.
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  missing=("${missing[@]/nodejs}")
  command -v npm >/dev/null 2>&1 && missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# npm packages the build reads (package.json: the known-bot list), at the locked versions.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
