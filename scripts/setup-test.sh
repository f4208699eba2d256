#!/usr/bin/env bash
# The system packages that `npm test` needs beyond scripts/setup.sh: Chromium
# (the Web UI and report tests drive it with playwright-core, which downloads
# no browser), docker-compose (the compose test validates
# docker-compose.yml; no Docker engine needed), Prometheus (the metrics test
# scrapes real workers with it; PROMETHEUS_BIN names another binary), and CMake and a C++ compiler
# for the two LLM servers the integration test runs (built once by
# scripts/build-llm-servers.sh, cached in .tools/llm-servers/). Installed with apt-get where
# that is possible (Debian or Ubuntu, as root or with password-less sudo),
# skipped when already there. Anywhere else it stops and says what to install:
# the suite never skips a test for a missing tool.
#   COLLM_NO_APT=1   never call apt-get; only check and advise
set -euo pipefail
cd "$(dirname "$0")/.."

chromium_found() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || { echo "setup: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; unset it or point it at Chromium" >&2; exit 1; }
    return 0
  fi
  [ -x /usr/bin/chromium ]
}
cmake_found() { command -v cmake >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1; }
compose_found() {
  command -v docker-compose >/dev/null 2>&1 || { command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }
}
prometheus_found() {
  if [ -n "${PROMETHEUS_BIN:-}" ]; then
    [ -x "$PROMETHEUS_BIN" ] || { echo "setup: PROMETHEUS_BIN=$PROMETHEUS_BIN is not an executable file; unset it or point it at prometheus" >&2; exit 1; }
    return 0
  fi
  command -v prometheus >/dev/null 2>&1
}

missing=()
chromium_found || missing+=(chromium)
compose_found || missing+=(docker-compose)
prometheus_found || missing+=(prometheus)
cmake_found || missing+=(cmake g++)
if [ ${#missing[@]} -eq 0 ]; then exec "$BASH" scripts/build-llm-servers.sh; fi

# How apt-get may run here: directly as root, through sudo without a password, or not at all.
apt=()
if [ -z "${COLLM_NO_APT:-}" ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo -n apt-get)
  fi
fi

advise() {
  echo "setup: npm test needs what is missing here: ${missing[*]}" >&2
  for m in "${missing[@]}"; do
    case $m in
      chromium) echo "  chromium: 'apt-get install chromium' (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary (the browser tests)" >&2 ;;
      docker-compose) echo "  docker-compose: 'apt-get install docker-compose' (Debian/Ubuntu), or install the Docker Compose plugin (the compose file test)" >&2 ;;
      prometheus) echo "  prometheus: 'apt-get install prometheus' (Debian/Ubuntu), or set PROMETHEUS_BIN to a Prometheus 2.x or 3.x binary (the metrics test)" >&2 ;;
      cmake|g++) echo "  $m: 'apt-get install cmake g++' (Debian/Ubuntu), to build the LLM servers of the integration test" >&2 ;;
    esac
  done
  [ ${#apt[@]} -gt 0 ] || echo "  (not installed automatically: $([ -n "${COLLM_NO_APT:-}" ] && echo 'COLLM_NO_APT is set' || echo 'apt-get needs root or password-less sudo here, or this is not Debian/Ubuntu'))" >&2
  exit 1
}
[ ${#apt[@]} -gt 0 ] || advise

start=$EPOCHREALTIME
echo "setup: installing ${missing[*]} for the tests (apt-get)"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; an old list may name versions long gone.
"${apt[@]}" update -qq >/dev/null || true
"${apt[@]}" install -y -qq "${missing[@]}" >/dev/null || advise
missing_after=()
chromium_found || missing_after+=(chromium)
compose_found || missing_after+=(docker-compose)
prometheus_found || missing_after+=(prometheus)
cmake_found || missing_after+=(cmake g++)
if [ ${#missing_after[@]} -gt 0 ]; then missing=("${missing_after[@]}"); advise; fi
echo "setup: ${missing[*]} $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
exec "$BASH" scripts/build-llm-servers.sh
