#!/usr/bin/env bash
# Validates docker-compose.yml (syntax, schema, interpolation) without starting
# anything: uses docker-compose (v1, e.g. Debian's package) if installed, else
# the `docker compose` plugin.
#   scripts/check-compose.sh [compose-file]   (default: docker-compose.yml at the repo root)
set -euo pipefail

cd "$(dirname "$0")/.."
file="${1:-docker-compose.yml}"

if [[ ! -f "$file" ]]; then
  echo "check-compose: $file not found" >&2
  exit 1
fi

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "check-compose: neither 'docker-compose' nor the 'docker compose' plugin is available." >&2
  echo "  Install one, e.g. 'apt-get install -y docker-compose' (Debian) or the Docker Compose plugin." >&2
  exit 1
fi

"${compose[@]}" -f "$file" config -q
echo "check-compose: $file is valid (${compose[*]})"
