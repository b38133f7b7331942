#!/bin/sh
# Builds canaille's packages:
#
#   packaging/build.sh [VERSION]
#
# writes dist/canaille_<VERSION>_<arch>.deb and
# dist/canaille-<VERSION>.<arch>.rpm (amd64/x86_64, arm64/aarch64, ...).
# VERSION defaults to 0.1.0~git<date>.<commit> ("~" sorts before 0.1.0 in
# dpkg and rpm alike); it must start with a digit and contain no "-".
# GOARCH=arm64 packaging/build.sh builds for another architecture.
#
# A native build uses cgo when a C compiler is installed: RS256 signatures
# then go through the system's OpenSSL, loaded at run time (about 2.6 times
# faster than Go's; internal/fastrsa). The binary is a PIE with full RELRO
# and immediate binding, linked by Go's own linker: the system linker's
# layout kept about 6 MB more of the binary resident. A cross build is pure
# Go (CGO_ENABLED=0) and signs with Go's crypto/rsa. bench/lib.sh builds
# the same way.
#
# The binary gets its version and commit with -ldflags -X (what
# 'canaille version' prints), is stripped (-s -w) and built with -trimpath.
# Everything is assembled in dist/stage-<arch>; packaging/mkpkg (nfpm as a
# library, its own Go module) writes the packages from packaging/nfpm.yaml.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
short=$(printf %s "$commit" | cut -c1-12)
if [ "$(git status --porcelain 2>/dev/null | head -c1)" != "" ]; then
	dirty=.dirty
else
	dirty=
fi
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
if [ $# -ge 1 ]; then
	version=$1
else
	version="0.1.0~git$(date -u -d "@$epoch" +%Y%m%d).$(printf %s "$commit" | cut -c1-7)"
fi
case "$version" in
	[0-9]*) ;;
	*) echo "build.sh: VERSION '$version' must start with a digit" >&2; exit 2 ;;
esac
arch=${GOARCH:-$(go env GOARCH)}
stage=dist/stage-$arch

rm -rf "$stage"
mkdir -p "$stage/schemas"
echo "building canaille $version ($short$dirty) for linux/$arch"
ldflags="-s -w -X main.version=$version -X main.commit=$short$dirty"
if [ "$arch" = "$(go env GOHOSTARCH)" ] && command -v "$(go env CC)" >/dev/null 2>&1; then
	echo "cgo: RS256 signatures by the system's OpenSSL when it is installed"
	CGO_ENABLED=1 GOOS=linux GOARCH=$arch go build -trimpath -buildmode=pie \
		-ldflags "$ldflags -linkmode=internal -bindnow" \
		-o "$stage/canaille" ./cmd/canaille
else
	echo "pure Go (no C compiler for linux/$arch): RS256 signatures by Go's crypto/rsa"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$ldflags" \
		-o "$stage/canaille" ./cmd/canaille
fi

# The schemas come from the binary itself, so that they always match it.
if [ "$arch" = "$(go env GOHOSTARCH)" ]; then
	"$stage/canaille" install --write-schemas "$stage/schemas" >/dev/null
else
	go run ./cmd/canaille install --write-schemas "$stage/schemas" >/dev/null
fi

(cd packaging && go build -o "../$stage/mkpkg" ./mkpkg)
"$stage/mkpkg" config -in config.sample.toml -out "$stage/config.toml"

gzip -9n <README.md >"$stage/README.md.gz"
{
	echo "canaille ($version) unstable; urgency=medium"
	echo
	echo "  * Built from commit $short$dirty"
	echo "    of https://github.com/canaille-go/canaille;"
	echo "    see the git history for the changes."
	echo
	echo " -- canaille-go maintainers <canaille-go@users.noreply.github.com>  $(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$stage/changelog.gz"

"$stage/mkpkg" package -config packaging/nfpm.yaml -version "$version" -arch "$arch" \
	-stage "$stage" -out dist -mtime "$epoch"
