#!/usr/bin/env bash
# `nmt translate --ray` on N lines (default 20,000: the test split's sources repeated) whose actor
# process is killed (kill -9, only this run's own Ray worker) once LINES_DONE lines are
# committed; then the local run (--threads 1, the actors' thread count) of the same file; line
# counts and a byte comparison. Usage: bash bench/ray_kill_actor.sh [SOURCE_TXT] [N] [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${1:-}"
N="${2:-20000}"
WORK="${3:-$(mktemp -d)}"
LINES_DONE="${LINES_DONE:-4000}"
NMT="$ROOT/.venv/bin/nmt"
BUNDLE="${BUNDLE:-$ROOT/models/en-de}"
if [ -z "$SOURCE" ]; then
  SOURCE="$WORK/test-en.txt"
  cut -f1 "${NMT_HOME:-$HOME/.cache/nmt}/data/en-de/test.tsv" > "$SOURCE"
fi
cd "$WORK"
reps=$(( N / $(wc -l < "$SOURCE") + 1 ))
for _ in $(seq "$reps"); do cat "$SOURCE"; done | head -n "$N" > in.txt
rm -f ray.txt local.txt ray.txt.partial ray.txt.partial.json

"$NMT" translate in.txt ray.txt --bundle "$BUNDLE" --beam 1 --ray --ray-actors 2 --threads 1 \
  > ray.json 2> ray.err &
driver=$!
descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
done_lines() { python3 -c "import json; print(json.load(open('ray.txt.partial.json'))['position']['done'])" 2>/dev/null || echo 0; }
victim=""
while kill -0 "$driver" 2>/dev/null && [ -z "$victim" ]; do
  sleep 1
  [ "$(done_lines)" -ge "$LINES_DONE" ] || continue
  for p in $(descendants "$driver"); do
    if ps -o args= -p "$p" | grep -q '^ray::MapWorker'; then victim=$p; break; fi
  done
done
[ -n "$victim" ] || { echo "the run ended before an actor could be killed"; exit 1; }
echo "kill -9 actor process $victim at $(done_lines) of $N lines committed"
kill -9 "$victim"
wait "$driver"
echo "--ray exit $?: $(cat ray.json)"
"$NMT" translate in.txt local.txt --bundle "$BUNDLE" --beam 1 --threads 1 > local.json 2>/dev/null
echo "local: $(cat local.json)"
wc -l in.txt ray.txt local.txt
cmp ray.txt local.txt && echo "ray.txt and local.txt are identical"
