#include "config.h"

#include <string.h>

#include "name.h"

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool
mesh_name_is_mesh(const char *name, size_t len, size_t *stem)
{
	static const char suffix[] = "." MESH_SUFFIX;
	const size_t slen = sizeof(suffix) - 1;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len <= slen || len > MESH_NAME_MAX)
		return false;
	for (size_t i = 0; i < slen; i++)
		if (lower(name[len - slen + i]) != suffix[i])
			return false;
	*stem = len - slen;
	return true;
}

bool
mesh_label_valid(const char *s, size_t len, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (len == 0) {
		*why = "is empty";
		return false;
	}
	if (len > MESH_LABEL_MAX) {
		*why = "is longer than 63 characters";
		return false;
	}
	if (s[0] == '-' || s[len - 1] == '-') {
		*why = "starts or ends with a hyphen";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')) {
			*why = "may hold only letters, digits and hyphens";
			return false;
		}
	}
	return true;
}

int
mesh_name_canon(const char *name, size_t len, char out[MESH_NAME_MAX + 1])
{
	size_t stem;

	if (!mesh_name_is_mesh(name, len, &stem))
		return -1;
	if (!mesh_label_valid(name, stem, NULL))
		return -1;
	for (size_t i = 0; i < stem; i++)
		out[i] = lower(name[i]);
	memcpy(out + stem, "." MESH_SUFFIX, sizeof("." MESH_SUFFIX));
	return (int)(stem + sizeof("." MESH_SUFFIX) - 1);
}
