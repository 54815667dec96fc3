# Sourced by the scripts: make sure .venv exists and holds the project with the named extras.
# Re-installs only when pyproject.toml (or the extras asked for) changed since the last install.
ensure_venv() {
  local extras="${1:-}"
  local py="${PYTHON:-python3}"
  if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2
    exit 2
  fi
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local want
  want="$(cat pyproject.toml; echo "extras=$extras")"
  want="$(printf '%s' "$want" | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  if [ ! -f .venv/.installed ] || ! grep -qx "$want" .venv/.installed; then
    local target="."
    [ -n "$extras" ] && target=".[$extras]"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
    printf '%s\n' "$want" >> .venv/.installed
  fi
}
