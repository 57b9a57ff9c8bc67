/* --stable: a diff-friendly form of the documents (the default output stays
 * libvirt's).  It edits the model before printing, so the printers know
 * nothing of it:
 *   - lists whose order is QEMU's enumeration (hash-table) order are sorted;
 *     lists whose order libvirt gives a meaning (the preferred machine first,
 *     the CPU map's feature order, firmware descriptor priority, enum
 *     declaration order) are kept;
 *   - values that change between runs on an unchanged host are left out.
 * Each choice is listed in capsprobe(1) under --stable. */
#ifndef CP_XML_STABLE_H
#define CP_XML_STABLE_H

#include "model/host.h"
#include "model/domcaps.h"

/* <counter> (the TSC frequency is calibrated at each boot) and the per-cell
 * <pages> counts (the huge page pools change at run time: surplus pages,
 * allocations that depend on fragmentation; the 4 KiB count follows them)
 * are dropped; each guest's machines after the preferred one (and its
 * aliases) are sorted by name, numbers compared as numbers. */
void cp_host_stabilize(struct cp_host *h);

/* CPU models sorted by name and each model's blockers by feature name
 * (libvirt sorts both already; this makes it hold whatever QEMU says). */
void cp_domcaps_stabilize(struct cp_domcaps *dc);

#endif
