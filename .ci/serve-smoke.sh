#!/usr/bin/env bash
# The slim serving install works on its own: a fresh venv with only core + serve (no torch),
# the server started from it (outside the checkout, so the installed package is what runs) on a
# loopback port with BUNDLE, one sentence translated with curl, then SIGTERM.
#   bash .ci/serve-smoke.sh [BUNDLE_DIR]      (default models/en-de)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUNDLE=$(realpath "${1:-models/en-de}")
PYTHON=${PYTHON:-python3.11}
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

started=$(date +%s)
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --upgrade pip
"$WORK/venv/bin/pip" install --quiet "$ROOT[serve]"
if "$WORK/venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "serve-smoke: torch is installed in the serving venv" >&2; exit 1
fi
PORT=$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$WORK"
NMT_BUNDLES="$BUNDLE" NMT_HOST=127.0.0.1 NMT_PORT="$PORT" "$WORK/venv/bin/python" -m serving > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; echo "serve-smoke: the server exited" >&2; exit 1; }
  sleep 0.5
done
answer=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/translate" -H 'Content-Type: application/json' \
  -d '{"text": "Open the file menu.", "source": "en", "target": "de"}') || {
  cat "$WORK/server.log"; echo "serve-smoke: the translation request failed" >&2; exit 1; }
echo "serve-smoke: $answer"
echo "$answer" | grep -q '"translations"'
# the LibreTranslate extras in the slim install: language identification, a file round trip
base="http://127.0.0.1:$PORT"
curl -sf -X POST "$base/detect" --data-urlencode 'q=Datei öffnen' | grep -q '"language":"de"' || {
  cat "$WORK/server.log"; echo "serve-smoke: /detect failed" >&2; exit 1; }
printf 'msgid "Open the file menu."\nmsgstr ""\n' > "$WORK/app.po"
url=$(curl -sf -F "file=@$WORK/app.po" -F source=en -F target=de "$base/translate_file" |
  "$WORK/venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["translatedFileUrl"])') || {
  cat "$WORK/server.log"; echo "serve-smoke: /translate_file failed" >&2; exit 1; }
curl -sf "$url" | grep -q '^msgstr "..*"$' || { echo "serve-smoke: the translated .po is empty" >&2; exit 1; }
echo "serve-smoke: /detect and /translate_file (.po) work"
kill -TERM "$SERVER"
wait "$SERVER" || true  # uvicorn exits by the re-raised SIGTERM after draining
SERVER=""
grep -q '"drained; bye"' "$WORK/server.log" || { cat "$WORK/server.log"; exit 1; }
echo "serve-smoke: passed in $(( $(date +%s) - started )) s (fresh venv with core + serve only)"
