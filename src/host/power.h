/* Asking systemd-logind about suspend (power.c), for the unit tests. */
#ifndef CP_HOST_POWER_H
#define CP_HOST_POWER_H

/* Ask systemd-logind over the D-Bus socket at sockpath (a leading '@'
 * means the abstract namespace) for CanSuspend, CanHibernate and
 * CanHybridSleep, all within timeout_ms.  On success *mask holds CP_PM_*
 * bits; any failure returns -errno with the message set. */
int cp_dbus_logind_pm(const char *sockpath, int timeout_ms, unsigned *mask);
/* The socket named by a D-Bus address ("unix:path=..." or
 * "unix:abstract=..."; the first usable entry of a ';' list).  NULL when
 * there is none.  Caller frees. */
char *cp_dbus_address_socket(const char *address);

#endif
