/* Just enough HTTP/1.x request parsing for the control socket. */
#ifndef MESH_HTTP_H
#define MESH_HTTP_H

#include <stddef.h>

#define HTTP_REQ_MAX 8192

struct http_req {
	char method[8];
	char path[256];
};

/* Parse the head of a request in buf[0..len): 1 when complete (headers end
 * with an empty line), 0 when more bytes are needed, -1 when malformed or
 * over HTTP_REQ_MAX.  Pure; fuzzed by tests/fuzz/fuzz_http.c. */
int http_parse(const char *buf, size_t len, struct http_req *req);

#endif
