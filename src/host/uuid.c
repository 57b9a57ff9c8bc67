#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "host/uuid.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cp_uuid_parse(const char *s, unsigned char uuid[16])
{
	bool same = true;

	while (isspace((unsigned char)*s))
		s++;
	for (unsigned i = 0; i < 16;) {
		int hi, lo;

		if (*s == '-' || *s == ' ') {
			s++;
			continue;
		}
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			return -EINVAL;
		uuid[i++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return -EINVAL;
	for (unsigned i = 1; i < 16; i++)
		same = same && uuid[i] == uuid[0];
	return same ? -EINVAL : 0;
}

void cp_uuid_format(const unsigned char u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
		 u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* libvirt takes the first DMI file from which a whole UUID string (36
 * characters) can be read and does not look further, even if that one
 * turns out to be junk. */
static int smbios_uuid(const struct cp_root *r, unsigned char uuid[16])
{
	static const char *const paths[] = {
		"/sys/devices/virtual/dmi/id/product_uuid",
		"/sys/class/dmi/id/product_uuid",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t len;
		char *s;
		int rc;

		if (cp_read(r, &s, &len, "%s", paths[i]) < 0)
			continue;
		if (len < 36) {
			free(s);
			continue;
		}
		s[36] = '\0';
		rc = cp_uuid_parse(s, uuid);
		free(s);
		return rc;
	}
	return -ENOENT;
}

/* Without a usable SMBIOS UUID (no DMI, DMI readable only by root, junk
 * firmware values) libvirt invents a random UUID per daemon start, which
 * no two runs agree on.  capsprobe uses /etc/machine-id instead: it is
 * what libvirt's host_uuid_source="machine-id" reads, and it is stable.
 * With neither, <uuid> is left out. */
int cp_probe_uuid(const struct cp_root *r, struct cp_host *h)
{
	unsigned char uuid[16];
	char *s;

	h->uuid[0] = '\0';
	if (smbios_uuid(r, uuid) == 0) {
		cp_uuid_format(uuid, h->uuid);
		return 0;
	}
	if (cp_read(r, &s, NULL, "/etc/machine-id") < 0)
		return 0;
	if (cp_uuid_parse(s, uuid) == 0)
		cp_uuid_format(uuid, h->uuid);
	else
		cp_verbose("/etc/machine-id is not a UUID; no <uuid>");
	free(s);
	return 0;
}
