# Helpers for the CLI shell tests (sourced). Each check records a failure and goes on, so
# one run reports every problem; end the test with `finish`.
tmp=${TEST_TMPDIR:-$(mktemp -d)}
# Failures go to a file too: a check inside $(...) runs in a subshell, whose counter is lost.
failure_log="$tmp/failures.log"
: > "$failure_log"

fail() { echo "FAIL: $*" | tee -a "$failure_log" >&2; }

expect_ok() {  # description, command... ; prints the command's stdout
  local what=$1; shift
  local out
  if ! out=$("$@" 2>"$tmp/stderr"); then fail "$what: failed ($(cat "$tmp/stderr"))"; fi
  echo "$out"
}

expect_error() {  # description, expected substring, command...
  local what=$1 needle=$2; shift 2
  local out
  if out=$("$@" 2>&1); then fail "$what: expected a non-zero exit"; return; fi
  [[ "$out" == *"$needle"* ]] || fail "$what: error does not mention '$needle': $out"
}

finish() {  # name
  local failures
  failures=$(wc -l < "$failure_log")
  if (( failures )); then echo "$1: $failures failure(s)"; exit 1; fi
  echo "$1: all checks passed"
}
