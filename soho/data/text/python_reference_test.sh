#!/usr/bin/env bash
# Runs a differential test script with Debian's Python 3 (the pyenv python on PATH may differ).
# Usage: python_reference_test.sh <script.py> <args...>
set -euo pipefail
python=/usr/bin/python3
if [[ ! -x $python ]]; then
  echo "FAIL: $python is required for this reference test (apt-get install python3)"
  exit 1
fi
exec "$python" "$@"
