#!/bin/sh
# House-style lint: no unbounded string calls, core free of front-end headers.
exec "$KVMMEM_TOP/tests/lint.sh"
