#!/usr/bin/env bash
# Makes sure the system packages the test suite needs are present (Debian): Chromium for the
# browser tests, shellcheck and yamllint for the ops checks (infra/test). As root it installs
# what is missing; otherwise it prints the one command to run. CHROMIUM_PATH pointing at an
# executable (e.g. the CI runner's Chrome) stands in for the chromium package.
set -euo pipefail

missing=()
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
  :
else
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v yamllint >/dev/null 2>&1 || missing+=(yamllint)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
