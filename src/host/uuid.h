/* The host UUID's syntax (uuid.c), for the unit tests. */
#ifndef CP_HOST_UUID_H
#define CP_HOST_UUID_H

/* libvirt's UUID syntax: optional surrounding whitespace, 32 hex digits,
 * any number of '-' or ' ' before each byte pair.  A UUID whose 16 bytes
 * are all equal (firmware junk such as all-zero or all-FF) is -EINVAL too. */
int cp_uuid_parse(const char *s, unsigned char uuid[16]);
/* Lowercase 8-4-4-4-12 into out[37]. */
void cp_uuid_format(const unsigned char uuid[16], char out[37]);

#endif
