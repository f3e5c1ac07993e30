#!/usr/bin/env bash
# veristat's formats from the outside (issue #18): `bpfvc verify
# --output-format csv|table` writes veristat's columns and nothing else;
# `bpfvc compare` reads that CSV back (A vs A: every verdict MATCH, every
# difference +0), says MISMATCH and exits 1 when verdicts differ, refuses
# a malformed CSV with exit 2, and puts the running kernel (A) beside
# bpfvc (B) when bpf() is allowed.
# Usage: veristat_test.sh BPFVC PROGS_DIR
set -u

bpfvc=$1 progs=$2
tmp=$(mktemp -d /tmp/bvc-veristat-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/../common/cli_checks.sh"

ok=$progs/socket_filter.bpf.o xdp=$progs/xdp_parser.bpf.o bad=$progs/loader_extern.bpf.o

# --- verify --output-format csv: veristat's header, one row per program ---
run 1 "$bpfvc" verify --output-format csv "$ok" "$xdp" "$bad"
cp "$tmp/out" "$tmp/a.csv"
has out '^file_name,prog_name,verdict,duration,total_insns,total_states,peak_states,max_states_per_insn,mark_read_max_len$'
has out '^socket_filter\.bpf\.o,tcp_only,success,[0-9]+,[1-9][0-9]*,[0-9]+,[0-9]+,[0-9]+,0$'
has out '^xdp_parser\.bpf\.o,xdp_parse,success,[0-9]+,[1-9][0-9]*,'
has out '^loader_extern\.bpf\.o,uses_ksym,failure,'
checks=$((checks + 1))
[ "$(wc -l <"$tmp/out")" -eq 4 ] || fail "csv has $(wc -l <"$tmp/out") lines, want 4"
hasnt out 'accepted|rejected'

# --- the table: veristat's headers and dashes -----------------------------
run 0 "$bpfvc" verify -o table "$ok"
has out '^File +Program +Verdict +Duration \(us\) +Insns +States +Peak states$'
has out '^-+  -+  -+'
has out '^socket_filter\.bpf\.o +tcp_only +success +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$'
run 2 "$bpfvc" verify -o json "$ok"
has err 'output-format is table or csv'

# --- compare two CSVs: the round trip -------------------------------------
run 0 "$bpfvc" compare "$tmp/a.csv" "$tmp/a.csv" -o csv
has out '^file_name,prog_name,verdict_base,verdict_comp,verdict_diff,duration_base,duration_comp,duration_diff,total_insns_base,'
has out '^socket_filter\.bpf\.o,tcp_only,success,success,MATCH,[0-9]+,[0-9]+,\+0 \(\+0\.00%\),'
hasnt out 'MISMATCH'
hasnt out ',[+-][1-9][0-9]* \('
# a flipped verdict and a changed count: MISMATCH, the difference, exit 1
sed -e 's/^socket_filter\.bpf\.o,tcp_only,success,\([0-9]*\),\([0-9]*\),/socket_filter.bpf.o,tcp_only,failure,\1,100,/' "$tmp/a.csv" >"$tmp/b.csv"
run 1 "$bpfvc" compare "$tmp/a.csv" "$tmp/b.csv"
has out '^socket_filter\.bpf\.o +tcp_only +success +failure +MISMATCH '
has out 'verdicts that differ: 1$'
# a program only one side has: N/A
head -n 3 "$tmp/a.csv" >"$tmp/c.csv"
run 0 "$bpfvc" compare "$tmp/c.csv" "$tmp/a.csv" -o csv
has out '^loader_extern\.bpf\.o,uses_ksym,N/A,failure,N/A,'
# malformed input: exit 2, one line naming the file
printf 'file_name,prog_name,verdict\nx.o,p,maybe\n' >"$tmp/bad.csv"
run 2 "$bpfvc" compare "$tmp/a.csv" "$tmp/bad.csv"
has err "bad\.csv:2: verdict 'maybe' is neither success nor failure"
printf 'file_name,prog_name,insns_processed\n' >"$tmp/bad2.csv"
run 2 "$bpfvc" compare "$tmp/bad2.csv" "$tmp/a.csv"
has err "unknown column 'insns_processed'"
printf 'file_name,prog_name,verdict\nx.o,p,success,7\n' >"$tmp/bad3.csv"
run 2 "$bpfvc" compare "$tmp/a.csv" "$tmp/bad3.csv"
has err 'more cells than columns'
run 2 "$bpfvc" compare "$tmp/a.csv" "$tmp/missing.csv"
run 2 "$bpfvc" compare "$tmp/a.csv"

# --- compare objects: the kernel beside bpfvc -----------------------------
run 0 "$bpfvc" compare -p tcp_only "$ok"
if grep -q 'the kernel gives no verdict' "$tmp/err"; then
	echo "note: bpf() gives no verdict here ($(head -n 1 "$tmp/err")); kernel columns not checked"
	has out '^socket_filter\.bpf\.o +tcp_only +N/A +success +N/A '
else
	# Only the verdict is asserted of the kernel: its counts may change
	# with its version.
	has out '^socket_filter\.bpf\.o +tcp_only +success +success +MATCH +[0-9]+ +[0-9]+ '
	has out 'verdicts that differ: 0$'
fi
run 2 "$bpfvc" compare -p nosuch "$ok"
has err "no program named 'nosuch'"

cli_checks_done
