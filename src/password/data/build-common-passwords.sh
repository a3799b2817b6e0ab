#!/usr/bin/env bash
# Rebuilds src/password/data/common-passwords.txt from Django's common-password list.
#
# Source: Django 5.2.19 (BSD-3-Clause, see LICENSE-django beside this script), file
# django/contrib/auth/common-passwords.txt.gz (19,640 entries; sha256 of the .gz:
# 3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4).
#
# Processing: lower-case (ASCII), sort in byte order and deduplicate; nothing else is dropped.
# Short and all-digit entries are kept on purpose: `abc123`, `123qwe` and `123456` are what a
# password padded with digits and symbols comes down to once the matcher trims it (an earlier
# build kept only entries with four letters or more and let `Abc123!1` through). The crate
# searches the result in byte order, so the byte order of `LC_ALL=C sort` matters.
#
# The list is Django's alone. The zxcvbn list in tests/data is the held-out set the matcher is
# measured against (tests/password_corpus.rs) and must not be merged in here.
#
# Usage: src/password/data/build-common-passwords.sh [common-passwords.txt.gz]
#   With no argument the Django wheel is downloaded with pip (needs pip, unzip, zcat).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 1 ]; then
  gz="$1"
else
  pip download 'django==5.2.19' --no-deps -d "$tmp" -q
  unzip -q -o "$tmp"/*.whl 'django/contrib/auth/common-passwords.txt.gz' -d "$tmp"
  gz="$tmp/django/contrib/auth/common-passwords.txt.gz"
fi
echo "3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4  $gz" | sha256sum -c --quiet
zcat "$gz" |
  LC_ALL=C tr 'A-Z' 'a-z' |
  LC_ALL=C sort -u >"$here/common-passwords.txt"
wc -l "$here/common-passwords.txt"
