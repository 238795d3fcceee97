#!/usr/bin/env bash
# Installs what Tickwire's tests need on a fresh Debian machine, then runs every suite:
# formatting, lints and dependency checks, Rust unit, property and end-to-end tests (with a
# real redis-server and three nodes for the cluster tests, and
# the WebSocket conformance run of a standard Python client), the golden-vector checks on
# both sides, the browser client's unit tests, and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Installs Debian packages (as root, or through sudo).
apt_install() {
    local as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "$@" >/dev/null
}

if ! command -v redis-server >/dev/null 2>&1; then
    step "installing redis-server (Debian package) for the cluster tests"
    apt_install redis-server
fi

if ! command -v chromium >/dev/null 2>&1; then
    step "installing Chromium (Debian package) for the browser test"
    apt_install chromium
fi

step "installing the browser client's test dependencies (npm ci)"
(cd client-web && npm ci --no-audit --no-fund --loglevel=error)

step "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "dependencies: licenses, duplicate versions, sources (cargo deny; deny.toml)"
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny 0.20.2" ]; then
    cargo install --locked --quiet cargo-deny@0.20.2
fi
cargo deny check bans licenses sources

step "dependencies: known advisories (cargo deny, RustSec database)"
# The database is a git repository on github.com; where that cannot be reached, a copy
# fetched earlier is used, and with none the check says so instead of passing silently.
if cargo deny fetch db 2>/dev/null || compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/*/crates" >/dev/null; then
    cargo deny --offline check advisories
else
    echo "NOT CHECKED: the RustSec advisory database cannot be fetched from this machine"
fi

step "the WebSocket conformance run's Python client (venv, pip; tests/conformance)"
conformance_venv="$PWD/target/conformance-venv"
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt_install python3 python3-venv
fi
# Installed once; again only when the pinned requirements change.
if ! cmp -s tests/conformance/requirements.txt "$conformance_venv/requirements.txt"; then
    rm -rf "$conformance_venv"
    python3 -m venv "$conformance_venv"
    "$conformance_venv/bin/pip" install --quiet --disable-pip-version-check \
        -r tests/conformance/requirements.txt
    cp tests/conformance/requirements.txt "$conformance_venv/requirements.txt"
fi
export TICKWIRE_CONFORMANCE_VENV="$conformance_venv"

step "Rust tests: unit, property, golden vectors, end-to-end, WebSocket conformance"
cargo test --workspace --locked

step "browser client: type check and unit tests (codec, prediction, interpolation, vectors)"
(cd client-web && npm run typecheck && npm test)

step "browser test: real server, headless Chromium"
cargo build --locked -p tickwire-server --bin tickwire
# The README's run command (`cargo run --release`) must start the server, not ask which binary.
cargo run --locked -q -- --help | grep -q -- '--tick-rate'
(cd client-web && TICKWIRE_BIN="$PWD/../target/debug/tickwire" npm run test:browser)

step "all suites passed"
