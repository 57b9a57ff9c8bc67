/* virsh's formats (tools/virsh-host.c): labels padded with %-Ns, numbers
 * as virsh prints them; see text/node.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "text/node.h"
#include "util/json.h"

static char *finish(struct cp_buf *b)
{
	cp_buf_putc(b, '\n');	/* virsh's line after every command's output */
	return cp_buf_steal(b);
}

char *cp_text_nodeinfo(const struct cp_node_info *ni)
{
	struct cp_buf b = { 0 };

	/* virNodeInfo's fields are unsigned, printed with %d */
	cp_buf_printf(&b, "%-20s %s\n", "CPU model:", ni->model);
	cp_buf_printf(&b, "%-20s %d\n", "CPU(s):", (int)ni->cpus);
	if (ni->mhz)
		cp_buf_printf(&b, "%-20s %d MHz\n", "CPU frequency:", (int)ni->mhz);
	cp_buf_printf(&b, "%-20s %d\n", "CPU socket(s):", (int)ni->sockets);
	cp_buf_printf(&b, "%-20s %d\n", "Core(s) per socket:", (int)ni->cores);
	cp_buf_printf(&b, "%-20s %d\n", "Thread(s) per core:", (int)ni->threads);
	cp_buf_printf(&b, "%-20s %d\n", "NUMA cell(s):", (int)ni->nodes);
	cp_buf_printf(&b, "%-20s %" PRIu64 " KiB\n", "Memory size:", ni->memory_kib);
	return finish(&b);
}

char *cp_text_cpumap(const struct cp_node_cpumap *m, bool pretty)
{
	struct cp_buf b = { 0 };

	cp_buf_printf(&b, "%-15s %d\n", "CPUs present:", (int)m->present);
	cp_buf_printf(&b, "%-15s %d\n", "CPUs online:", (int)cp_cpuset_count(&m->online));
	cp_buf_printf(&b, "%-15s ", "CPU map:");
	if (pretty) {
		/* the online CPUs within the map's whole bytes */
		struct cp_cpuset in = { 0 };
		unsigned bits = (m->present + 7) / 8 * 8;
		char *list;

		cp_cpuset_foreach(&m->online, cpu)
			if ((unsigned)cpu < bits)
				cp_cpuset_set(&in, (unsigned)cpu);
		list = cp_cpuset_format(&in);
		cp_buf_puts(&b, list);
		free(list);
		cp_cpuset_free(&in);
	} else {
		for (unsigned cpu = 0; cpu < m->present; cpu++)
			cp_buf_putc(&b, cp_cpuset_has(&m->online, cpu) ? 'y' : '-');
	}
	cp_buf_putc(&b, '\n');
	return finish(&b);
}

char *cp_text_freecell(const struct cp_node_free *f)
{
	struct cp_buf b = { 0 };
	uint64_t total = 0;

	switch (f->kind) {
	case CP_FREE_TOTAL:
		cp_buf_printf(&b, "%s: %" PRIu64 " KiB\n", "Total", f->total_bytes / 1024);
		break;
	case CP_FREE_CELL:
		cp_buf_printf(&b, "%d: %" PRIu64 " KiB\n", (int)f->cells[0].id, f->cells[0].bytes / 1024);
		break;
	case CP_FREE_ALL:
		for (size_t i = 0; i < f->ncells; i++) {
			cp_buf_printf(&b, "%5lu: %10" PRIu64 " KiB\n", (unsigned long)f->cells[i].id,
				      f->cells[i].bytes / 1024);
			total += f->cells[i].bytes;
		}
		cp_buf_puts(&b, "--------------------\n");
		cp_buf_printf(&b, "%5s: %10" PRIu64 " KiB\n", "Total", total / 1024);
		break;
	}
	return finish(&b);
}

char *cp_text_freepages(const struct cp_node_pages *p)
{
	struct cp_buf b = { 0 };

	/* the counts are unsigned long long, printed with %lld */
	if (p->one) {
		cp_buf_printf(&b, "%uKiB: %lld\n", p->sizes_kib[0], (long long)p->cells[0].counts[0]);
		return finish(&b);
	}
	for (size_t i = 0; i < p->ncells; i++) {
		cp_buf_printf(&b, "Node %d:\n", p->cells[i].id);
		for (size_t j = 0; j < p->nsizes; j++)
			cp_buf_printf(&b, "%uKiB: %lld\n", p->sizes_kib[j], (long long)p->cells[i].counts[j]);
		cp_buf_putc(&b, '\n');
	}
	return finish(&b);
}

char *cp_text_memstats(const struct cp_node_memstats *m)
{
	struct cp_buf b = { 0 };

	for (size_t i = 0; i < m->n; i++)
		cp_buf_printf(&b, "%-7s: %20" PRIu64 " KiB\n", m->v[i].field, m->v[i].kib);
	return finish(&b);
}

char *cp_text_cpustats(const struct cp_node_cpustats *s)
{
	struct cp_buf b = { 0 };

	if (!s->percent) {
		cp_buf_printf(&b, "%-15s %20" PRIu64 "\n", "user:", s->user);
		cp_buf_printf(&b, "%-15s %20" PRIu64 "\n", "system:", s->system);
		cp_buf_printf(&b, "%-15s %20" PRIu64 "\n", "idle:", s->idle);
		cp_buf_printf(&b, "%-15s %20" PRIu64 "\n", "iowait:", s->iowait);
		return finish(&b);
	}
	cp_buf_printf(&b, "%-15s %5.1lf%%\n", "usage:", s->p_usage);
	cp_buf_printf(&b, "%-15s %5.1lf%%\n", "user:", s->p_user);
	cp_buf_printf(&b, "%-15s %5.1lf%%\n", "system:", s->p_system);
	cp_buf_printf(&b, "%-15s %5.1lf%%\n", "idle:", s->p_idle);
	cp_buf_printf(&b, "%-15s %5.1lf%%\n", "iowait:", s->p_iowait);
	return finish(&b);
}

