#!/usr/bin/env bash
# Rebuilds src/data/common-passwords.txt from Django's common-password list.
#
# Source: Django 5.2.19 (BSD-3-Clause, see LICENSE-django beside this script), file
# django/contrib/auth/common-passwords.txt.gz (19,640 entries; sha256 of the .gz:
# 3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4).
#
# Processing: lower-case (ASCII), keep entries holding at least 4 ASCII letters (a-z),
# sort in byte order and deduplicate. The crate binary-searches the result, so the byte order
# of `LC_ALL=C sort` matters.
#
# Usage: src/data/build-common-passwords.sh   (needs pip, unzip, zcat)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pip download 'django==5.2.19' --no-deps -d "$tmp" -q
unzip -q -o "$tmp"/*.whl 'django/contrib/auth/common-passwords.txt.gz' -d "$tmp"
zcat "$tmp/django/contrib/auth/common-passwords.txt.gz" |
  LC_ALL=C tr 'A-Z' 'a-z' |
  LC_ALL=C awk '{ s = $0; if (gsub(/[a-z]/, "", s) >= 4) print }' |
  LC_ALL=C sort -u >"$here/common-passwords.txt"
wc -l "$here/common-passwords.txt"
