#!/bin/sh
# readme-catalogue.sh BUILD_DIR check|update - keep README.md's metric table
# equal to the catalogue (common/model/catalogue.c), which is the only source.
set -eu
O=${1:?build dir}
MODE=${2:-check}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
case $O in /*) ;; *) O="$TOP/$O" ;; esac
README="$TOP/README.md"
BEGIN='<!-- BEGIN METRICS: generated from common/model/catalogue.c by make update-golden -->'
END='<!-- END METRICS -->'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$O/tests/bin/test_catalogue" --readme-table >"$TMP/table"
# README with the generated table between the markers.
awk -v begin="$BEGIN" -v end="$END" -v table="$TMP/table" '
	$0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
	$0 == end { skip = 0 }
	!skip { print }
' "$README" >"$TMP/README.md"
grep -qxF "$BEGIN" "$README" || { echo "README.md lacks the line: $BEGIN"; exit 1; }
if [ "$MODE" = update ]; then
	cp "$TMP/README.md" "$README"
	echo "updated README.md metric table"
	exit 0
fi
diff -u "$README" "$TMP/README.md" || { echo "README.md metric table is out of date: make update-golden"; exit 1; }
echo "README metric table matches the catalogue"
