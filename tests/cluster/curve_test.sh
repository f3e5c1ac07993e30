#!/bin/sh
# CURVE keeps strangers out (docs/design.md section 4): a coordinator bound on
# loopback tcp with --curve-secret/--curve-trust verifies with a worker
# whose key it trusts (same verdict as -w 0), and refuses one whose key it
# does not: that worker exits 2 saying its key was refused, and the
# coordinator never sees its hello (no "joined" line; it gives up after
# --wait-workers with exit 2). A tcp bind with no keys is refused (exit 2)
# unless --insecure says so. Every command runs under timeout.
# usage: curve_test.sh BPFVC PROGS_DIR
set -u
BPFVC=$(readlink -f "$1")
PROGS=$(readlink -f "$2")
OBJ=$PROGS/xdp_parser.bpf.o
T=$(mktemp -d /tmp/bvc-curve-XXXXXX) || exit 1
trap 'kill $CPID 2>/dev/null; rm -rf "$T"' EXIT
CPID=
fail() { echo "FAIL: $*"; for f in "$T"/*.txt; do echo "--- $f"; cat "$f"; done; exit 1; }

cd "$T" || exit 1
for k in coord good bad; do
	timeout 10 "$BPFVC" worker --curve-keygen $k 2>/dev/null || fail "keygen $k"
done
[ "$(stat -c %a good.key)" = 600 ] || fail "secret key not 0600"
mkdir trust && cp good.pub trust/

base=$(timeout 60 "$BPFVC" verify "$OBJ" -w 0 | sed 's/ (processed.*//')
[ -n "$base" ] || fail "in-process verify printed nothing"

# 0. no keys: refused before anything listens; --insecure is for plain binds only
timeout 60 "$BPFVC" verify "$OBJ" --bind tcp://127.0.0.1:0 --wait-workers 1 \
	>coord_out.txt 2>coord_err.txt
crc=$?
[ $crc = 2 ] || fail "plain tcp bind without --insecure: exit $crc, expected 2"
grep -q 'refusing to listen on tcp://127.0.0.1:0 without CURVE keys' coord_err.txt ||
	fail "plain tcp bind: no clear refusal"
grep -q 'listening on' coord_err.txt && fail "plain tcp bind: it listened anyway"
timeout 60 "$BPFVC" verify "$OBJ" --bind tcp://127.0.0.1:0 --insecure --curve-secret coord.key \
	--curve-trust trust >coord_out.txt 2>coord_err.txt
[ $? = 2 ] || fail "--insecure with CURVE keys accepted"

# start_coord WAIT: coordinator in the background, port in $PORT
start_coord() {
	rm -f coord_out.txt coord_err.txt
	timeout 60 "$BPFVC" verify "$OBJ" --bind tcp://127.0.0.1:0 --wait-workers "$1" \
		--curve-secret coord.key --curve-trust trust >coord_out.txt 2>coord_err.txt &
	CPID=$!
	PORT=
	for i in $(seq 100); do
		PORT=$(grep -o 'tcp://127.0.0.1:[0-9]*' coord_err.txt 2>/dev/null | head -1)
		[ -n "$PORT" ] && break
		sleep 0.1
	done
	[ -n "$PORT" ] || fail "coordinator did not report its endpoint"
}

# 1. the trusted worker verifies
start_coord 10
timeout 30 "$BPFVC" worker --connect "$PORT" --curve-secret good.key --curve-server coord.pub \
	>worker_out.txt 2>worker_err.txt
wrc=$?
wait $CPID; crc=$?; CPID=
[ $wrc = 0 ] || fail "trusted worker exit $wrc"
[ $crc = 0 ] || fail "coordinator exit $crc with a trusted worker"
got=$(sed 's/ (processed.*//' coord_out.txt)
[ "$got" = "$base" ] || fail "verdict '$got', in-process '$base'"
grep -q 'joined (' coord_err.txt || fail "no join line"

# 2. the untrusted worker is refused at the handshake
start_coord 3
timeout 30 "$BPFVC" worker --connect "$PORT" --curve-secret bad.key --curve-server coord.pub \
	>worker_out.txt 2>worker_err.txt
wrc=$?
[ $wrc = 2 ] || fail "untrusted worker exit $wrc, expected 2"
grep -q 'refused our CURVE key' worker_err.txt || fail "untrusted worker: no clear error"
wait $CPID; crc=$?; CPID=
[ $crc = 2 ] || fail "coordinator exit $crc with only an untrusted worker, expected 2"
grep -q 'joined (' coord_err.txt && fail "the coordinator saw the untrusted worker's hello"
grep -q 'no worker joined' coord_err.txt || fail "coordinator: no clear error"

# 3. a plain (no CURVE) worker cannot talk to a CURVE coordinator either
start_coord 3
timeout 30 "$BPFVC" worker --connect "$PORT" --wait 2 >worker_out.txt 2>worker_err.txt
wrc=$?
[ $wrc = 2 ] || fail "plain worker exit $wrc, expected 2"
wait $CPID; crc=$?; CPID=
[ $crc = 2 ] || fail "coordinator exit $crc with only a plain worker"
grep -q 'joined (' coord_err.txt && fail "the coordinator saw the plain worker's hello"
echo "PASS: curve"
