#!/usr/bin/env bash
# What `make fuzz` needs beyond the build's own dependencies: clang and its libFuzzer
# runtime (Debian 12: packages clang and libclang-rt-dev, i.e. clang-14 and
# libclang-rt-14-dev). Installs only what is missing; `make fuzz-replay` needs none of it.
set -euo pipefail
probe() {
  printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
    clang -fsanitize=fuzzer,address,undefined -x c - -o /dev/null >/dev/null 2>&1
}
command -v clang >/dev/null 2>&1 && probe && exit 0
echo "fuzz: installing clang and its libFuzzer runtime"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-dev >/dev/null
if ! probe; then
  # The meta package may lag clang's own version: install the runtime of the clang we have.
  ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "libclang-rt-$ver-dev" >/dev/null || true
fi
if ! probe; then
  echo "fuzz: clang cannot link -fsanitize=fuzzer (packages clang, libclang-rt-dev)" >&2
  exit 1
fi
