#!/usr/bin/env bash
# Prints the cycles between the crate's top-level modules and exits non-zero when there is one.
#
# The house is layered: a module may use the ones below it, never one above, so no two top-level
# modules may reach each other (directly or through others). A module is `src/X.rs` with
# everything under `src/X/`; it uses module Y when its text names `crate::Y` — code, `use` lines
# and doc links alike (a doc link that explains a lower module by a higher one is the same
# coupling, for a reader). `super::` paths that climb out of a top-level module are not followed:
# write sibling modules as `crate::Y`.
#
# Usage: bash scripts/module-cycles.sh   (from anywhere; reads the checkout it lives in)
#   -v   also print every module's outgoing edges
set -euo pipefail
cd "$(dirname "$0")/.."

# Edges ("from to") that another branch removes, each with the reason: left out of the check and
# reported; one that no longer exists is reported so the line gets deleted.
ALLOWED=(
)

verbose=false
[ "${1:-}" = "-v" ] && verbose=true

modules=$(find src -maxdepth 1 \( -name '*.rs' -o -type d \) ! -name src ! -name lib.rs ! -name main.rs |
    sed -E 's#^src/##; s#\.rs$##' | sort -u)

# "from to file" for every crate:: path that names another top-level module.
edges=$(
    for m in $modules; do
        files=()
        [ -f "src/$m.rs" ] && files+=("src/$m.rs")
        [ -d "src/$m" ] && while IFS= read -r f; do files+=("$f"); done < <(find "src/$m" -name '*.rs' | sort)
        for f in "${files[@]}"; do
            grep -oE 'crate::[a-z_][a-z0-9_]*' "$f" | sort -u | sed -E "s#^crate::##" |
                while read -r to; do
                    [ "$to" != "$m" ] && [ -e "src/$to.rs" -o -d "src/$to" ] && echo "$m $to $f"
                done || true
        done
    done
)

if $verbose; then
    echo "$edges" | awk 'NF { if (!seen[$1" "$2]++) out[$1] = out[$1] " " $2 } END { for (m in out) print m ":" out[m] }' | sort
    echo
fi

# Strongly connected components by transitive closure (a few dozen modules); per component the
# edges inside it with the files that make them.
echo "$edges" | awk -v allowed="$(printf '%s\n' "${ALLOWED[@]}")" '
    BEGIN {
        split(allowed, lines, "\n")
        for (l in lines) if (lines[l] != "") { split(lines[l], p, " "); skip[p[1], p[2]] = lines[l] }
    }
    NF {
        key = $1 SUBSEP $2
        if (key in skip) { present[skip[key]] = 1; skipped[key] = skipped[key] " " $3; next }
        if (!(key in files)) { node[$1]; node[$2]; reach[$1, $2] = 1 }
        files[key] = (key in files ? files[key] ", " : "") $3
    }
    END {
        n = 0
        for (m in node) names[++n] = m
        for (k = 1; k <= n; k++) for (i = 1; i <= n; i++) if (reach[names[i], names[k]])
            for (j = 1; j <= n; j++) if (reach[names[k], names[j]]) reach[names[i], names[j]] = 1
        bad = 0
        for (i = 1; i <= n; i++) {
            a = names[i]
            if (done[a] || !reach[a, a]) continue
            comp = ""
            for (j = 1; j <= n; j++) {
                b = names[j]
                if (reach[a, b] && reach[b, a]) { comp = comp " " b; done[b] = 1; member[b] = a }
            }
            printf "cycle:%s\n", comp
            for (key in files) {
                split(key, e, SUBSEP)
                if (member[e[1]] == a && member[e[2]] == a) printf "    %s -> %s: %s\n", e[1], e[2], files[key]
            }
            bad = 1
        }
        for (key in skipped) {
            split(key, e, SUBSEP)
            printf "left out (another branch removes it): %s -> %s:%s\n", e[1], e[2], skipped[key]
        }
        for (l in lines) if (lines[l] != "" && !(lines[l] in present))
            printf "note: %s is gone; delete it from ALLOWED in scripts/module-cycles.sh\n", lines[l]
        if (bad) { print "module cycles found: move the shared type down, or the caller up"; exit 1 }
        print "no module cycles"
    }'
