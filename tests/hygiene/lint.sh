#!/bin/sh
# lint.sh [format] - house-style checks that need no compiler.
#
# Without arguments: calls the house style leaves out (unbounded string
# functions and unchecked number parsing).  With "format": clang-format
# differences as well.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
rc=0
SRCS=$(git ls-files '*.c' '*.h')
hits=$(grep -n -E '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|atoll|gets|sscanf)[[:space:]]*\(' $SRCS || true)
if [ -n "$hits" ]; then
	echo "calls the house style avoids (use buf.h and parse.h):"
	echo "$hits"
	rc=1
fi
# The core must stay free of front-end knowledge.
hits=$(grep -n -E '#include[[:space:]]*[<"](microhttpd|collectd/)' common/*/*.c common/*/*.h || true)
if [ -n "$hits" ]; then
	echo "common/ includes front-end headers:"
	echo "$hits"
	rc=1
fi
hits=$(grep -n -E '\bexit[[:space:]]*\(' common/*/*.c | grep -v -E '^[^:]*:[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
if [ -n "$hits" ]; then
	echo "common/ calls exit():"
	echo "$hits"
	rc=1
fi
# kvmmem only reads: never a read-write libvirt connection.
hits=$(grep -n -E '\bvirConnectOpen(Auth)?[[:space:]]*\(|= *virConnectOpen(Auth)?\b' $SRCS || true)
if [ -n "$hits" ]; then
	echo "read-write libvirt connection (use virConnectOpenReadOnly):"
	echo "$hits"
	rc=1
fi
if [ "${1:-}" = format ]; then
	if command -v clang-format >/dev/null; then
		for f in $SRCS; do
			if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
				echo "not clang-formatted: $f"
				rc=1
			fi
		done
	else
		echo "SKIP: clang-format not installed"
	fi
fi
[ $rc -eq 0 ] && echo "lint clean"
exit $rc
