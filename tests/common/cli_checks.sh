# Sourced by the command-line tests (tests/*/..._test.sh): run a command
# and check its exit code and output lines. The caller sets $tmp (a scratch
# directory) first; `fails` and `checks` count, and the caller ends with
# `cli_checks_done`.
fails=0 checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run EXPECTED_RC CMD...: run, keep stdout in $tmp/out and stderr in $tmp/err
run() {
	local want=$1 rc
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	checks=$((checks + 1))
	[ "$rc" -eq "$want" ] || fail "exit $rc, want $want: $*$(printf '\n%s\n%s' "$(cat "$tmp/out")" "$(cat "$tmp/err")")"
}

# has FILE REGEX: a line of $tmp/FILE (out or err) matches
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "$tmp/$1" || fail "no line matching '$2' in $1:$(printf '\n%s' "$(cat "$tmp/$1")")"
}

# hasnt FILE REGEX: no line does
hasnt() {
	checks=$((checks + 1))
	! grep -Eq -- "$2" "$tmp/$1" || fail "unexpected '$2' in $1"
}

# The summary line, and the exit status of the test.
cli_checks_done() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ]
}
