#!/bin/sh
# Test packaging/nsswitch-edit on its own, on temporary files: where add puts
# the entry, that a second add changes nothing, and that remove gives back
# the file byte for byte, also after an admin edited other lines.  No root
# needed.  Runs under every awk found (mawk, gawk, busybox awk).
set -u

srcdir=${srcdir:-$(dirname "$0")/..}
edit=$srcdir/packaging/nsswitch-edit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
n=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# case NAME INPUT EXPECTED: INPUT and EXPECTED are printf formats (so \t and
# a missing final \n can be written).
case_() {
	name=$1
	n=$((n + 1))
	f=$work/nsswitch.conf
	st=$work/state
	rm -f "$st"
	printf "$2" >"$f"
	cp "$f" "$work/orig"
	printf "$3" >"$work/want"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null || fail "$name: add failed"
	cmp -s "$f" "$work/want" || {
		fail "$name: after add"
		diff "$work/want" "$f" | sed 's/^/    /'
	}
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null || fail "$name: second add failed"
	cmp -s "$f" "$work/want" || fail "$name: second add changed the file"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null || fail "$name: remove failed"
	cmp -s "$f" "$work/orig" || {
		fail "$name: remove did not restore the file"
		diff "$work/orig" "$f" | sed 's/^/    /'
	}
	[ ! -e "$st" ] || fail "$name: state file left after remove"
	# An admin edit of another line between add and remove survives, and
	# the rest comes back exactly.
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	printf '# admin was here\n' >>"$f"
	sed -i 's/^passwd:/passwd: /' "$f"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null
	{ cat "$work/orig"; printf '# admin was here\n'; } >"$work/want2"
	sed -i 's/^passwd:/passwd: /' "$work/want2"
	if [ -n "$(tail -c 1 "$work/orig")" ]; then
		: # no final newline: the appended line made one; skip this part
	else
		cmp -s "$f" "$work/want2" || {
			fail "$name: admin edit lost or restore wrong"
			diff "$work/want2" "$f" | sed 's/^/    /'
		}
	fi
}

