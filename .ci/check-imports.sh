#!/usr/bin/env bash
# Fails when a target in Sources/ imports one of our modules it must not (ARCHITECTURE.md's
# arrows). Each `import` line of Sources/<Target>/**/*.swift is compared with the table below;
# third-party and system modules (Foundation, Crypto, Logging...) are free, except in the targets
# listed in STDLIB_ONLY, which may import nothing at all. A new target needs a row.
set -euo pipefail
cd "$(dirname "$0")/.."

# Our modules each target may import, as the code stands (2026-12).
declare -A ALLOWED=(
    [HandoffCore]=""
    [HTTPValues]=""
    [Lifecycle]=""
    [HTTPServer]="HTTPValues Lifecycle"
    # The storage seam: what repositories call and drivers implement; no driver, no domain.
    [DatabaseDriver]=""
    # The SQLite driver: the seam and libsqlite3, nothing of Handoff.
    [SQLite]="CSQLite DatabaseDriver"
    # Repositories and the migrator: the seam, never a driver.
    [Storage]="DatabaseDriver HandoffCore"
    [Gateway]="CCurl HandoffCore HTTPValues"
    [GatewaySimulator]="Gateway HandoffCore HTTPServer HTTPValues Lifecycle"
    # Use cases: no HTTP (no HTTPServer, HTTPValues, GatewaySimulator), no edge, no wiring.
    [HandoffDomain]="HandoffCore DatabaseDriver Storage Gateway Lifecycle"
    [HandoffHTTP]="HandoffCore HTTPValues HTTPServer DatabaseDriver Storage Gateway GatewaySimulator HandoffDomain"
    [HandoffService]="HandoffCore HTTPValues HTTPServer DatabaseDriver SQLite Postgres Storage Gateway GatewaySimulator HandoffDomain HandoffHTTP Lifecycle"
    [handoff]="HandoffService HandoffDomain Lifecycle"
    [Postgres]="CPostgres HandoffCore DatabaseDriver"
    [embed-assets]=""
)
# Pure rules and values, fuzzable as they are: the standard library only.
STDLIB_ONLY="HandoffCore HTTPValues DatabaseDriver"
# Module names that are ours: every target in Sources/, and the test-only helpers.
ours=" TestSupport "
for dir in Sources/*/; do ours+="$(basename "$dir") "; done

status=0
for dir in Sources/*/; do
    target=$(basename "$dir")
    files=$(find "$dir" -name '*.swift' | sort)
    [ -n "$files" ] || continue # system-library targets (module maps only)
    if [ -z "${ALLOWED[$target]+set}" ]; then
        echo "check-imports: Sources/$target is not in the table of $0: add the modules it may import" >&2
        status=1
        continue
    fi
    allowed=" ${ALLOWED[$target]} "
    while IFS=: read -r file line module; do
        if [[ " $STDLIB_ONLY " == *" $target "* ]]; then
            [[ "$allowed" == *" $module "* ]] && continue
        elif [[ "$ours" != *" $module "* || "$allowed" == *" $module "* ]]; then
            continue
        fi
        echo "check-imports: $file:$line: target $target must not import $module" \
            "(allowed: ${ALLOWED[$target]:-nothing of ours}$([[ " $STDLIB_ONLY " == *" $target "* ]] && echo ', standard library only'))" >&2
        status=1
    done < <(
        # `import X`, `@testable import X`, `internal import X`, `import struct X.Y`, ... -> file:line:X
        # shellcheck disable=SC2086 # $files: one path a word (no spaces in Sources/)
        awk '
            match($0, /^[ \t]*(@[A-Za-z_]+(\([^)]*\))?[ \t]+)*((public|package|internal|fileprivate|private)[ \t]+)?import[ \t]+((typealias|struct|class|enum|protocol|func|let|var)[ \t]+)?[A-Za-z_][A-Za-z0-9_]*/) {
                statement = substr($0, RSTART, RLENGTH)
                n = split(statement, words, /[ \t]+/)
                print FILENAME ":" FNR ":" words[n]
            }' $files
    )
done
if [ "$status" = 0 ]; then echo "check-imports: every target imports only what ARCHITECTURE.md allows"; fi
exit "$status"
