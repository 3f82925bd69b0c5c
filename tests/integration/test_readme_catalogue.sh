#!/bin/sh
# README.md's metric table is exactly the catalogue.
set -eu
exec "$KVMMEM_TOP/tests/readme-catalogue.sh" "$KVMMEM_BUILD" check