/* ---- --format json ---- */

static json_object *new_object(void)
{
	json_object *o = json_object_new_object();

	if (!o)
		cp_oom();
	return o;
}

static json_object *new_array(void)
{
	json_object *o = json_object_new_array();

	if (!o)
		cp_oom();
	return o;
}

static void put(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0)
		cp_oom();
}

static void put_u64(json_object *o, const char *key, uint64_t v)
{
	put(o, key, json_object_new_uint64(v));
}

static void push(json_object *a, json_object *v)
{
	if (!v || json_object_array_add(a, v) < 0)
		cp_oom();
}

char *cp_json_nodeinfo(const struct cp_node_info *ni)
{
	json_object *o = new_object();

	put(o, "model", cp_json_string(ni->model));
	put_u64(o, "cpus", ni->cpus);
	if (ni->mhz)
		put_u64(o, "mhz", ni->mhz);
	put_u64(o, "sockets", ni->sockets);
	put_u64(o, "cores", ni->cores);
	put_u64(o, "threads", ni->threads);
	put_u64(o, "nodes", ni->nodes);
	put_u64(o, "memoryKiB", ni->memory_kib);
	return cp_json_finish(o);
}

char *cp_json_cpumap(const struct cp_node_cpumap *m)
{
	json_object *o = new_object(), *map = new_array();

	put_u64(o, "present", m->present);
	put_u64(o, "online", cp_cpuset_count(&m->online));
	for (unsigned cpu = 0; cpu < m->present; cpu++)
		if (cp_cpuset_has(&m->online, cpu))
			push(map, json_object_new_uint64(cpu));
	put(o, "map", map);
	return cp_json_finish(o);
}

static json_object *cell_free(long id, uint64_t bytes)
{
	json_object *c = new_object();

	put(c, "id", json_object_new_int64(id));
	put_u64(c, "freeKiB", bytes / 1024);
	return c;
}

char *cp_json_freecell(const struct cp_node_free *f)
{
	json_object *o = new_object(), *cells;
	uint64_t total = 0;

	switch (f->kind) {
	case CP_FREE_TOTAL:
		put_u64(o, "totalKiB", f->total_bytes / 1024);
		break;
	case CP_FREE_CELL:
		cells = new_array();
		push(cells, cell_free(f->cells[0].id, f->cells[0].bytes));
		put(o, "cells", cells);
		break;
	case CP_FREE_ALL:
		cells = new_array();
		for (size_t i = 0; i < f->ncells; i++) {
			push(cells, cell_free(f->cells[i].id, f->cells[i].bytes));
			total += f->cells[i].bytes;
		}
		put(o, "cells", cells);
		put_u64(o, "totalKiB", total / 1024);
		break;
	}
	return cp_json_finish(o);
}

static json_object *page_counts(const struct cp_node_pages *p, const struct cp_cell_pages *c)
{
	json_object *a = new_array();

	for (size_t j = 0; j < (p->one ? 1 : p->nsizes); j++) {
		json_object *e = new_object();

		put_u64(e, "sizeKiB", p->sizes_kib[j]);
		put_u64(e, "free", c->counts[j]);
		push(a, e);
	}
	return a;
}

char *cp_json_freepages(const struct cp_node_pages *p)
{
	json_object *o = new_object(), *cells;

	/* --cellno: the one cell's count, which the text does not name */
	if (p->one) {
		put(o, "pages", page_counts(p, &p->cells[0]));
		return cp_json_finish(o);
	}
	cells = new_array();
	for (size_t i = 0; i < p->ncells; i++) {
		json_object *c = new_object();

		put(c, "id", json_object_new_int64(p->cells[i].id));
		put(c, "pages", page_counts(p, &p->cells[i]));
		push(cells, c);
	}
	put(o, "cells", cells);
	return cp_json_finish(o);
}

char *cp_json_memstats(const struct cp_node_memstats *m)
{
	json_object *o = new_object();

	/* the slots the file did not fill, which virsh prints with an empty
	 * name and 0, say nothing */
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].field[0])
			put_u64(o, m->v[i].field, m->v[i].kib);
	return cp_json_finish(o);
}

/* A share as the text prints it, one decimal. */
static json_object *percent(double v)
{
	char s[32];

	snprintf(s, sizeof(s), "%.1f", v);
	return json_object_new_double_s(v, s);
}

char *cp_json_cpustats(const struct cp_node_cpustats *s)
{
	json_object *o = new_object();

	if (!s->percent) {
		put_u64(o, "user", s->user);
		put_u64(o, "system", s->system);
		put_u64(o, "idle", s->idle);
		put_u64(o, "iowait", s->iowait);
		return cp_json_finish(o);
	}
	put(o, "usage", percent(s->p_usage));
	put(o, "user", percent(s->p_user));
	put(o, "system", percent(s->p_system));
	put(o, "idle", percent(s->p_idle));
	put(o, "iowait", percent(s->p_iowait));
	return cp_json_finish(o);
}
