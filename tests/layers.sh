#!/bin/sh
# The layering, checked on what was built (LAYOUT.md, issue 8):
#   - nothing in overlay/ or common/ includes agent/, meshctl/ or nss/;
#   - the node engine's objects (node, peer, gossip, paths, join) call no
#     clock, socket, file, thread, resolver or system randomness: those
#     come in through node_cb;
#   - no object of libmeshoverlay opens a socket, starts a thread, reads
#     a clock or touches a file (the files are agent/'s: state.c, keys.c,
#     invites.c, records.c, and common/atomic.c, which libmeshagent
#     builds).
# The -z defs link of the whole library is tests/liblayers.la (Makefile.am).
. "$top_srcdir/tests/lib.sh"
need_cmd nm ar
lib=$top_builddir/.libs/libmeshoverlay.a
[ -f "$lib" ] || fail "$lib not built"

ENGINE="node peer gossip paths join"
NET='socket|bind|connect|sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg|getaddrinfo|getifaddrs|pthread_create|clock_gettime|time|gettimeofday|sleep|usleep|nanosleep|epoll_wait|poll'
FILE='open|open64|fopen|fopen64|openat|read|write|stat|stat64|lstat|rename|unlink|mkdir|chown|fchown|fchmod|fsync|opendir'
RAND='randombytes_uniform|randombytes_random|randombytes_buf|rand|random|getrandom'

hits=$(grep -En '#include "(agent|meshctl|nss)/' "$top_srcdir"/overlay/*.[ch] \
	"$top_srcdir"/common/*.[ch] 2>/dev/null)
check "overlay/ and common/ include nothing of agent/, meshctl/, nss/" \
	test -z "$hits"
[ -z "$hits" ] || echo "$hits"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$OLDPWD/$lib")
for o in "$tmp"/*.o; do
	name=$(basename "$o" .o); name=${name#libmeshoverlay_la-}
	undef=$(nm -u "$o" | awk '{print $2}' | sed 's/@.*//')
	bad_net=$(echo "$undef" | grep -Ex "$NET" | tr '\n' ' ')
	check "$name: no socket, thread or clock ${bad_net:+(calls $bad_net)}" \
		test -z "$bad_net"
	bad_file=$(echo "$undef" | grep -Ex "$FILE" | tr '\n' ' ')
	check "$name: no file I/O ${bad_file:+(calls $bad_file)}" test -z "$bad_file"
	case " $ENGINE " in *" $name "*) ;; *) continue ;; esac
	bad_rand=$(echo "$undef" | grep -Ex "$RAND" | tr '\n' ' ')
	check "$name: randomness only through node_cb ${bad_rand:+(calls $bad_rand)}" \
		test -z "$bad_rand"
done
n=$(ls "$tmp"/*.o | wc -l)
check "the engine's objects are all in the library" \
	sh -c "for e in $ENGINE; do [ -f '$tmp'/libmeshoverlay_la-\$e.o ] || exit 1; done"
echo "$pass passed, $failed failed ($n objects)"
[ "$failed" = 0 ]
