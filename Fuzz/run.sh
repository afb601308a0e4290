#!/usr/bin/env bash
# Builds one libFuzzer target and runs it for N seconds.
#   Fuzz/run.sh <target> [seconds] [runs]   (seconds 0: no time limit; runs -1: no run limit)
# A target is a folder under Fuzz/ with main.swift (defining LLVMFuzzerTestOneInput), sources.txt
# (the project files it compiles in, one per line), an optional modules.txt (lines of
# "ModuleName folder-or-files...": project modules those files import, each built first from the
# folder's .swift files or the files named, with the same instrumentation, in order) and an
# optional seed corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"
seconds="${2:-45}"
runs="${3:--1}"
dir="Fuzz/$target"
out="Fuzz/.out/$target"
mkdir -p "$out/corpus" "$out/artifacts"
mapfile -t sources < <(grep -v '^\s*$' "$dir/sources.txt")
# The same upcoming features as Package.swift, so project files compile here as they do there.
flags=(-O -parse-as-library -sanitize=fuzzer,address -package-name handoff
    -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature ExistentialAny)
modules=()
if [ -f "$dir/modules.txt" ]; then
    mkdir -p "$out/modules"
    while read -r name paths; do
        [ -n "$name" ] || continue
        files=()
        for path in $paths; do
            if [ -d "$path" ]; then files+=("$path"/*.swift); else files+=("$path"); fi
        done
        # Each module sees the ones listed before it (HTTPServer imports HTTPValues).
        swiftc "${flags[@]}" "${modules[@]}" -module-name "$name" -emit-module -emit-module-path "$out/modules/$name.swiftmodule" \
            -emit-library -static -o "$out/modules/lib$name.a" "${files[@]}" >"$out/build.txt" 2>&1 || {
            cat "$out/build.txt"
            exit 1
        }
        modules+=(-I "$out/modules" -L "$out/modules" "-l$name")
    done <"$dir/modules.txt"
fi
# The linker warns about ASan's local symbols on every build; show its output only on failure.
swiftc "${flags[@]}" "${modules[@]}" \
    -module-name "Fuzz$target" "$dir/main.swift" "${sources[@]}" -o "$out/fuzzer" >"$out/build.txt" 2>&1 || {
    cat "$out/build.txt"
    exit 1
}
seeds=()
[ -d "$dir/corpus" ] && seeds=("$dir/corpus")
echo "fuzzing $target for ${seconds}s (0: unlimited), ${runs} runs (-1: unlimited)"
"$out/fuzzer" -max_total_time="$seconds" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" "${seeds[@]}" 2>"$out/log.txt" || {
    tail -n 60 "$out/log.txt"
    echo "fuzz target $target failed; crashing inputs are in $out/artifacts" >&2
    exit 1
}
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/log.txt" | sed "s/^/$target: /"
