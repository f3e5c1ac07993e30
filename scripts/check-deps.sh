#!/usr/bin/env bash
# The dependency rules of docs/architecture.md, checked on the tree as it
# is: the #include lines of every product folder (and of the public
# headers, by the module that owns each) and the target_link_libraries
# lines of every product CMakeLists.txt. Prints one line per breach,
# naming the file and what it may not include or link, and exits 1; exits
# 0 with one summary line when every rule holds. Tests, bench/ and the
# build trees are not product code and are not checked.
# Usage: scripts/check-deps.sh [SOURCE_DIR]   (ctest: deps)
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

# --- who owns each public header ------------------------------------------
# isa.h (the instruction format) and devabi.h (the device ABI) are plain
# data that the device reads too; the link rules below are what keep the
# verifier's code out of the device.
owner_of() {
	case "$1" in
	util.h) echo util ;;
	abi.h) echo abi ;;
	verifier.h | engine.h | image.h | scalar.h | tnum.h | disasm.h) echo verifier ;;
	isa.h | devabi.h) echo plain ;;
	loader.h) echo loader ;;
	profile.h) echo profile ;;
	state_serial.h) echo state-serial ;;
	coordinator.h) echo coordinator ;;
	worker.h) echo worker ;;
	jitter.h) echo jitter ;;
	signer.h | blob.h | ed25519.h) echo signer ;;
	runtime.h | interp.h) echo runtime ;;
	*) echo unknown ;;
	esac
}

# --- whose public headers each module may include -------------------------
# The arrows of docs/architecture.md; cli/ is the top and may use all.
# coordinator/ -> worker/ is plain types only: coordinator.h includes
# worker.h for struct bvc_core_slot (placement) and the CURVE key structs;
# coordinator/'s own files include neither worker.h nor anything else of
# the worker's, and call none of its code (checked below).
may_use() {
	case "$1" in
	util) echo "util" ;;
	abi) echo "abi util" ;;
	profile) echo "profile util" ;;
	verifier) echo "verifier abi util" ;;
	loader) echo "loader verifier abi util" ;;
	state-serial) echo "state-serial verifier abi util" ;;
	coordinator) echo "coordinator state-serial verifier loader abi util" ;;
	worker) echo "worker state-serial verifier loader abi util" ;;
	jitter) echo "jitter verifier abi util" ;;
	signer) echo "signer abi util" ;;
	runtime) echo "runtime signer abi util" ;;
	cli) echo ALL ;;
	esac
}

# --- which modules may include each outside library's headers -------------
# Anything not listed is taken as libc or the kernel's UAPI.
external_users() {
	case "$1" in
	protobuf-c/* | bpfvc.pb-c.h) echo "state-serial" ;; # only state-serial sees protobuf-c
	zmq.h) echo "coordinator worker cli" ;; # cli: zmq_lazy.c, its forwarders
	hwloc.h | hwloc/*) echo "coordinator worker" ;;
	bpf/* | gelf.h | libelf.h) echo "loader" ;;
	zlib.h) echo "profile loader" ;;
	openssl/*) echo "signer cli" ;;
	capstone/*) echo "cli" ;;
	*) echo ALL ;;
	esac
}

# --- what each library or program may link --------------------------------
may_link() {
	case "$1" in
	bvc_util) echo "" ;;
	bvc_abi) echo "bvc_util" ;;
	bvc_profile) echo "bvc_util PkgConfig::ZLIB" ;;
	bvc_verifier) echo "bvc_abi bvc_util" ;;
	bvc_loader) echo "bvc_verifier bvc_abi bvc_util PkgConfig::LIBBPF PkgConfig::LIBELF PkgConfig::ZLIB" ;;
	bvc_proto) echo "PkgConfig::PROTOBUFC" ;;
	bvc_state_serial) echo "bvc_verifier bvc_proto bvc_abi bvc_util" ;;
	bvc_coordinator | bvc_worker)
		echo "bvc_state_serial bvc_verifier bvc_loader bvc_abi bvc_util PkgConfig::ZMQ PkgConfig::HWLOC pthread" ;;
	bvc_jitter) echo "bvc_verifier bvc_abi bvc_util" ;;
	bvc_ed25519) echo "" ;;
	bvc_signer_check) echo "bvc_abi bvc_util PkgConfig::OPENSSL" ;;
	bvc_signer) echo "bvc_signer_check bvc_abi bvc_util PkgConfig::OPENSSL" ;;
	# The device: no verifier, no JIT, no signing half.
	bvc_runtime) echo "bvc_signer_check bvc_abi bvc_util" ;;
	bpfvc-run) echo "bvc_runtime bvc_signer_check bvc_abi bvc_util PkgConfig::OPENSSL" ;;
	bpfvc) echo ALL ;;
	# The bare-metal device (runtime/baremetal/, its own project): libgcc only.
	bvc_baremetal) echo "" ;;
	bvc-fw.elf) echo "bvc_baremetal gcc" ;;
	*) echo "?" ;;
	esac
}

modules="util abi profile verifier loader proto state-serial coordinator worker jitter signer runtime cli"
bad=0
nfiles=0
nlinks=0

breach() {
	echo "check-deps: $*"
	bad=$((bad + 1))
}

show() { # KIND HEADER: the header as the file spells it
	if [ "$1" = '"' ]; then echo "\"$2\""; else echo "<$2>"; fi
}

in_list() { # WORD LIST...
	local w=$1 x
	shift
	for x in "$@"; do
		[ "$x" = ALL ] || [ "$x" = "$w" ] && return 0
	done
	return 1
}

# check_includes FILE MODULE: every #include of FILE against MODULE's rules.
check_includes() {
	local file=$1 mod=$2 dir line hdr kind owner
	dir=$(dirname "$file")
	nfiles=$((nfiles + 1))
	while IFS= read -r line; do
		hdr=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$line")
		kind=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*(.).*/\1/' <<<"$line")
		case "$hdr" in
		bpfvc/*)
			owner=$(owner_of "${hdr#bpfvc/}")
			if [ "$owner" = unknown ]; then
				breach "$file: includes <$hdr>, which no module owns (add it to scripts/check-deps.sh)"
			elif [ "$owner" != plain ] && [ "$owner" != "$mod" ] &&
				! in_list "$owner" $(may_use "$mod"); then
				if [ "$file" = include/bpfvc/coordinator.h ] && [ "$hdr" = bpfvc/worker.h ]; then
					continue # plain types: placement, CURVE keys
				fi
				breach "$file: forbidden include \"$hdr\": $mod/ may not depend on $owner/ (docs/architecture.md)"
			fi
			;;
		*)
			if ! in_list "$mod" $(external_users "$hdr"); then
				breach "$file: forbidden include $(show "$kind" "$hdr"): only $(external_users "$hdr") may include it (docs/architecture.md)"
			elif [ "$kind" = '"' ] && [ "$hdr" != bpfvc.pb-c.h ] && [ "$hdr" != build_id.h ] &&
				{ [[ "$hdr" == */* ]] || [ ! -e "$dir/$hdr" ]; }; then
				# A private header is the module's own, in its folder.
				breach "$file: forbidden include \"$hdr\": not a header of $mod/ (another module's private header?)"
			fi
			;;
		esac
	done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$file")
}

