#!/usr/bin/env bash
# Compares our Response signing throughput with raw OpenSSL RSA-2048 signing, both on one core.
#
# Runs `openssl speed -seconds 5 -multi 1 rsa2048` and `cargo bench --bench signing`, then prints
#   responses/s                  complete Responses (Assertion + Response signed, 8 attributes)
#   signatures/s (=2×responses)  the XML signatures those contain
#   openssl rsa2048 sign/s       the raw RSA-2048 private-key operations OpenSSL manages
#   ratio                        signatures/s ÷ openssl sign/s, target ≥ 0.80
# Exits 2 when a number cannot be read; missing the target is reported, not an error.
# OPENSSL_SECONDS (default 5) shortens the openssl run; extra arguments go to the bench binary
# (e.g. `benches/compare.sh --measurement-time 3`).
set -euo pipefail
cd "$(dirname "$0")/.."

openssl_seconds="${OPENSSL_SECONDS:-5}"

echo "running: openssl speed -seconds ${openssl_seconds} -multi 1 rsa2048" >&2
speed_out="$(openssl speed -seconds "${openssl_seconds}" -multi 1 rsa2048 2>/dev/null)" || {
    echo "compare.sh: openssl speed failed" >&2
    exit 2
}
# The table header names the columns ("sign verify sign/s verify/s", newer versions add encrypt/
# decrypt columns); the row is "rsa 2048 bits <values…>". Pick the value under "sign/s".
openssl_sign="$(printf '%s\n' "${speed_out}" | awk '
    /sign\/s/ && !/^rsa/ { for (i = 1; i <= NF; i++) if ($i == "sign/s") col = i }
    /^rsa +2048 +bits/ && col { print $(col + 3); exit }')"

echo "running: cargo bench --bench signing $*" >&2
bench_out="$(cargo bench --bench signing -- "$@" 2>&1)" || {
    printf '%s\n' "${bench_out}" | tail -20 >&2
    echo "compare.sh: cargo bench failed" >&2
    exit 2
}

# Criterion prints "<id>" then "time:   [low unit mid unit high unit]" (same or next line).
# Prints the middle estimate in seconds.
bench_seconds() {
    printf '%s\n' "${bench_out}" | awk -v id="$1" '
        index($0, id) && !/Benchmarking/ { found = 1 }
        found && /time:/ {
            sub(/.*time: *\[/, "")
            v = $3; u = $4
            if (u == "ps") m = 1e-12; else if (u == "ns") m = 1e-9
            else if (u == "µs" || u == "us") m = 1e-6; else if (u == "ms") m = 1e-3
            else if (u == "s") m = 1; else exit
            printf "%.9g\n", v * m
            exit
        }'
}

response_s="$(bench_seconds signing/response_both_signed_8_attrs)"
raw_s="$(bench_seconds signing/openssl_rsa2048_sha256_sign)"

number='^[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$'
for v in "${openssl_sign}" "${response_s}" "${raw_s}"; do
    if ! [[ "${v}" =~ ${number} ]]; then
        echo "compare.sh: could not read the numbers (openssl='${openssl_sign}'" \
            "response='${response_s}' raw='${raw_s}')" >&2
        exit 2
    fi
done

awk -v o="${openssl_sign}" -v r="${response_s}" -v raw="${raw_s}" 'BEGIN {
    if (o <= 0 || r <= 0 || raw <= 0) exit 2
    rps = 1 / r; sps = 2 * rps; ratio = sps / o
    printf "responses/s                    %10.1f\n", rps
    printf "signatures/s (=2×responses)    %10.1f\n", sps
    printf "openssl rsa2048 sign/s         %10.1f\n", o
    printf "in-process raw sign/s (bench)  %10.1f\n", 1 / raw
    printf "ratio signatures/openssl       %10.3f   (target >= 0.80: %s)\n", ratio,
        (ratio >= 0.80 ? "met" : "NOT met")
}' || {
    echo "compare.sh: could not compute the ratio" >&2
    exit 2
}
