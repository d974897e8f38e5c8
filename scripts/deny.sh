#!/usr/bin/env bash
# cargo-deny on the dependency graph, by the policy in deny.toml: the licences are on
# the allow-list, duplicate versions are reported (as warnings), and every crate comes
# from crates.io. Fails on any error; prints cargo-deny's "… ok" line per check.
#
#   bash scripts/deny.sh        # also run by make test
#
# Advisories (RustSec) are checked only when their database is already on this
# machine, in cargo-deny's default place ($CARGO_HOME/advisory-dbs, which
# `cargo deny fetch` fills): the database is fetched from GitHub, which this machine
# cannot reach, so here the check says that it is skipped, and why. `--offline`
# keeps cargo-deny from trying.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh

if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "FAILED: cargo-deny is not installed; make setup installs it" >&2
  exit 1
fi

cargo deny --offline check licenses bans sources

advisory_dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if [ -n "$(ls -A "$advisory_dbs" 2>/dev/null)" ]; then
  cargo deny --offline check advisories
else
  echo "advisories: skipped — no advisory database in $advisory_dbs (fetching it needs" \
    "github.com, which this machine cannot reach; run \`cargo deny fetch\` where it can)"
fi