for mod in $modules; do
	[ -d "$mod" ] || continue
	for f in "$mod"/*.c "$mod"/*.h; do
		[ -e "$f" ] || continue
		check_includes "$f" "$mod"
	done
done
# runtime/baremetal/ is the runtime without libc or OpenSSL: the runtime's
# rules, and of outside headers only the compiler's freestanding ones; of
# ours only those that are plain C (no blob.h, signer.h, runtime.h: they
# bring OpenSSL's or libc's world).
for f in runtime/baremetal/*.[ch]; do
	[ -e "$f" ] || continue
	check_includes "$f" runtime
	while IFS= read -r hdr; do
		case "$hdr" in
		stdint.h | stddef.h | stdarg.h | stdbool.h | bpfvc/abi.h | bpfvc/devabi.h | bpfvc/ed25519.h) ;;
		*) breach "$f: includes <$hdr>: runtime/baremetal/ is freestanding" ;;
		esac
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<([^>]+)>.*/\1/p; s/^[[:space:]]*#[[:space:]]*include[[:space:]]*"(bpfvc\/[^"]+)".*/\1/p' "$f")
done
for f in include/bpfvc/*.h; do
	owner=$(owner_of "$(basename "$f")")
	[ "$owner" = plain ] && owner=verifier
	check_includes "$f" "$owner"
done

# coordinator/ meets the worker only on the wire: of worker.h it takes plain
# types (struct bvc_core_slot, the CURVE key structs), never the worker's
# functions or constants (the protocol's are BVC_WIRE_*, state_serial.h).
while IFS= read -r hit; do
	breach "${hit%%:*}:$(cut -d: -f2 <<<"$hit"): forbidden use of ${hit##*:}: coordinator/ meets the worker only on the wire (BVC_WIRE_* in state_serial.h)"
done < <(grep -nHoE '\b(bvc_worker_[a-z_]+|BVC_WORKER_[A-Z_]+|bvc_curve_[a-z_]+[[:space:]]*\()' \
	coordinator/*.c coordinator/*.h 2>/dev/null)

# --- link lines -------------------------------------------------------------
for cm in $(for mod in $modules; do echo "$mod/CMakeLists.txt"; done) runtime/baremetal/CMakeLists.txt; do
	[ -f "$cm" ] || continue
	# One line per target_link_libraries(...) call, comments out.
	while IFS= read -r call; do
		set -- $(sed -E 's/target_link_libraries[[:space:]]*\(//; s/\)//' <<<"$call")
		target=$1
		shift
		allowed=$(may_link "$target")
		nlinks=$((nlinks + 1))
		if [ "$allowed" = "?" ]; then
			breach "$cm: target $target has no link rule (add it to scripts/check-deps.sh and docs/architecture.md)"
			continue
		fi
		for lib in "$@"; do
			case "$lib" in PUBLIC | PRIVATE | INTERFACE) continue ;; esac
			in_list "$lib" $allowed ||
				breach "$cm: forbidden link: $target may not link $lib (docs/architecture.md)"
		done
	done < <(sed 's/#.*//' "$cm" | tr '\n' ' ' | grep -oE 'target_link_libraries[[:space:]]*\([^)]*\)')
done

# Only state-serial/ may see protobuf-c: nothing else in the product may
# link the schema (tests/serial does, for its reference codec).
if [ "$bad" -ne 0 ]; then
	echo "check-deps: $bad breach(es) of the dependency rules"
	exit 1
fi
echo "check-deps: $nfiles files and $nlinks link lines follow docs/architecture.md"
exit 0
