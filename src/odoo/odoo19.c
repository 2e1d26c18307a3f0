#include "odoo/odoo19.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int cmp_str(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int sorted_has(const char *const *v, size_t n, const char *name)
{
	return bsearch(name, v, n, sizeof(*v), cmp_str) != NULL;
}

int odoo19_module(const char *name)
{
	return sorted_has(odoo19_modules, odoo19_modules_n, name);
}

int odoo19_bundle(const char *name)
{
	return sorted_has(odoo19_bundles, odoo19_bundles_n, name);
}

int odoo19_tree(const char *addon)
{
	return sorted_has(odoo19_trees, odoo19_trees_n, addon);
}

size_t odoo19_lower_bound(const char *const *v, size_t n, const char *prefix,
			  size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(v[mid], prefix, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t odoo19_static_files(const char *addon, const char *const **v)
{
	char *prefix = xasprintf("%s/", addon);
	size_t len = strlen(prefix), i;
	size_t first = odoo19_lower_bound(odoo19_static, odoo19_static_n,
					  prefix, len);

	for (i = first; i < odoo19_static_n &&
	     !strncmp(odoo19_static[i], prefix, len); i++)
		;
	free(prefix);
	*v = odoo19_static + first;
	return i - first;
}
