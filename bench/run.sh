#!/usr/bin/env bash
# bpfvc against the running kernel's verifier, side by side on this machine.
# Usage: bench/run.sh [BUILD_DIR]      (what `make bench` runs; needs root)
# Writes BUILD_DIR/bench/{report.md,*.csv,*.png}. See bench/README.md.
set -uo pipefail

B=${1:-build}
OUT=$B/bench
W=$OUT/work
mkdir -p "$W"
BPFVC=$B/cli/bpfvc
RUN=$B/runtime/bpfvc-run
DRV=$OUT/bvc-bench
KEY=$W/bench.key
T0=$(date +%s)

for f in "$BPFVC" "$RUN"; do
	[ -x "$f" ] || { echo "bench: $f missing: run make build first" >&2; exit 2; }
done
cc -O2 -Wall -std=gnu11 -o "$DRV" bench/bvc-bench.c bench/families.c $(pkg-config --cflags --libs libbpf) || exit 2
[ -f "$KEY" ] || "$BPFVC" keygen -o "$KEY" >/dev/null
eth='0000000000020000000000010800'
printf '%s4500002800004000400600000a0000010a000002%s' "$eth" \
	'04d2005000000000000000005002200000000000' | xxd -r -p >"$W/tcp.pkt"

log() { echo "bench: [$(($(date +%s) - T0)) s] $*" >&2; }
# min median max of numbers on stdin
mmm() { sort -g | awk '{v[NR]=$1} END{if(NR==0){print "- - -"}else{print v[1], v[int((NR+1)/2)], v[NR]}}'; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
jv() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" <<<"$2"; }

# ours FILE WORKERS REPS [bpfvc args...] -> "verdict processed states tmin tmed tmax rss_kb"
ours() {
	local file=$1 w=$2 reps=$3 i t s e out v=- p=- st=- rss=0 r
	shift 3
	: >"$W/times"
	for ((i = 0; i < reps; i++)); do
		s=$(date +%s%N)
		out=$(/usr/bin/time -o "$W/rss" -f %M "$BPFVC" verify "$file" -w "$w" --json "$@" 2>/dev/null)
		e=$(date +%s%N)
		awk -v s="$s" -v e="$e" 'BEGIN{printf "%.6f\n", (e - s) / 1e9}' >>"$W/times"
		v=$(jv verdict "$out"); p=$(jv processed_insns "$out"); st=$(jv total_states "$out")
		r=$(tail -n1 "$W/rss"); [ "${r:-0}" -gt "$rss" ] 2>/dev/null && rss=$r
	done
	echo "${v:--} ${p:--} ${st:--} $(mmm <"$W/times") $rss"
}

# kern FILE [driver args...] -> driver line
kern() { "$DRV" kernel "$@" 2>/dev/null || echo "verdict=error"; }

FAM=$OUT/families.csv
echo "family,param,tool,workers,verdict,processed,states,reps,time_s_min,time_s_med,time_s_max,peak_rss_kb" >"$FAM"
# fam_row FAMILY PARAM FILE: the kernel and bpfvc -w 0/1/2 on one generated program
fam_row() {
	local fam=$1 k=$2 f=$3 kl reps w r lim=()
	kl=$(kern "$f" --raw 1 --reps 5)
	echo "$fam,$k,kernel,,$(kv verdict "$kl"),$(kv processed "$kl"),$(kv states "$kl"),$(kv reps "$kl"),$(awk -v a="$(kv vtime_us_min "$kl")" -v b="$(kv vtime_us_med "$kl")" -v c="$(kv vtime_us_max "$kl")" 'BEGIN{printf "%.6f,%.6f,%.6f", a/1e6, b/1e6, c/1e6}'),," >>"$FAM"
	echo "$kl" >"$W/k-$fam-$k.txt"
	# bpfvc: no instruction limit (to show what the kernel cannot do);
	# fewer repetitions where one run takes seconds, and the largest k
	# only where they fit in the time and memory this machine has (see
	# the report's "Capped" note).
	for w in 0 1 2; do
		reps=5
		if [ "$fam" = stack ] || [ "$fam" = prec ]; then
			[ "$k" -ge 18 ] && reps=3
			[ "$k" -ge 20 ] && reps=1
			if [ "$k" -ge 22 ]; then
				[ "$w" = 2 ] && [ "$k" -le "${MAXK_W2[$fam]}" ] || continue
			elif [ "$k" -gt "${MAXK[$fam]}" ]; then
				continue
			fi
		fi
		r=$(ours "$f" "$w" "$reps" --type socket_filter --insn-limit 0)
		set -- $r
		echo "$fam,$k,bpfvc,$w,$1,$2,$3,$reps,$4,$5,$6,$7" >>"$FAM"
	done
}

declare -A MAXK=([stack]=20 [prec]=20)
declare -A MAXK_W2=([stack]=22 [prec]=22)
[ -n "${BENCH_QUICK:-}" ] && MAXK=([stack]=16 [prec]=16) && MAXK_W2=([stack]=0 [prec]=0)

log "path explosion, stack, precision and prunable variants, k = 8 .. 24"
for fam in stack prec prunable; do
	for k in 8 10 12 14 15 16 17 18 20 22 24; do
		"$DRV" gen "$fam" "$k" "$W/$fam-$k.bin"
		fam_row "$fam" "$k" "$W/$fam-$k.bin"
		log "  $fam k=$k done"
	done
done
log "bounded loop and straight-line code"
for n in 1000 10000 100000 300000; do
	"$DRV" gen loop "$n" "$W/loop-$n.bin"
	fam_row loop "$n" "$W/loop-$n.bin"
done
for n in 100 1000 10000 100000 500000; do
	"$DRV" gen straight "$n" "$W/straight-$n.bin"
	fam_row straight "$n" "$W/straight-$n.bin"
done

# ---- programs: tests/progs and a corpus sample ----------------------------
PROGS=$OUT/programs.csv
echo "source,program,kernel_verdict,kernel_processed,kernel_states,kernel_vtime_us_med,bpfvc_verdict_w0,bpfvc_processed_w0,bpfvc_states_w0,bpfvc_s_med_w0,bpfvc_processed_w1,bpfvc_s_med_w1,bpfvc_processed_w2,bpfvc_s_med_w2,peak_rss_kb_w2,processed_ratio,time_ratio_w0" >"$PROGS"
prog_row() { # SOURCE FILE NAME FLAGS
	local src=$1 f=$2 name=$3 flags=$4 kl a b c
	kl=$(kern "$f" -p "$name" --flags "$flags" --reps 5)
	a=($(ours "$f" 0 5 -p "$name")); b=($(ours "$f" 1 5 -p "$name")); c=($(ours "$f" 2 5 -p "$name"))
	awk -v s="$src" -v n="$name" -v kv="$(kv verdict "$kl")" -v kp="$(kv processed "$kl")" \
		-v ks="$(kv states "$kl")" -v kt="$(kv vtime_us_med "$kl")" \
		-v a="${a[*]}" -v b="${b[*]}" -v c="${c[*]}" 'BEGIN{
		split(a, A, " "); split(b, B, " "); split(c, C, " ");
		pr = (kv == "accept" && kp > 0 && A[2] ~ /^[0-9]+$/) ? sprintf("%.2f", A[2] / kp) : "-";
		tr = (kv == "accept" && kt > 0) ? sprintf("%.2f", A[5] * 1e6 / kt) : "-";
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.4f,%s,%.4f,%s,%.4f,%s,%s,%s\n", s, n, kv, kp, ks, kt,
			A[1], A[2], A[3], A[5], B[2], B[5], C[2], C[5], C[7], pr, tr }' >>"$PROGS"
}
log "tests/progs"
for f in "$B"/tests/progs/*.bpf.o; do
	case $(basename "$f") in loader_*) continue ;; esac
	name=$("$BPFVC" disasm "$f" | sed -n 's/^program \([^:]*\):.*/\1/p' | head -n1)
	prog_row tests/progs "$f" "$name" 0
