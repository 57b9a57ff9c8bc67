#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "xml/stable.h"

static int machine_cmp(const void *a, const void *b)
{
	const struct cp_guest_machine *x = a, *y = b;
	int c = strverscmp(x->name, y->name);

	return c ? c : strcmp(x->canonical ? x->canonical : "", y->canonical ? y->canonical : "");
}

/* The first machine is the one libvirt uses when none is asked for; it
 * stays first, with the alias entries that name it as their canonical. */
static void sort_machines(struct cp_guest *g)
{
	size_t head = 0;

	if (g->nmachines < 2)
		return;
	head = 1;
	while (head < g->nmachines && g->machines[head].canonical &&
	       strcmp(g->machines[head].canonical, g->machines[0].name) == 0)
		head++;
	if (g->nmachines - head > 1)
		qsort(g->machines + head, g->nmachines - head, sizeof(*g->machines), machine_cmp);
}

void cp_host_stabilize(struct cp_host *h)
{
	h->cpu.tsc_hz = 0;
	h->cpu.tsc_scaling = false;
	for (size_t i = 0; i < h->ncells; i++) {
		free(h->cells[i].pages);
		h->cells[i].pages = NULL;
		h->cells[i].npages = 0;
	}
	for (size_t i = 0; i < h->nguests; i++)
		sort_machines(&h->guests[i]);
}

static int model_cmp(const void *a, const void *b)
{
	const struct cp_dc_cpu_model *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cp_domcaps_stabilize(struct cp_domcaps *dc)
{
	struct cp_dc_cpu *cpu = &dc->cpu;

	if (cpu->nmodels > 1)
		qsort(cpu->models, cpu->nmodels, sizeof(*cpu->models), model_cmp);
	for (size_t i = 0; i < cpu->nmodels; i++)
		if (cpu->models[i].blockers.n > 1)
			qsort(cpu->models[i].blockers.v, cpu->models[i].blockers.n, sizeof(char *), str_cmp);
}
