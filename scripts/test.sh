#!/usr/bin/env bash
# Installs everything the tests need, then runs the static checks and the whole test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,dev,native]"

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`);
# the native-window test runs Qt WebEngine under Xvfb and screenshots it with ImageMagick;
# the replica test (tests/reliability/test_replicas.py) puts Debian's nginx in front.
APT_PACKAGES=(chromium nginx xvfb xauth imagemagick libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libnss3 libxcomposite1 libxdamage1 libxtst6
  libxrandr2 libasound2)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages for the browser, native and replica tests: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "NOTE: missing ${missing[*]} and not root: browser/native/replica tests will be skipped." >&2
  fi
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict app"
.venv/bin/mypy app
echo "== pytest"
.venv/bin/python -m pytest "$@"
