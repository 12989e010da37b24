#!/bin/sh
# Configure (once) and build in the source tree; extra arguments go to
# configure.  CI turns warnings into errors with --enable-werror.
set -e
cd "$(dirname "$0")/.."
[ -x configure ] || ./bootstrap
[ -f Makefile ] || ./configure "$@"
make -j"$(nproc)"