done
CORPUS_NOTE=""
if [ -f "$B/corpus/kernel.csv" ] && [ -d "$B/corpus/cache/obj" ]; then
	log "corpus sample"
	# the 8 selftests the kernel accepts with the most processed insns, and
	# every 75th other one (deterministic)
	awk -F, '$NF=="agree-accept" && $1 ~ /^"verifier_/ {gsub(/"/, "", $1); print $11, $1, $6}' \
		"$B/corpus/kernel.csv" | sort -k1,1nr -k2 | awk 'NR<=8 || NR%75==0' >"$W/corpus.txt"
	while read -r _ id flags; do
		obj=$B/corpus/cache/obj/${id%%/*}.o
		[ -f "$obj" ] && prog_row corpus "$obj" "${id#*/}" "$flags"
	done <"$W/corpus.txt"
else
	CORPUS_NOTE="The corpus cache (build/corpus) is absent: run \`make test\` once to build it; the corpus tier was skipped."
fi

# ---- the device: load, code size, run time --------------------------------
DEV=$OUT/device.csv
echo "program,bytecode_insns,kernel_verdict,kernel_load_us_med,bpfvc_run_load_us_min,bpfvc_run_load_us_med,bpfvc_run_load_us_max,load_speedup,kernel_jited_bytes,bpfvc_code_bytes,code_ratio,kernel_test_run_ns,bpfvc_run_ns,run_ratio" >"$DEV"
dev_row() { # NAME FILE [--raw 1|-p NAME] PACKET?
	local name=$1 f=$2 sel=$3 selv=$4 pkt=$5 kl bo code ins i l rn kr kargs bargs rep
	if [ "$sel" = --raw ]; then kargs=(--raw 1); bargs=(--type socket_filter); else kargs=(-p "$selv"); bargs=(-p "$selv"); fi
	# 100000 runs per measurement, 1000 for programs that run 10 us or more
	rep=100000
	case $name in straight-[1-9]0000* | loop-*) rep=1000 ;; esac
	[ -n "$pkt" ] && kargs+=(--packet "$pkt" --repeat $rep)
	kl=$(kern "$f" "${kargs[@]}" --reps 5)
	bo=$("$BPFVC" build "$f" "${bargs[@]}" --target x86_64 --key "$KEY" -o "$W/$name.bvc" --insn-limit 0 2>&1) || { log "  $name: bpfvc build failed: $bo"; return; }
	code=$(sed -n 's/.*: \([0-9]*\) bytes of code.*/\1/p' <<<"$bo")
	ins=$(sed -n 's/.*, \([0-9]*\) insns of bytecode.*/\1/p' <<<"$bo")
	: >"$W/loads"
	for i in 1 2 3 4 5; do
		l=$("$RUN" "$W/$name.bvc" --pubkey "$KEY.pub" 2>&1 | sed -n 's/^load: \([0-9]*\) us.*/\1/p')
		echo "${l:-0}" >>"$W/loads"
	done
	rn=-
	[ -n "$pkt" ] && rn=$("$RUN" "$W/$name.bvc" --pubkey "$KEY.pub" --packet "$pkt" --repeat $rep 2>&1 | sed -n 's/^run: \([0-9.]*\) ns.*/\1/p')
	kr=$(kv run_ns "$kl"); [ -z "$pkt" ] && kr=-
	read -r lmin lmed lmax <<<"$(mmm <"$W/loads")"
	awk -v n="$name" -v ins="$ins" -v kv="$(kv verdict "$kl")" -v kw="$(kv wall_us_med "$kl")" \
		-v lmin="$lmin" -v lmed="$lmed" -v lmax="$lmax" -v kj="$(kv jited_len "$kl")" -v code="$code" \
		-v kr="$kr" -v rn="${rn:--}" 'BEGIN{
		sp = (lmed > 0 && kv == "accept") ? sprintf("%.1f", kw / lmed) : "-";
		cr = (kj > 0) ? sprintf("%.2f", code / kj) : "-";
		rr = (kr + 0 > 0 && rn + 0 > 0) ? sprintf("%.2f", rn / kr) : "-";
		if (kv != "accept") { kj = "-"; kr = "-" }
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", n, ins, kv, kw, lmin, lmed, lmax, sp, kj, code, cr, kr, rn, rr }' >>"$DEV"
}
log "device: load, code size, run time"
for f in "$B"/tests/progs/*.bpf.o; do
	case $(basename "$f") in loader_*) continue ;; esac
	name=$("$BPFVC" disasm "$f" | sed -n 's/^program \([^:]*\):.*/\1/p' | head -n1)
	pkt=""
	case $name in xdp_parse | tcp_only) pkt=$W/tcp.pkt ;; esac
	dev_row "$name" "$f" -p "$name" "$pkt"
