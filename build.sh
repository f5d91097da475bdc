#!/usr/bin/env bash
# Minerva.Native one-command build.
#   ./build.sh            install what is missing (nvcc, cmake), compile kernels/*.cu to PTX, build the solution (Release),
#                         leave ./minerva-native at the repo root
#   ./build.sh test       also install chromium (the bench report's browser test), build, run every test,
#                         end with "N passed, N failed, N skipped"
#   ./build.sh portable   self-contained linux-x64 bundle in dist/ (CLI + test executable; the PTX is inside Minerva.Native.dll),
#                         no .NET needed to run it
#   ./build.sh pack       NuGet packages in dist/: Minerva.Native (the engine, PTX inside), Minerva.Native.Server (the
#                         OpenAI endpoints for ASP.NET Core) and minerva-native (the CLI as a .NET tool), version from
#                         Directory.Build.props; use dist/ as a package source (README, "NuGet packages and the .NET tool")
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
mode=${1:-build}
config=Release
log() { printf '\033[1m[build]\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }

apt_usable() { command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || (command -v sudo >/dev/null && sudo -n true 2>/dev/null); }; }

apt_updated=0
apt_install() {
  apt_usable || return 1
  if [ $apt_updated = 0 ]; then as_root apt-get update -q >/dev/null || return 1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# Debian ships nvcc in the non-free component (Ubuntu in multiverse): enable it in the apt sources when needed.
enable_nonfree() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    as_root sed -i -E '/^Components:/{/contrib/!s/$/ contrib/;/non-free( |$)/!s/$/ non-free/}' /etc/apt/sources.list.d/debian.sources
  elif [ -f /etc/apt/sources.list ] && grep -q '^deb .*debian' /etc/apt/sources.list; then
    as_root sed -i -E '/^deb .*debian/{/contrib/!s/$/ contrib/;/ non-free( |$)/!s/$/ non-free/}' /etc/apt/sources.list
  elif command -v add-apt-repository >/dev/null; then
    as_root add-apt-repository -y multiverse >/dev/null
  fi
  apt_updated=0
}

