#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/cpu.h"
#include "util/err.h"

const char *const cp_cpu_mode_names[] = { "custom", "host-model", "host-passthrough", "maximum", NULL };
const char *const cp_cpu_match_names[] = { "exact", "minimum", "strict", NULL };
const char *const cp_cpu_check_names[] = { "default", "none", "partial", "full", NULL };
const char *const cp_cpu_fallback_names[] = { "allow", "forbid", NULL };
const char *const cp_cpu_policy_names[] = { "force", "require", "optional", "disable", "forbid", NULL };

void cp_cpu_def_add_feature(struct cp_cpu_def *d, const char *name, int policy)
{
	d->features = cp_realloc(d->features, (d->nfeatures + 1) * sizeof(*d->features));
	d->features[d->nfeatures++] = (struct cp_cpu_feature){ cp_strdup(name), policy };
}

struct cp_cpu_feature *cp_cpu_def_find_feature(const struct cp_cpu_def *d, const char *name)
{
	for (size_t i = 0; i < d->nfeatures; i++)
		if (strcmp(d->features[i].name, name) == 0)
			return &d->features[i];
	return NULL;
}

void cp_cpu_def_free(struct cp_cpu_def *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfeatures; i++)
		free(d->features[i].name);
	free(d->features);
	free(d->arch);
	free(d->model);
	free(d->vendor);
	*d = (struct cp_cpu_def){ 0 };
}
