#!/bin/sh
# The tcp:// path as between hosts: a coordinator and a worker in two
# network namespaces of this machine, joined by a veth pair with addresses
# from 198.18.0.0/15 (the range set aside for network tests), so traffic
# never leaves them. The coordinator binds tcp://198.18.0.1:PORT with no
# local worker, CURVE with the worker's key on its allow-list (as between
# hosts: a plain tcp bind is refused without --insecure, checked first);
# the worker connects from the other namespace. Verdicts must equal
# in-process (-w 0). Skipped (77) where namespaces cannot be
# made (no root, no CAP_SYS_ADMIN, no ip). Namespaces are removed by a
# trap; every command runs under timeout.
# usage: netns_test.sh BPFVC PROGS_DIR
set -u
BPFVC=$(readlink -f "$1")
PROGS=$(readlink -f "$2")
NC=bvc-coord-$$
NW=bvc-work-$$
VC=bvcc$$
VW=bvcw$$
PORT=17600
T=$(mktemp -d /tmp/bvc-netns-XXXXXX) || exit 1
CPID=
cleanup() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null
	ip netns del "$NC" 2>/dev/null
	ip netns del "$NW" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; for f in "$T"/*.txt; do echo "--- $f"; cat "$f"; done; exit 1; }

if ! command -v ip >/dev/null || ! ip netns add "$NC" 2>/dev/null; then
	echo "SKIP: cannot make network namespaces here (needs root and iproute2)"
	exit 77
fi
ip netns add "$NW" || fail "ip netns add $NW"
ip link add "$VC" type veth peer name "$VW" || { echo "SKIP: no veth"; exit 77; }
ip link set "$VC" netns "$NC" && ip link set "$VW" netns "$NW" || fail "moving veth ends"
ip -n "$NC" addr add 198.18.0.1/30 dev "$VC" || fail "address in $NC"
ip -n "$NW" addr add 198.18.0.2/30 dev "$VW" || fail "address in $NW"
for ns in "$NC" "$NW"; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$NC" link set "$VC" up && ip -n "$NW" link set "$VW" up || fail "veth up"
# The worker's namespace reaches the coordinator's address and nothing else.
timeout 10 ip netns exec "$NW" ping -c 1 -W 2 198.18.0.1 >/dev/null 2>&1 ||
	echo "note: no ping reply (ping missing?); going on"

FILES="$PROGS/xdp_parser.bpf.o $PROGS/socket_filter.bpf.o $PROGS/kprobe_counter.bpf.o"
# shellcheck disable=SC2086
timeout 60 "$BPFVC" verify $FILES -w 0 | grep -E ': (accepted|rejected)' | sed 's/ (processed.*//' >"$T/base.txt"
[ -s "$T/base.txt" ] || fail "in-process verify printed nothing"

# A plain tcp bind is refused before anything starts.
# shellcheck disable=SC2086
timeout 60 ip netns exec "$NC" "$BPFVC" verify $FILES --bind "tcp://198.18.0.1:$PORT" -w 0 \
	--wait-workers 15 >"$T/plain_out.txt" 2>"$T/plain_err.txt"
prc=$?
[ $prc = 2 ] || fail "plain tcp bind without --insecure: exit $prc, expected 2"
grep -q 'refusing to listen on tcp://198.18.0.1' "$T/plain_err.txt" || fail "plain tcp bind: no clear refusal"

(cd "$T" && timeout 10 "$BPFVC" worker --curve-keygen coord 2>/dev/null &&
	timeout 10 "$BPFVC" worker --curve-keygen work 2>/dev/null) || fail "keygen"
# shellcheck disable=SC2086
timeout 60 ip netns exec "$NC" "$BPFVC" verify $FILES --bind "tcp://198.18.0.1:$PORT" -w 0 \
	--curve-secret "$T/coord.key" --curve-trust "$T/work.pub" \
	--wait-workers 15 --stats >"$T/coord_out.txt" 2>"$T/coord_err.txt" &
CPID=$!
timeout 60 ip netns exec "$NW" "$BPFVC" worker --connect "tcp://198.18.0.1:$PORT" --wait 15 \
	--curve-secret "$T/work.key" --curve-server "$T/coord.pub" \
	>"$T/worker_out.txt" 2>"$T/worker_err.txt"
wrc=$?
wait "$CPID"; crc=$?; CPID=
[ $crc = 0 ] || fail "coordinator exit $crc"
[ $wrc = 0 ] || fail "worker exit $wrc"
grep -E ': (accepted|rejected)' "$T/coord_out.txt" | sed 's/ (processed.*//' >"$T/got.txt"
cmp -s "$T/base.txt" "$T/got.txt" || fail "verdicts differ from in-process"
grep -q 'joined (' "$T/coord_err.txt" || fail "no remote worker joined"
echo "PASS: netns ($(wc -l <"$T/got.txt") programs over tcp://198.18.0.1:$PORT)"
