/* Freeing the host model (model/host.h). */
#include "config.h"

#include <stdlib.h>

#include "model/host.h"

static void free_monitor(struct cp_monitor *m)
{
	cp_strv_free(&m->features);
}

void cp_host_free_topology(struct cp_host *h)
{
	for (size_t i = 0; i < h->ncells; i++) {
		struct cp_cell *c = &h->cells[i];

		free(c->pages);
		free(c->distances);
		free(c->caches);
		for (size_t j = 0; j < c->ncpus; j++)
			free(c->cpus[j].siblings);
		free(c->cpus);
	}
	free(h->cells);
	free(h->interconnects);
	h->cells = NULL;
	h->ncells = 0;
	h->interconnects = NULL;
	h->ninterconnects = 0;
}

void cp_host_free_guests(struct cp_host *h)
{
	for (size_t i = 0; i < h->nguests; i++) {
		struct cp_guest *g = &h->guests[i];

		for (size_t j = 0; j < g->nmachines; j++) {
			free(g->machines[j].name);
			free(g->machines[j].canonical);
		}
		free(g->machines);
		free(g->emulator);
	}
	free(h->guests);
	h->guests = NULL;
	h->nguests = 0;
}

void cp_host_free(struct cp_host *h)
{
	free(h->cpu.model);
	free(h->cpu.vendor);
	cp_strv_free(&h->cpu.features);
	free(h->cpu.page_kib);
	cp_host_free_topology(h);
	for (size_t i = 0; i < h->nbanks; i++) {
		free(h->banks[i].cpus);
		free(h->banks[i].controls);
	}
	free(h->banks);
	free_monitor(&h->cache_monitor);
	for (size_t i = 0; i < h->nmembw; i++)
		free(h->membw[i].cpus);
	free(h->membw);
	free_monitor(&h->membw_monitor);
	for (size_t i = 0; i < h->nsecmodels; i++) {
		free(h->secmodels[i].model);
		free(h->secmodels[i].doi);
		free(h->secmodels[i].label_kvm);
		free(h->secmodels[i].label_qemu);
	}
	free(h->secmodels);
	cp_host_free_guests(h);
	*h = (struct cp_host){ 0 };
}
