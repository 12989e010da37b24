#!/bin/sh
# Build the .debs from this source tree, in one line:
#
#     packaging/build-deb.sh [-o OUTDIR] [-t TARBALL] [-- DPKG-BUILDPACKAGE-ARGS]
#
# dpkg-buildpackage wants debian/ at the top of an unpacked source tree, and
# we keep it under packaging/debian.  So: make the dist tarball (or take -t),
# unpack it in a temporary directory as nss-mesh_VERSION.orig.tar.gz + tree,
# copy packaging/debian to debian/, and run "dpkg-buildpackage -us -uc -b".
# The .debs (and .buildinfo, .changes) land in OUTDIR (default: the current
# directory).  DEB_BUILD_OPTIONS=nocheck skips the unit tests.
# Needs: build-essential devscripts debhelper fakeroot and the Build-Depends
# of packaging/debian/control.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(pwd)
tarball=
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	-t) tarball=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-o OUTDIR] [-t TARBALL] [-- DPKG-BUILDPACKAGE-ARGS]" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nss-mesh-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$tarball" ]; then
	# A configured tree makes its own tarball; otherwise configure a
	# throwaway build directory (VPATH) for "make dist".
	if [ -f "$top/Makefile" ]; then
		b=$top
	else
		[ -x "$top/configure" ] || (cd "$top" && ./bootstrap)
		b=$tmp/dist
		mkdir "$b"
		(cd "$b" && "$top/configure" -q --disable-tests) >&2
	fi
	name=$(sed -n 's/^PACKAGE = //p' "$b/Makefile")-$(sed -n 's/^VERSION = //p' "$b/Makefile")
	make -C "$b" -s dist-gzip >&2
	mv "$b/$name.tar.gz" "$tmp/"
	tarball=$tmp/$name.tar.gz
fi

# The upstream version is the one in debian/changelog, minus the revision.
mkdir "$tmp/x"
tar -xzf "$tarball" -C "$tmp/x"
src=$(ls -d "$tmp"/x/*/)
src=${src%/}
[ -d "$src/packaging/debian" ] || { echo "$0: $tarball has no packaging/debian" >&2; exit 1; }
version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
upstream=${version%-*}
mv "$src" "$tmp/nss-mesh-$upstream"
src=$tmp/nss-mesh-$upstream
cp "$tarball" "$tmp/nss-mesh_$upstream.orig.tar.gz"
cp -r "$src/packaging/debian" "$src/debian"

(cd "$src" && dpkg-buildpackage -us -uc -b "$@") >&2
cp "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
ls "$out"/*_"$version"_*.deb
