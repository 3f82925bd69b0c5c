#!/bin/sh
# README.md's metric table is exactly the catalogue.
set -eu
exec "$KVMMEM_TOP/tests/hygiene/readme-catalogue.sh" "$KVMMEM_BUILD" check