done
for n in 100 1000 10000 100000 500000; do dev_row "straight-$n" "$W/straight-$n.bin" --raw 1 "$W/tcp.pkt"; done
for n in 1000 100000 300000; do dev_row "loop-$n" "$W/loop-$n.bin" --raw 1 "$W/tcp.pkt"; done
for k in 12 14 15 16 20; do dev_row "stack-$k" "$W/stack-$k.bin" --raw 1 "$W/tcp.pkt"; done

# ---- code size per target (issue #20): the same programs for each CPU ------
SIZES=$OUT/code_size.csv
log "code size per target"
echo "program,x86_64_bytes,arm64_bytes,thumbv7m_bytes,thumbv7m_per_x86_64,thumbv7m_per_arm64" >"$SIZES"
for f in "$B"/tests/progs/*.bpf.o; do
	case $(basename "$f") in loader_*) continue ;; esac
	name=$("$BPFVC" disasm "$f" | sed -n 's/^program \([^:]*\):.*/\1/p' | head -n1)
	row=$name
	for t in x86_64 arm64 thumbv7m; do
		bo=$("$BPFVC" build "$f" -p "$name" --target $t --key "$KEY" -o "$W/$name.$t.bvc" 2>&1) || bo=""
		sz=$(sed -n 's/.*: \([0-9]*\) bytes of code.*/\1/p' <<<"$bo" | head -n1)
		row="$row,${sz:-refused}"
	done
	awk -F, -v OFS=, '{ x = $2 + 0 > 0 && $4 + 0 > 0 ? sprintf("%.2f", $4 / $2) : "-";
		a = $3 + 0 > 0 && $4 + 0 > 0 ? sprintf("%.2f", $4 / $3) : "-"; print $0, x, a }' <<<"$row" >>"$SIZES"
done

log "plots and report"
TOTAL=$(($(date +%s) - T0))
BENCH_TOTAL=$TOTAL CORPUS_NOTE=$CORPUS_NOTE bench/report.sh "$B"
log "done: $OUT/report.md"