run_all() {
	case_ "debian default" \
	    'passwd:         files\ngroup:          files\nhosts:          files dns\nnetworks:       files\n' \
	    'passwd:         files\ngroup:          files\nhosts:          files mesh [!UNAVAIL=return] dns\nnetworks:       files\n'
	case_ "no dns" \
	    'passwd: files\nhosts: files\n' \
	    'passwd: files\nhosts: files mesh [!UNAVAIL=return]\n'
	case_ "resolve first-class" \
	    'hosts: files resolve [!UNAVAIL=return] dns myhostname\n' \
	    'hosts: files mesh [!UNAVAIL=return] resolve [!UNAVAIL=return] dns myhostname\n'
	case_ "fedora order" \
	    'hosts:      files myhostname resolve [!UNAVAIL=return] dns\n' \
	    'hosts:      files mesh [!UNAVAIL=return] myhostname resolve [!UNAVAIL=return] dns\n'
	case_ "mdns4_minimal" \
	    'hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname\n' \
	    'hosts:          files mesh [!UNAVAIL=return] mdns4_minimal [NOTFOUND=return] dns myhostname\n'
	case_ "tabs" \
	    'passwd:\tfiles\nhosts:\tfiles\tdns\n' \
	    'passwd:\tfiles\nhosts:\tfiles\tmesh [!UNAVAIL=return] dns\n'
	case_ "comments" \
	    '# hosts: files dns\n#hosts: dns\nhosts: files dns # the usual\n' \
	    '# hosts: files dns\n#hosts: dns\nhosts: files mesh [!UNAVAIL=return] dns # the usual\n'
	case_ "comment after last word" \
	    'hosts: files   # no dns here\n' \
	    'hosts: files mesh [!UNAVAIL=return]   # no dns here\n'
	case_ "already has mesh" \
	    'hosts: files mesh dns\n' \
	    'hosts: files mesh dns\n'
	case_ "already has our entry" \
	    'hosts: files mesh [!UNAVAIL=return] dns\n' \
	    'hosts: files mesh [!UNAVAIL=return] dns\n'
	case_ "no files" \
	    'hosts: dns\n' \
	    'hosts: mesh [!UNAVAIL=return] dns\n'
	case_ "no space after colon" \
	    'hosts:files dns\n' \
	    'hosts:files mesh [!UNAVAIL=return] dns\n'
	case_ "empty hosts line" \
	    'hosts:\n' \
	    'hosts: mesh [!UNAVAIL=return]\n'
	case_ "indented, action after files" \
	    '  hosts : files [SUCCESS=return] dns\n' \
	    '  hosts : files [SUCCESS=return] mesh [!UNAVAIL=return] dns\n'
	case_ "no hosts line" \
	    'passwd: files\n' \
	    'passwd: files\n'
	case_ "two hosts lines" \
	    'hosts: files dns\nhosts: dns\n' \
	    'hosts: files mesh [!UNAVAIL=return] dns\nhosts: dns\n'
	case_ "no final newline" \
	    'passwd: files\nhosts: files dns' \
	    'passwd: files\nhosts: files mesh [!UNAVAIL=return] dns'
	case_ "CRLF" \
	    'hosts: files dns\r\npasswd: files\r\n' \
	    'hosts: files mesh [!UNAVAIL=return] dns\r\npasswd: files\r\n'
	case_ "hosts is a prefix" \
	    'hostsx: files\nhosts: files dns\n' \
	    'hostsx: files\nhosts: files mesh [!UNAVAIL=return] dns\n'

	# The admin takes mesh out: an upgrade (add again) leaves it out, and
	# remove then leaves the admin's file alone.
	n=$((n + 1))
	f=$work/nsswitch.conf st=$work/state
	rm -f "$st"
	printf 'hosts: files dns\n' >"$f"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	printf 'hosts: files dns\n' >"$f"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	grep -q mesh "$f" && fail "admin removal: add put mesh back"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null
	[ "$(cat "$f")" = "hosts: files dns" ] || fail "admin removal: remove changed the file"

	# The admin edits the hosts line itself: only our words go.
	n=$((n + 1))
	rm -f "$st"
	printf 'hosts: files dns\n' >"$f"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	sed -i 's/ dns/ mdns4_minimal [NOTFOUND=return] dns/' "$f"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null
	[ "$(cat "$f")" = "hosts: files mdns4_minimal [NOTFOUND=return] dns" ] ||
	    fail "hosts edit: got '$(cat "$f")'"

	# The admin rewrote our entry: remove leaves it.
	n=$((n + 1))
	rm -f "$st"
	printf 'hosts: files dns\n' >"$f"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	sed -i 's/!UNAVAIL=return/NOTFOUND=return/' "$f"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null
	[ "$(cat "$f")" = "hosts: files mesh [NOTFOUND=return] dns" ] ||
	    fail "rewritten entry: got '$(cat "$f")'"

	# Symlinked file: the target is edited, the link stays; mode stays.
	n=$((n + 1))
	rm -f "$st" "$f"
	printf 'hosts: files dns\n' >"$work/real"
	chmod 0640 "$work/real"
	ln -s real "$f"
	sh "$edit" add --file "$f" --state "$st" 2>/dev/null
	[ -L "$f" ] || fail "symlink replaced"
	grep -q 'files mesh \[!UNAVAIL=return\] dns' "$work/real" || fail "symlink target not edited"
	[ "$(stat -c %a "$work/real")" = 640 ] || fail "mode not kept"
	sh "$edit" check --file "$f" || fail "check: mesh not seen"
	sh "$edit" remove --file "$f" --state "$st" 2>/dev/null
	sh "$edit" check --file "$f" && fail "check: mesh seen after remove"
	rm -f "$f" "$work/real"

	# Usage errors exit 2; a missing file is not an error.
	n=$((n + 1))
	sh "$edit" frob >/dev/null 2>&1; [ $? -eq 2 ] || fail "usage exit"
	sh "$edit" add --file "$work/none" --state "$st" 2>/dev/null || fail "missing file"
	[ ! -e "$work/none" ] || fail "missing file was created"
}

tested=
for a in mawk gawk "busybox awk" original-awk; do
	set -- $a
	command -v "$1" >/dev/null 2>&1 || continue
	# Put this awk first on PATH as "awk".
	mkdir -p "$work/bin"
	printf '#!/bin/sh\nexec %s "$@"\n' "$a" >"$work/bin/awk"
	chmod +x "$work/bin/awk"
	before=$fails
	n=0
	PATH=$work/bin:$PATH run_all
	echo "$a: $n cases, $((fails - before)) failures"
	tested="$tested $1"
done
if [ -z "$tested" ]; then
	echo "SKIP: no awk"
	exit 77
fi
[ $fails -eq 0 ]
