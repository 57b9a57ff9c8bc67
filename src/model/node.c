/* Freeing the node model (model/node.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/node.h"

void cp_node_cpumap_free(struct cp_node_cpumap *m)
{
	cp_cpuset_free(&m->online);
	memset(m, 0, sizeof(*m));
}

void cp_node_free_free(struct cp_node_free *f)
{
	free(f->cells);
	memset(f, 0, sizeof(*f));
}

void cp_node_pages_free(struct cp_node_pages *p)
{
	for (size_t i = 0; i < p->ncells; i++)
		free(p->cells[i].counts);
	free(p->cells);
	free(p->sizes_kib);
	memset(p, 0, sizeof(*p));
}

void cp_node_memstats_free(struct cp_node_memstats *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Every field of these structs is a char *. */
static void free_strings(void *p, size_t size)
{
	char **f = p;

	for (size_t i = 0; i < size / sizeof(char *); i++)
		free(f[i]);
}

void cp_sysinfo_free(struct cp_sysinfo *s)
{
	if (s->bios)
		free_strings(s->bios, sizeof(*s->bios));
	free(s->bios);
	if (s->system)
		free_strings(s->system, sizeof(*s->system));
	free(s->system);
	for (size_t i = 0; i < s->nboards; i++)
		free_strings(&s->boards[i], sizeof(s->boards[i]));
	free(s->boards);
	if (s->chassis)
		free_strings(s->chassis, sizeof(*s->chassis));
	free(s->chassis);
	for (size_t i = 0; i < s->nprocessors; i++)
		free_strings(&s->processors[i], sizeof(s->processors[i]));
	free(s->processors);
	for (size_t i = 0; i < s->nmemory; i++)
		free_strings(&s->memory[i], sizeof(s->memory[i]));
	free(s->memory);
	cp_strv_free(&s->oem);
	memset(s, 0, sizeof(*s));
}
