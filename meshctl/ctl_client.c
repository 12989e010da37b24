/* meshctl's side of the control socket: libcurl over a Unix socket. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "meshctl/meshctl.h"

#define BODY_MAX (16u << 20)	/* 16 MiB: ~10,000 hosts with room to spare */

struct body {
	char *data;
	size_t len;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (n > BODY_MAX - b->len)
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	if ((grown = realloc(b->data, b->len + n + 1)) == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

json_t *
ctl_get(const struct ctl *ctl, const char *path, char *err, size_t errlen,
    bool *unreachable)
{
	struct body b = { NULL, 0 };
	json_t *v = NULL;
	json_error_t jerr;
	char url[512];
	long code = 0;
	CURLcode cc;
	CURL *h;

	*unreachable = false;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return NULL;
	}
	snprintf(url, sizeof(url), "http://mesh%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ctl->conf.control_socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(h);
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT) {
		*unreachable = true;
		snprintf(err, errlen, "meshd is not running (%s: %s)",
		    ctl->conf.control_socket, curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", ctl->conf.control_socket,
		    curl_easy_strerror(cc));
	} else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code),
	    code != 200) {
		snprintf(err, errlen, "meshd answered %ld for %s", code, path);
	} else if ((v = json_loadb(b.data, b.len, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "meshd sent malformed JSON: %s", jerr.text);
	}
	curl_easy_cleanup(h);
	free(b.data);
	return v;
}
