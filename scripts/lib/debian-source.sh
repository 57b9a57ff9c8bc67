# Sourced by the scripts that need a Debian source package's upstream
# tarball (libvirt-source, libnuma-bounded).  Defines:
#
#   debian_source_cache: the cache directory (--cache DIR given to the
#     script, else $CAPSPROBE_TEST_CACHE, else ~/.cache/capsprobe-tests)
#   debian_source_fetch PACKAGE DEB_VERSION SUITE TARBALL SHA256 TOPDIR [PART]...
#     fetch PACKAGE's upstream TARBALL with apt-get from the Debian mirror
#     this machine's apt already uses (or $CAPSPROBE_DEBIAN_MIRROR), through
#     a private apt state (the system's sources are not changed), check it
#     against the pinned SHA256 and unpack TOPDIR (only TOPDIR/PART... when
#     given) into $cache/TOPDIR, whole or not at all.
#
# The caller defines skip (exit 77: the tarball cannot be had here) and die
# (exit 2) and sets cache.
export LC_ALL=C

debian_source_cache() {
	local c=${CAPSPROBE_TEST_CACHE:-}
	if [ -z "$c" ] && [ -n "${XDG_CACHE_HOME:-}${HOME:-}" ]; then
		c=${XDG_CACHE_HOME:-$HOME/.cache}/capsprobe-tests
	fi
	echo "$c"
}

# The Debian archive URI this machine's apt uses for its packages.
debian_mirror() {
	apt-get indextargets --format '$(TARGET_OF) $(REPO_URI)' 2>/dev/null |
		awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }'
}

debian_source_fetch() {
	local pkg=$1 version=$2 suite=$3 tarball=$4 sha=$5 top=$6 mirror work o keyring list rc
	shift 6
	[ -n "$cache" ] || skip "no cache directory to fetch $pkg's source package into (no HOME; give --cache)"
	command -v apt-get >/dev/null || skip "apt-get is not installed, so $pkg's source package cannot be fetched"
	command -v sha256sum >/dev/null || skip "sha256sum is missing"
	mirror=${CAPSPROBE_DEBIAN_MIRROR:-$(debian_mirror)}
	[ -n "$mirror" ] || skip "apt has no Debian archive configured to fetch $pkg's source package from"
	mkdir -p "$cache" || skip "cannot create the cache directory $cache"
	work=$(mktemp -d "$cache/fetch.XXXXXX") || skip "cannot write to $cache"
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	list="deb-src ${mirror%/}/ $suite main"
	[ -r "$keyring" ] && list="deb-src [signed-by=$keyring] ${mirror%/}/ $suite main"
	echo "$list" >"$work/sources.list"
	o=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
		-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
		-o Debug::NoLocking=1 -o Acquire::Retries=0 -o Acquire::http::Timeout=30)
	[ "$(id -u)" -eq 0 ] && o+=(-o APT::Sandbox::User=root)
	if ! (cd "$work" && timeout 600 apt-get "${o[@]}" update && timeout 600 apt-get "${o[@]}" source \
		--tar-only --download-only "$pkg=$version") >"$work/log" 2>&1; then
		rc=$(grep -E '^(E|Err):' "$work/log" | head -1)
		rm -rf "$work"
		skip "cannot fetch $pkg $version's source package (offline?): ${rc:-apt-get failed}"
	fi
	if [ "$(sha256sum <"$work/$tarball" | cut -d' ' -f1)" != "$sha" ]; then
		rm -rf "$work"
		die "$tarball does not have the pinned sha256 $sha"
	fi
	# unpacked aside and moved in whole: a half-unpacked tree is never used
	if ! tar -C "$work" -xf "$work/$tarball" "${@/#/$top/}"; then
		rm -rf "$work"
		die "cannot unpack $tarball"
	fi
	# the old tree (fewer parts, same version) is renamed away, not removed
	# in place: a run reading it meanwhile (another suite) finds its files
	# in the new tree but for the instant between the two renames
	if [ -e "$cache/$top" ]; then
		mv "$cache/$top" "$work/old" || die "cannot replace $cache/$top"
	fi
	mv "$work/$top" "$cache/$top" || die "cannot move the unpacked tree into $cache"
	rm -rf "$work"
}
