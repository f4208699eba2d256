#!/usr/bin/env bash
# The two OpenAI-compatible servers the integration tests run the embedded
# GGUF through, built once from PyPI's llama-cpp-python sdist (pinned by
# version; it vendors llama.cpp) and cached in .tools/llm-servers/:
#   py/         a venv with llama-cpp-python and its `server` extras
#   llama-server  llama.cpp's own server, built with CMake from the same sources
# Each build prints how long it took; a cached one prints nothing.
#
# Built for any x86-64 with AVX2, not for this CPU (-march=native): ggml's
# AMX kernels, which a native build enables where the CPU lists AMX, fault in
# virtual machines that list it without granting it, and a cached build may
# move to another machine.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.3.36
dir=.tools/llm-servers
took() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
jobs=$(nproc 2>/dev/null || echo 2)
flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_CURL=OFF"
# A build is reused only if it was made with these flags.
built_with() { [ -f "$1" ] && [ "$(< "$1")" = "$flags" ]; }

sdist() {
  [ -f "$dir/src/llama_cpp_python-$version.tar.gz" ] && return 0
  # Both builds start from PyPI's sdist, which vendors the llama.cpp sources it was released with.
  mkdir -p "$dir/src"
  python3 -m pip download --quiet --no-deps --no-binary :all: --disable-pip-version-check \
    "llama-cpp-python==$version" -d "$dir/src"
}

if ! built_with "$dir/py/flags" || ! "$dir/py/bin/python" -c 'import llama_cpp.server' 2>/dev/null; then
  start=$EPOCHREALTIME
  echo "setup: building llama-cpp-python $version's server (a few minutes on 2 cores)"
  sdist
  rm -rf "$dir/py" "$dir/wheels"
  python3 -m venv "$dir/py"
  CMAKE_BUILD_PARALLEL_LEVEL=$jobs CMAKE_ARGS="$flags" \
    "$dir/py/bin/pip" wheel --quiet --no-deps --disable-pip-version-check -w "$dir/wheels" "$dir/src/llama_cpp_python-$version.tar.gz"
  "$dir/py/bin/pip" install --quiet --disable-pip-version-check "$(ls "$dir"/wheels/llama_cpp_python-*.whl)[server]"
  echo "$flags" >"$dir/py/flags"
  echo "setup: llama-cpp-python server $(took "$start") s"
fi

if ! built_with "$dir/llama-server.flags" || [ ! -x "$dir/llama-server" ]; then
  start=$EPOCHREALTIME
  echo "setup: building llama.cpp's llama-server from the same sources (a few minutes on 2 cores)"
  sdist
  work=$(mktemp -d)
  tar -xzf "$dir/src/llama_cpp_python-$version.tar.gz" -C "$work"
  src="$work/llama_cpp_python-$version/vendor/llama.cpp"
  # shellcheck disable=SC2086 # $flags is a list of options
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON $flags \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log" 2>&1 ||
    { tail -20 "$work/cmake.log" >&2; exit 1; }
  cmake --build "$work/build" --target llama-server -j "$jobs" >>"$work/cmake.log" 2>&1 || { tail -40 "$work/cmake.log" >&2; exit 1; }
  cp "$work/build/bin/llama-server" "$dir/llama-server.part" && mv "$dir/llama-server.part" "$dir/llama-server"
  echo "$flags" >"$dir/llama-server.flags"
  rm -rf "$work"
  echo "setup: llama-server $(took "$start") s"
fi