find_nvcc() {
  for c in nvcc "${CUDA_PATH:-/usr/local/cuda}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

ensure_tools() {
  command -v cmake >/dev/null || { log "installing cmake"; apt_install cmake || log "cmake missing and apt unusable"; }
  if ! nvcc=$(find_nvcc); then
    if apt_usable; then
      log "nvcc not found: installing nvidia-cuda-toolkit from the distribution (about 2 minutes, 1.6 GB)"
      enable_nonfree
      apt_install nvidia-cuda-toolkit || log "could not install nvidia-cuda-toolkit"
    fi
    nvcc=$(find_nvcc) || nvcc=""
  fi
  host_cc=""
  if [ -n "$nvcc" ]; then
    # nvcc 11.x refuses gcc >= 12 as host compiler; clang-14 works.
    nvcc_major=$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
    gcc_major=$(gcc -dumpversion 2>/dev/null | cut -d. -f1 || echo 0)
    if [ "${nvcc_major:-0}" -lt 12 ] && [ "${gcc_major:-0}" -ge 12 ]; then
      command -v clang-14 >/dev/null || apt_install clang-14 || true
      command -v clang-14 >/dev/null && host_cc=clang-14
    fi
  fi
}

# The bench report's browser test renders it in headless Chromium; without a browser that one test is skipped.
ensure_chromium() {
  if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then return 0; fi
  if ! apt_usable; then log "no chromium and apt unusable: the bench report's browser test will be skipped"; return 0; fi
  log "installing chromium for the bench report's browser test (about 30 s, 124 MB)"
  apt_install chromium || log "could not install chromium: the bench report's browser test will be skipped"
}

build_ptx() {
  if [ -z "$nvcc" ] || ! command -v cmake >/dev/null; then
    log "WARNING: no nvcc (or cmake) and it could not be installed: building the CPU-only engine (no PTX kernels)"
    return 0
  fi
  log "compiling kernels/*.cu to PTX with $nvcc ${host_cc:+(host compiler $host_cc)}"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNVCC_EXECUTABLE="$nvcc" ${host_cc:+-DCMAKE_CUDA_HOST_COMPILER=$host_cc} >build/cmake.log 2>&1 \
    || { mkdir -p build; cmake -S . -B build -DNVCC_EXECUTABLE="$nvcc" ${host_cc:+-DCMAKE_CUDA_HOST_COMPILER=$host_cc}; }
  cmake --build build -j "$(nproc)"
  log "PTX: $(ls build/ptx/*.ptx | wc -l) files in build/ptx/"
}

build_dotnet() {
  log "dotnet build ($config)"
  dotnet build Minerva.Native.sln -c $config -nologo -v q -clp:ErrorsOnly
  cat > minerva-native <<LAUNCHER
#!/usr/bin/env bash
exec dotnet "$root/src/Minerva.Native.Cli/bin/$config/net10.0/minerva-native.dll" "\$@"
LAUNCHER
  chmod +x minerva-native
  log "done: ./minerva-native --help"
}

run_tests() {
  local exe=tests/Minerva.Native.Tests/bin/$config/net10.0/Minerva.Native.Tests
  # The reference data (tokenizer vocabularies, llama.cpp cases) lives in ../shared beside the checkout.
  if [ -z "${MINERVA_SHARED:-}" ] && [ ! -d ../shared/testdata ]; then
    echo "[build] warning: no ../shared/testdata beside this checkout (set MINERVA_SHARED=/path/to/shared): the tests that need it will fail" >&2
  fi
  local out; out=$(mktemp)
  set +e
  "$exe" --results-directory TestResults --timeout 80m "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  set -e
  summarize "$out" "$rc"
}

# Turns the Microsoft.Testing.Platform summary into the one closing line.
summarize() {
  local out=$1 rc=$2
  local total failed passed skipped
  total=$(sed -n 's/^ *total: *\([0-9]*\).*/\1/p' "$out" | tail -1)
  failed=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$out" | tail -1)
  passed=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$out" | tail -1)
  skipped=$(sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' "$out" | tail -1)
  rm -f "$out"
  if [ -z "$total" ]; then echo "0 passed, 1 failed, 0 skipped"; return 1; fi
  echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
  [ "$rc" = 0 ] && [ "${failed:-0}" = 0 ]
}

portable() {
  local rid=linux-x64 dest=dist/minerva-native-linux-x64
  rm -rf "$dest"; mkdir -p "$dest"
  log "publishing self-contained $rid bundle to $dest"
  dotnet publish src/Minerva.Native.Cli -c $config -r $rid --self-contained -nologo -v q -o "$dest" -p:PublishTrimmed=false
  # The tests share the bundle's folder and runtime (one copy of .NET keeps the bundle small enough to carry).
  dotnet publish tests/Minerva.Native.Tests -c $config -r $rid --self-contained -nologo -v q -o "$dest"
  # The tests' reference data (tokenizer vocabulary and cases) travels with the bundle.
  if [ -d ../shared/testdata ]; then mkdir -p "$dest/shared"; cp -r ../shared/testdata "$dest/shared/"; fi
  tar -C dist -czf dist/minerva-native-linux-x64.tar.gz minerva-native-linux-x64
  log "bundle: $dest (run $dest/minerva-native, tests: $dest/Minerva.Native.Tests); tarball dist/minerva-native-linux-x64.tar.gz"
}

pack() {
  [ -n "$(ls build/ptx/*.ptx 2>/dev/null)" ] || log "WARNING: no PTX in build/ptx: the packages carry the CPU-only engine"
  mkdir -p dist
  rm -f dist/Minerva.Native.*.nupkg dist/minerva-native.*.nupkg
  for project in src/*/*.csproj; do
    log "dotnet pack $project"
    dotnet pack "$project" -c $config -nologo -v q -clp:ErrorsOnly -o dist
  done
  log "packages in dist/: $(cd dist && ls *.nupkg | tr '\n' ' ')"
}

mkdir -p build
case "$mode" in
  build) ensure_tools; build_ptx; build_dotnet ;;
  test) ensure_tools; ensure_chromium; build_ptx; build_dotnet; shift; run_tests "$@" ;;
  portable) ensure_tools; build_ptx; portable ;;
  pack) ensure_tools; build_ptx; pack ;;
  *) echo "usage: ./build.sh [build|test|portable|pack]" >&2; exit 2 ;;
esac
