#!/usr/bin/env bash
# Fresh clone to a serving `make demo`, then a second start, timed on this machine.
#
#     bash bench/fresh_clone_demo.sh [PORT]
#
# Clones the committed HEAD into a temporary folder (so nothing installed in this work tree helps),
# runs `make demo` with the server on PORT (default 8765), and waits until the login page answers.
# pip's and npm's download caches are whatever this machine has; the script says so.
set -euo pipefail
port="${1:-8765}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill -- -$pid 2>/dev/null || true; rm -rf "$work"' EXIT

git clone --quiet "$repo" "$work/chanjiao"
if [ -d "$repo/../shared" ]; then ln -s "$repo/../shared" "$work/shared"; fi
cd "$work/chanjiao"
echo "pip cache: $(du -sh "$(pip cache dir 2>/dev/null || echo /nonexistent)" 2>/dev/null | cut -f1 || echo none); npm cache: $(du -sh ~/.npm 2>/dev/null | cut -f1 || echo none)"

wait_up() {
  local started=$1
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "http://127.0.0.1:${port}/login/" 2>/dev/null; then
      echo "$(( $(date +%s%N) / 1000000 - started ))"
      return 0
    fi
    sleep 0.2
  done
  echo "server did not answer" >&2
  return 1
}

start=$(( $(date +%s%N) / 1000000 ))
set -m
CHANJIAO_BIND="127.0.0.1:${port}" make demo > "$work/first.log" 2>&1 &
pid=$!
set +m
first=$(wait_up "$start")
echo "first make demo (fresh clone, installs included): $(awk "BEGIN{print $first/1000}") s"
kill -- -"$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

start=$(( $(date +%s%N) / 1000000 ))
set -m
CHANJIAO_BIND="127.0.0.1:${port}" make demo > "$work/second.log" 2>&1 &
pid=$!
set +m
second=$(wait_up "$start")
echo "second make demo (everything in place): $(awk "BEGIN{print $second/1000}") s"
grep -E "演示账号|ah_province" "$work/second.log" | head -n 2
