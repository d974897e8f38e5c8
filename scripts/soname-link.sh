#!/usr/bin/env bash
# Gives the library cargo built in DIR the name programs linked against it look for at
# run time: libhamustro.so carries the soname libhamustro.so.<ABI> (build.rs), so a
# program linked with -lhamustro records that name, and DIR needs it as a link.
#
#   bash scripts/soname-link.sh DIR     (e.g. target/release)
#
# Does nothing where the library has no soname (a build for macOS or Windows).
set -euo pipefail
dir=$1
library="$dir/libhamustro.so"
[ -f "$library" ] || exit 0
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || exit 0
ln -sfn libhamustro.so "$dir/$soname"
