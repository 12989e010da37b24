/* Name policy shared by the NSS module and meshd: libc only, no state. */
#ifndef MESH_NAME_H
#define MESH_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/nss_wire.h"

/* Is name[0..len) under ".mesh" (any case, one trailing dot allowed) and
 * short enough to send?  On true, *stem is the length of what stands before
 * ".mesh".  Touches nothing but the bytes: this is the module's gate. */
bool mesh_name_is_mesh(const char *name, size_t len, size_t *stem);

/* Is s[0..len) one DNS label: letters, digits, hyphen, 1-63 bytes, no hyphen
 * at either end?  On false, *why (if not NULL) says what is wrong. */
bool mesh_label_valid(const char *s, size_t len, const char **why);

/* Canonical form of a mesh name: lower case, no trailing dot, "LABEL.mesh"
 * with one valid label.  out gets a NUL-terminated string.  Returns its
 * length, or -1 when name is not such a name. */
int mesh_name_canon(const char *name, size_t len, char out[MESH_NAME_MAX + 1]);

#endif
