#!/usr/bin/env bash
# What swift-service-lifecycle 2.13.0 would add to a clean debug build (ARCHITECTURE.md,
# Lifecycle): two probe packages, one on swift-log alone (Handoff has it anyway), one adding
# ServiceLifecycle (and with it swift-async-algorithms and swift-collections), built from clean
# in alternation (`swift package clean` keeps the checkouts, so no fetching is timed). Prints
# each build's seconds, then the means and their difference.   bench/lifecycle-build-cost.sh [ROUNDS]
source "$(dirname "$0")/lib.sh"
rounds="${1:-3}"
dir="$OUT/lifecycle-probe"

# probe NAME DEPENDENCIES PRODUCTS SOURCE: a package whose one executable uses the products.
probe() {
    mkdir -p "$dir/$1/Sources/Probe"
    cat >"$dir/$1/Package.swift" <<MANIFEST
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "probe",
    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.16.2"), $2],
    targets: [.executableTarget(name: "Probe", dependencies: [.product(name: "Logging", package: "swift-log"), $3])]
)
MANIFEST
    printf '%s\n' "$4" >"$dir/$1/Sources/Probe/main.swift"
    (cd "$dir/$1" && swift package resolve >/dev/null)
}
probe without "" "" 'import Logging
print(Logger(label: "probe").label)'
probe with '.package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0")' \
    '.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")' 'import Logging
import ServiceLifecycle
print(ServiceGroup(services: [], logger: Logger(label: "probe")))'

for round in $(seq "$rounds"); do
    for variant in without with; do
        (cd "$dir/$variant" && swift package clean)
        start=$(date +%s.%N)
        (cd "$dir/$variant" && swift build --product Probe >/dev/null)
        echo "$variant $(echo "$(date +%s.%N) - $start" | bc)"
    done
done | tee "$OUT/lifecycle-build-cost.txt"
awk '{ sum[$1] += $2; n[$1]++ }
    END { printf "mean seconds: swift-log alone %.1f, with ServiceLifecycle %.1f, difference %.1f\n",
        sum["without"] / n["without"], sum["with"] / n["with"], sum["with"] / n["with"] - sum["without"] / n["without"] }' \
    "$OUT/lifecycle-build-cost.txt"
