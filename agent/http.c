#include "config.h"

#include <string.h>

#include "http.h"

static const char *
find(const char *buf, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(buf + i, needle, nl) == 0)
			return buf + i;
	return NULL;
}

int
http_parse(const char *buf, size_t len, struct http_req *req)
{
	const char *end, *eol, *p, *sp1, *sp2;
	size_t ml, pl;

	memset(req, 0, sizeof(*req));
	/* The head must end within HTTP_REQ_MAX bytes, whatever len is. */
	end = find(buf, len < HTTP_REQ_MAX ? len : HTTP_REQ_MAX, "\r\n\r\n");
	if (end == NULL)
		return len >= HTTP_REQ_MAX ? -1 : 0;
	eol = find(buf, (size_t)(end - buf) + 2, "\r\n");
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (sp1 == NULL)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL)
		return -1;
	ml = (size_t)(sp1 - buf);
	pl = (size_t)(sp2 - sp1 - 1);
	if (ml == 0 || ml >= sizeof(req->method) || pl == 0 ||
	    pl >= sizeof(req->path) || sp1[1] != '/')
		return -1;
	for (p = buf; p < sp1; p++)
		if (*p < 'A' || *p > 'Z')
			return -1;
	for (p = sp1 + 1; p < sp2; p++)
		if (*p <= ' ' || *p >= 127)
			return -1;
	if ((size_t)(eol - sp2 - 1) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) != 0 &&
	    memcmp(sp2 + 1, "HTTP/1.1", 8) != 0))
		return -1;
	memcpy(req->method, buf, ml);
	memcpy(req->path, sp1 + 1, pl);
	return 1;
}
