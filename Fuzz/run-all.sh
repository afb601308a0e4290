#!/usr/bin/env bash
# Runs every libFuzzer target under Fuzz/ for the given number of seconds each (default 45), or,
# with a second argument, for that many executions each (seconds 0: no time limit).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
runs="${2:--1}"
for dir in Fuzz/*/; do
    target="$(basename "$dir")"
    [ -f "$dir/main.swift" ] || continue
    Fuzz/run.sh "$target" "$seconds" "$runs"
done
