#!/usr/bin/env bash
# Runs every coverage-guided fuzz target in fuzz/ (cargo-fuzz, libFuzzer, built with
# AddressSanitizer, debug assertions and overflow checks) for FUZZ_SECONDS each, and
# prints per target the executions and the coverage libFuzzer reached. Fails on any
# crash, panic, failed invariant, timeout or leak, naming the input that caused it.
#
#   FUZZ_SECONDS=20 bash scripts/fuzz.sh        # seconds per target (default 60)
#   HAMUSTRO_LONG_FUZZ=1 bash scripts/fuzz.sh   # 600 s per target, unless FUZZ_SECONDS
#   FUZZ_TARGETS="stored_rows" bash scripts/fuzz.sh
#   bash scripts/fuzz.sh --regressions          # replay only fuzz/regressions
#
# The stable toolchain takes cargo-fuzz's nightly flags (-Zsanitizer=address) with
# RUSTC_BOOTSTRAP=1. Committed seeds (fuzz/corpus/<target>) are only read. What a
# run discovers goes to a temporary corpus, so a bounded run spends its time
# fuzzing, not replaying earlier finds; with FUZZ_KEEP_CORPUS=1 (the default for
# HAMUSTRO_LONG_FUZZ=1) it goes to fuzz/target/corpus/<target> (git-ignored), and
# later runs go on from there. A failing input is saved as fuzz/artifacts/<target>/crash-…; replay
# it with `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <that file>`.
#
# The targets build into the suite "fuzz" of the build cache (scripts/build-cache.sh;
# $HAMUSTRO_BUILD_CACHE, else /var/cache/hamustro-build/fuzz), held locked for the
# whole run (the regression replays run its binaries by path), so a kept machine
# rebuilds only the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=toolchains.sh
source scripts/toolchains.sh
# shellcheck source-path=SCRIPTDIR source=build-cache.sh
source scripts/build-cache.sh

seconds=${FUZZ_SECONDS:-60}
keep=${FUZZ_KEEP_CORPUS:-0}
if [[ ${HAMUSTRO_LONG_FUZZ:-} == 1 ]]; then
    keep=${FUZZ_KEEP_CORPUS:-1}
    if [[ -z ${FUZZ_SECONDS:-} ]]; then
        seconds=600
    fi
fi
targets=${FUZZ_TARGETS:-c_api_sequence journal_decode stored_rows body_encoding collector_url}

export RUSTC_BOOTSTRAP=1
# The pinned cargo-fuzz (make setup installs it).
hamustro_cargo_tool cargo-fuzz

build_cache_lock fuzz "$PWD/fuzz/target"
build=$build_cache_dir

work=$(mktemp -d)
# The targets' scratch databases: on tmpfs when there is one (SQLite's syncs there
# are free, which makes the C API target about seven times faster).
if [[ -d /dev/shm && -w /dev/shm ]]; then
    scratch=$(mktemp -d -p /dev/shm)
else
    scratch=$work/scratch
fi
trap 'rm -rf "$work" "$scratch"' EXIT

echo "fuzz: building the targets (AddressSanitizer, debug assertions)"
nice -n 10 cargo fuzz build --release --debug-assertions --target-dir "$build" \
    >"$work/build.log" 2>&1 || {
    cat "$work/build.log"
    exit 1
}

if [[ ${1:-} == --regressions ]]; then
    # Inputs that failed when they were found (every run also starts from them).
    still=0
    for dir in fuzz/regressions/*/; do
        target=$(basename "$dir")
        for input in "$dir"*; do
            mkdir -p "$scratch/$target"
            if TMPDIR="$scratch/$target" "$build/x86_64-unknown-linux-gnu/release/$target" \
                "$input" >"$work/replay.log" 2>&1; then
                echo "fixed        $target/$(basename "$input")"
            else
                still=$((still + 1))
                reason=$(grep -A1 'panicked at' "$work/replay.log" | tail -n 1 | cut -c1-160)
                echo "still fails  $target/$(basename "$input"): ${reason:-see the log}"
            fi
        done
    done
    echo "fuzz: $still regressions fail"
    [[ $still -eq 0 ]]
    exit
fi

# fuzz_target TARGET: runs one target; its summary line goes to $work/TARGET.line, and
# on failure the report (the failed assertion, what the library printed, the input) to
# $work/TARGET.failed.
fuzz_target() {
    local target=$1 corpus=$work/corpus/$1 log=$work/$1.log status=0
    if [[ $keep == 1 ]]; then
        corpus=fuzz/target/corpus/$target
    fi
    mkdir -p "$corpus" "fuzz/artifacts/$target" "$scratch/$target"
    # Seeds, and the inputs of bugs found before: read, never written.
    local seeds=("fuzz/corpus/$target")
    [[ -d fuzz/regressions/$target ]] && seeds+=("fuzz/regressions/$target")
    TMPDIR="$scratch/$target" nice -n 10 cargo fuzz run --release --debug-assertions \
        --target-dir "$build" "$target" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -max_len=4096 -len_control=20 \
        -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
    local executions final cov ft rate
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    final=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
    rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$final")
    printf '%-16s executions %-9s exec/s %-6s cov %-6s ft %s' \
        "$target" "${executions:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" >"$work/$target.line"
    [[ $status -eq 0 ]] && return 0
    {
        echo "fuzz: $target FAILED (exit $status):"
        # The failed assertion or sanitizer report, then the input it came from.
        grep -m 1 -A 4 -E 'panicked at|^==[0-9]+==ERROR|^ALARM|out-of-memory|leak' "$log" ||
            grep -v -E '^#[0-9]+|^INFO:|^MS:' "$log" | tail -n 30
        # What the library printed while the failing input ran (c_api_sequence).
        local out
        for out in "$scratch/$target"/*.out; do
            if [[ -s $out ]]; then
                echo "fuzz: printed by the library during the failing input:"
                cat "$out"
            fi
        done
        grep -m 1 'Test unit written to' "$log" || true
        grep -m 1 -A 2 '^Reproduce with' "$log" | tail -n 1 || true
    } >"$work/$target.failed"
}

# As many targets at once as there are cores: a fuzzer is one process on one core, and
# -max_total_time is wall-clock time, so the run takes a fraction of the targets' sum.
parallel=$(nproc 2>/dev/null || echo 1)
running=0
for target in $targets; do
    echo "fuzz: $target for ${seconds}s"
    fuzz_target "$target" &
    running=$((running + 1))
    if [[ $running -ge $parallel ]]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

failed=()
summary=()
for target in $targets; do
    line=$(cat "$work/$target.line" 2>/dev/null || echo "$target (no result)")
    if [[ -f $work/$target.failed || ! -f $work/$target.line ]]; then
        failed+=("$target")
        line="$line  FAILED"
        cat "$work/$target.failed" 2>/dev/null || true
    fi
    summary+=("$line")
done

echo
echo "fuzz: ${seconds}s per target"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
    exit 1
fi
echo "fuzz: all targets clean"
