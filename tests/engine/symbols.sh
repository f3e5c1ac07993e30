#!/bin/sh
# SPDX-License-Identifier: MIT
# Every global symbol libbvc_verifier.a defines carries the bvc_ prefix:
# a static library's globals share the namespace of every program that
# links it, so internal functions are static or bvc_-prefixed.
# Usage: symbols.sh NM LIBRARY
NM=$1
LIB=$2
[ -r "$LIB" ] || { echo "symbols.sh: cannot read $LIB" >&2; exit 2; }
defined=$("$NM" -g --defined-only "$LIB" | awk 'NF == 3 { print $3 }')
[ -n "$defined" ] || { echo "symbols.sh: no symbols in $LIB" >&2; exit 2; }
bad=$(printf '%s\n' "$defined" | grep -v '^bvc_' | sort -u)
if [ -n "$bad" ]; then
	echo "global symbols without the bvc_ prefix in $LIB:"
	printf '  %s\n' $bad
	exit 1
fi
echo "$(printf '%s\n' "$defined" | wc -l) global symbols, all bvc_"
