/*
 * libFuzzer target: the control socket's request parser (agent/http.c),
 * which reads whatever a local client sends.  Built by build-agent.sh.
 *
 * Invariants: a parsed request has an upper-case method of 1..7 letters
 * and a printable path of 1..255 bytes starting with '/'; "need more"
 * only while the buffer holds no head end and is under HTTP_REQ_MAX; and
 * a prefix of a "need more" input needs more too.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
has_head_end(const uint8_t *data, size_t size)
{
	if (size > HTTP_REQ_MAX)
		size = HTTP_REQ_MAX;
	for (size_t i = 0; i + 4 <= size; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	size_t ml, pl;
	int rc;

	rc = http_parse((const char *)data, size, &req);
	if (memchr(req.method, '\0', sizeof(req.method)) == NULL ||
	    memchr(req.path, '\0', sizeof(req.path)) == NULL)
		abort();
	switch (rc) {
	case 1:
		if (!has_head_end(data, size))
			abort();
		ml = strlen(req.method);
		pl = strlen(req.path);
		if (ml == 0 || ml > 7 || pl == 0 || pl > 255 || req.path[0] != '/')
			abort();
		for (size_t i = 0; i < ml; i++)
			if (req.method[i] < 'A' || req.method[i] > 'Z')
				abort();
		for (size_t i = 0; i < pl; i++)
			if ((unsigned char)req.path[i] <= ' ' ||
			    (unsigned char)req.path[i] >= 127)
				abort();
		break;
	case 0:
		if (size >= HTTP_REQ_MAX || has_head_end(data, size) ||
		    req.method[0] != '\0' || req.path[0] != '\0')
			abort();
		if (size > 0 && http_parse((const char *)data, size - 1, &req) != 0)
			abort();
		break;
	case -1:
		if (req.method[0] != '\0' || req.path[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
