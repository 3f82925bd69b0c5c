#!/bin/sh
# House-style lint: no unbounded string calls, core free of front-end
# headers, no read-write libvirt connection, and every C file formatted by
# the committed .clang-format (make format-check).
if command -v clang-format >/dev/null; then
	exec "$KVMMEM_TOP/tests/hygiene/lint.sh" format
fi
echo "note: clang-format not installed, formatting not checked"
exec "$KVMMEM_TOP/tests/hygiene/lint.sh"
