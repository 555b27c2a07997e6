#!/usr/bin/env bash
# Fuzzing for CI and by hand. Targets and corpora: fuzz/ (see fuzz/README.md).
#
# 1. If cargo-fuzz is installed and can build (a nightly toolchain, or stable with RUSTC_BOOTSTRAP=1,
#    `-s none`: coverage-guided libFuzzer without a sanitizer), run each target for
#    ${FUZZ_SECONDS:-60} seconds; new inputs go to a scratch directory, crashes to fuzz/artifacts/.
# 2. Always afterwards: the stable corpus replay (every target over every committed input in
#    fuzz/corpus/<target>/, plus any crash left in fuzz/artifacts/<target>/).
# Exits non-zero when a fuzz run finds a crash or the replay fails.
#
# Environment: FUZZ_SECONDS (default 60; 0 = replay only), FUZZ_TARGETS (default: all four),
# FUZZ_MODE=replay to skip fuzzing even when cargo-fuzz is available.
set -euo pipefail

cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-redirect authn_post sp_metadata writer_roundtrip}"
status=0

fuzz_env=()
can_fuzz=no
if [[ "${FUZZ_MODE:-}" != replay && "$seconds" != 0 ]] && cargo fuzz --version >/dev/null 2>&1; then
    if rustc --version | grep -q nightly; then
        can_fuzz=yes
    else
        # Stable: the instrumentation flags cargo-fuzz passes are unstable; allow them.
        fuzz_env=(RUSTC_BOOTSTRAP=1)
        can_fuzz=yes
    fi
fi

if [[ $can_fuzz == yes ]]; then
    echo "fuzz.sh: mode: cargo-fuzz (${fuzz_env[*]:-nightly}, -s none), ${seconds}s per target, then replay"
    if ! env "${fuzz_env[@]}" cargo fuzz build -s none --dev --no-default-features; then
        echo "fuzz.sh: cargo-fuzz build failed; falling back to replay only"
        can_fuzz=no
    fi
else
    echo "fuzz.sh: mode: replay only (cargo-fuzz not installed, FUZZ_MODE=replay or FUZZ_SECONDS=0)"
fi

if [[ $can_fuzz == yes ]]; then
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    for t in $targets; do
        mkdir -p "$scratch/$t"
        echo "fuzz.sh: fuzzing $t for ${seconds}s"
        if ! env "${fuzz_env[@]}" cargo fuzz run -s none --dev --no-default-features "$t" \
            "$scratch/$t" "corpus/$t" -- \
            -max_total_time="$seconds" -timeout=10 -max_len=16384 -rss_limit_mb=2048 \
            -print_final_stats=1; then
            echo "fuzz.sh: FAIL: $t crashed; the input is in fuzz/artifacts/$t/" \
                "(minimize: cargo fuzz tmin -s none --dev $t <file>; keep it in fuzz/corpus/$t/)"
            status=1
        fi
    done
fi

echo "fuzz.sh: replay"
if ! CARGO_TARGET_DIR="${FUZZ_REPLAY_TARGET_DIR:-$PWD/../target}" cargo run --quiet --bin replay; then
    status=1
fi
exit "$status"
