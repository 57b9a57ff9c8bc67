#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "host/power.h"

/* <power_management> comes from systemd-logind, asked over the system
 * D-Bus the way libvirt does (CanSuspend, CanHibernate, CanHybridSleep;
 * "yes" or "challenge" means supported).  Rather than pull in libdbus for
 * three calls, this file speaks just enough of the wire protocol: SASL
 * EXTERNAL, Hello, three method calls, string replies.  Everything is
 * bounded by one deadline, and any failure gives an empty mask, which is
 * what libvirt prints when it cannot ask. */

#define BUS_TIMEOUT_MS 1000
/* Replies here are tiny; anything larger is not an answer we want. */
#define MSG_MAX 65536
#define DEFAULT_SOCKET "/run/dbus/system_bus_socket"

enum { MSG_CALL = 1, MSG_RETURN = 2, MSG_ERROR = 3 };
enum { F_PATH = 1, F_INTERFACE = 2, F_MEMBER = 3, F_REPLY_SERIAL = 5, F_DESTINATION = 6, F_SIGNATURE = 8 };

static const struct {
	const char *member;
	unsigned bit;
	const char *name;	/* in the "power" fact */
} pm_calls[] = {
	{ "CanSuspend", CP_PM_SUSPEND_MEM, "suspend_mem" },
	{ "CanHibernate", CP_PM_SUSPEND_DISK, "suspend_disk" },
	{ "CanHybridSleep", CP_PM_SUSPEND_HYBRID, "suspend_hybrid" },
};
#define NCALLS (sizeof(pm_calls) / sizeof(pm_calls[0]))

struct conn {
	int fd;
	struct timespec deadline;
	char rx[MSG_MAX];
	size_t rxlen;
	bool peer_closed;		/* it stopped reading: see send_all */
};

static int ms_left(const struct conn *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (c->deadline.tv_sec - now.tv_sec) * 1000LL + (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static int wait_fd(const struct conn *c, short ev)
{
	struct pollfd p = { .fd = c->fd, .events = ev };
	int n;

	do
		n = poll(&p, 1, ms_left(c));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cp_fail(-errno, "D-Bus: poll: %s", strerror(errno));
	if (n == 0)
		return cp_fail(-ETIMEDOUT, "D-Bus: no answer in time");
	return 0;
}

/* A bus that refuses us may close before it has read all we sent; its
 * reason is then already in our receive queue.  So a peer that hung up
 * is not a send error: sending stops, and the reads that follow report
 * what the bus said, or that it closed. */
static int send_all(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len && !c->peer_closed) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		int rc;

		if (n < 0 && errno == EAGAIN) {
			if ((rc = wait_fd(c, POLLOUT)) < 0)
				return rc;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			c->peer_closed = true;
			break;
		}
		if (n < 0)
			return cp_fail(-errno, "D-Bus: send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make at least want bytes available in rx. */
static int fill(struct conn *c, size_t want)
{
	if (want > sizeof(c->rx))
		return cp_fail(-EMSGSIZE, "D-Bus: message too large");
	while (c->rxlen < want) {
		ssize_t n = recv(c->fd, c->rx + c->rxlen, sizeof(c->rx) - c->rxlen, 0);
		int rc;

		if (n < 0 && errno == EAGAIN) {
			if ((rc = wait_fd(c, POLLIN)) < 0)
				return rc;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cp_fail(-errno, "D-Bus: recv: %s", strerror(errno));
		if (n == 0)
			return cp_fail(-ECONNRESET, "D-Bus: connection closed");
		c->rxlen += (size_t)n;
	}
	return 0;
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->rx, c->rx + n, c->rxlen - n);
	c->rxlen -= n;
}

/* One "\r\n"-terminated line of the authentication dialogue. */
static int read_line(struct conn *c, char *line, size_t size)
{
	for (;;) {
		char *end = memmem(c->rx, c->rxlen, "\r\n", 2);
		int rc;

		if (end) {
			size_t n = (size_t)(end - c->rx);

			if (n >= size)
				return cp_fail(-EPROTO, "D-Bus: authentication line too long");
			memcpy(line, c->rx, n);
			line[n] = '\0';
			consume(c, n + 2);
			return 0;
		}
		if (c->rxlen >= size)
			return cp_fail(-EPROTO, "D-Bus: authentication line too long");
		if ((rc = fill(c, c->rxlen + 1)) < 0)
			return rc;
	}
}

static int authenticate(struct conn *c)
{
	char uid[16], msg[64], line[512];
	size_t n;
	int rc;

	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	/* The protocol starts with one NUL byte (for credential passing). */
	n = (size_t)snprintf(msg, sizeof(msg), "%cAUTH EXTERNAL ", '\0');
	for (const char *p = uid; *p; p++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%02x", (unsigned char)*p);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\n");
	if ((rc = send_all(c, msg, n)) < 0)
		return rc;
	if ((rc = read_line(c, line, sizeof(line))) < 0)
		return rc;
	if (strncmp(line, "OK ", 3) != 0)
		return cp_fail(-EACCES, "D-Bus: authentication refused");
	return send_all(c, "BEGIN\r\n", 7);
}

/* Message marshalling, little-endian, with alignment relative to the
 * start of the message. */
static void pad(struct cp_buf *b, size_t align)
{
	while (b->len % align)
		cp_buf_putc(b, '\0');
}

static void put_u32(struct cp_buf *b, uint32_t v)
{
	unsigned char le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	pad(b, 4);
	cp_buf_add(b, (const char *)le, 4);
}

static void put_field(struct cp_buf *b, unsigned char code, char type, const char *s)
{
	char sig[3] = { 1, type, 0 };

	pad(b, 8);
	cp_buf_add(b, (const char *)&code, 1);
	cp_buf_add(b, sig, 3);
	put_u32(b, (uint32_t)strlen(s));
	cp_buf_add(b, s, strlen(s) + 1);
}

static void build_call(struct cp_buf *b, uint32_t serial, const char *dest, const char *path,
		       const char *iface, const char *member)
{
	size_t fields;

	b->len = 0;
	cp_buf_add(b, "l\1\0\1", 4);	/* little-endian, method call, no flags, version 1 */
	put_u32(b, 0);			/* no body */
	put_u32(b, serial);
	put_u32(b, 0);			/* header fields length, patched below */
	fields = b->len;
	put_field(b, F_PATH, 'o', path);
	put_field(b, F_INTERFACE, 's', iface);
	put_field(b, F_MEMBER, 's', member);
	put_field(b, F_DESTINATION, 's', dest);
	{
		uint32_t flen = (uint32_t)(b->len - fields);
		unsigned char le[4] = { flen & 0xff, (flen >> 8) & 0xff, (flen >> 16) & 0xff, flen >> 24 };

		memcpy(b->s + 12, le, 4);
	}
	pad(b, 8);
}

struct reply {
	unsigned type;
	uint32_t reply_serial;		/* 0: none */
	char signature[16];
	const unsigned char *body;
	uint32_t body_len;
	bool big;
};

static uint32_t get_u32(const unsigned char *p, bool big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Walk the header fields of a complete message m[0..len): keep the reply
 * serial and the signature, step over the rest. */
static int parse_fields(const unsigned char *m, size_t end, struct reply *rep)
{
	size_t off = 16;

	while (off < end) {
		unsigned code, siglen;
		char type;

		off = align_up(off, 8);
		if (off + 3 > end)
			return -EPROTO;
		code = m[off];
		siglen = m[off + 1];
		if (siglen != 1 || off + 4 > end || m[off + 3] != 0)
			return -EPROTO;	/* header values are single basic types */
		type = (char)m[off + 2];
		off += 4;
		switch (type) {
		case 's':
		case 'o': {
			uint32_t n;

			off = align_up(off, 4);
			if (off + 4 > end)
				return -EPROTO;
			n = get_u32(m + off, rep->big);
			if (n > end || off + 4 + n + 1 > end || m[off + 4 + n] != 0)
				return -EPROTO;
			off += 4 + n + 1;
			break;
		}
		case 'g': {
			unsigned n;

			if (off + 1 > end)
				return -EPROTO;
			n = m[off];
			if (off + 1 + n + 1 > end || m[off + 1 + n] != 0)
				return -EPROTO;
			if (code == F_SIGNATURE) {
				if (n >= sizeof(rep->signature))
					return -EPROTO;
				memcpy(rep->signature, m + off + 1, n + 1);
			}
			off += 1 + n + 1;
			break;
		}
		case 'u':
			off = align_up(off, 4);
			if (off + 4 > end)
				return -EPROTO;
			if (code == F_REPLY_SERIAL)
				rep->reply_serial = get_u32(m + off, rep->big);
			off += 4;
			break;
		default:
			return -EPROTO;
		}
	}
	return off == end ? 0 : -EPROTO;
}

/* Read one whole message into rx; it stays there until consume(). */
static int read_message(struct conn *c, struct reply *rep, size_t *total)
{
	const unsigned char *m = (const unsigned char *)c->rx;
	uint32_t flen, blen;
	size_t hdr;
	int rc;

	if ((rc = fill(c, 16)) < 0)
		return rc;
	if ((m[0] != 'l' && m[0] != 'B') || m[3] != 1)
		return cp_fail(-EPROTO, "D-Bus: not a D-Bus message");
	*rep = (struct reply){ .type = m[1], .big = m[0] == 'B' };
	blen = get_u32(m + 4, rep->big);
	flen = get_u32(m + 12, rep->big);
	if (flen > MSG_MAX || blen > MSG_MAX)
		return cp_fail(-EMSGSIZE, "D-Bus: message too large");
	hdr = align_up(16 + (size_t)flen, 8);
	*total = hdr + blen;
	if ((rc = fill(c, *total)) < 0)
		return rc;
	if (parse_fields(m, 16 + flen, rep) < 0)
		return cp_fail(-EPROTO, "D-Bus: malformed message header");
	rep->body = m + hdr;
	rep->body_len = blen;
	return 0;
}

/* The answer of a Can* call: a single string. */
static int reply_string(const struct reply *rep, char *out, size_t size)
{
	uint32_t n;

	if (strcmp(rep->signature, "s") != 0 || rep->body_len < 5)
		return -EPROTO;
	n = get_u32(rep->body, rep->big);
	if (n >= size || (size_t)n + 5 > rep->body_len || rep->body[4 + n] != 0)
		return -EPROTO;
	memcpy(out, rep->body + 4, n + 1);
	return 0;
}

static int connect_bus(const char *sockpath, int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(sockpath);
	socklen_t salen;
	int fd;

	if (len == 0 || len >= sizeof(sa.sun_path))
		return cp_fail(-EINVAL, "D-Bus: bad socket path");
	memcpy(sa.sun_path, sockpath, len);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (sockpath[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	else
		salen++;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cp_fail(-errno, "D-Bus: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		int e = errno;

		close(fd);
		return cp_fail(-e, "D-Bus: cannot connect to %s: %s", sockpath, strerror(e));
	}
	*fdp = fd;
	return 0;
}

int cp_dbus_logind_pm(const char *sockpath, int timeout_ms, unsigned *mask)
{
	struct conn *c = cp_calloc(1, sizeof(*c));
	struct cp_buf b = { 0 };
	unsigned answered = 0;
	int rc;

	*mask = 0;
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += timeout_ms / 1000;
	c->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (c->deadline.tv_nsec >= 1000000000) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000;
	}
	if ((rc = connect_bus(sockpath, &c->fd)) < 0) {
		free(c);
		return rc;
	}
	if ((rc = authenticate(c)) < 0)
		goto out;
	/* Serial 1 is Hello, 2.. the Can* calls; they can all go at once. */
	build_call(&b, 1, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello");
	if ((rc = send_all(c, b.s, b.len)) < 0)
		goto out;
	for (unsigned i = 0; i < NCALLS; i++) {
		build_call(&b, 2 + i, "org.freedesktop.login1", "/org/freedesktop/login1",
			   "org.freedesktop.login1.Manager", pm_calls[i].member);
		if ((rc = send_all(c, b.s, b.len)) < 0)
			goto out;
	}
	/* Replies may interleave with signals (NameAcquired); skip those. */
	while (answered != (1u << NCALLS) - 1) {
		struct reply rep;
		size_t total = 0;
		char answer[64];
		unsigned i;

		if ((rc = read_message(c, &rep, &total)) < 0)
			goto out;
		if (rep.reply_serial == 1 && rep.type == MSG_ERROR) {
			rc = cp_fail(-EPROTO, "D-Bus: Hello refused");
			goto out;
		}
		i = rep.reply_serial - 2;
		if (rep.reply_serial < 2 || i >= NCALLS || (rep.type != MSG_RETURN && rep.type != MSG_ERROR)) {
			consume(c, total);
			continue;
		}
		if (rep.type == MSG_ERROR) {
			rc = cp_fail(-ENOTSUP, "D-Bus: logind %s failed", pm_calls[i].member);
			goto out;
		}
		if (reply_string(&rep, answer, sizeof(answer)) < 0) {
			rc = cp_fail(-EPROTO, "D-Bus: unexpected answer to %s", pm_calls[i].member);
			goto out;
		}
		if (strcmp(answer, "yes") == 0 || strcmp(answer, "challenge") == 0)
			*mask |= pm_calls[i].bit;
		answered |= 1u << i;
		consume(c, total);
	}
	rc = 0;
out:
	if (rc < 0)
		*mask = 0;
	cp_buf_free(&b);
	close(c->fd);
	free(c);
	return rc;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *cp_dbus_address_socket(const char *address)
{
	const char *entry = address;

	while (entry && *entry) {
		const char *end = strchr(entry, ';');
		size_t elen = end ? (size_t)(end - entry) : strlen(entry);

		if (elen > 5 && strncmp(entry, "unix:", 5) == 0) {
			const char *kv = entry + 5, *stop = entry + elen;

			while (kv < stop) {
				const char *comma = memchr(kv, ',', (size_t)(stop - kv));
				const char *vend = comma ? comma : stop;
				bool abstract = strncmp(kv, "abstract=", 9) == 0;

				if (strncmp(kv, "path=", 5) == 0 || abstract) {
					const char *v = kv + (abstract ? 9 : 5);
					struct cp_buf b = { 0 };

					if (abstract)
						cp_buf_putc(&b, '@');
					/* values are %-escaped */
					while (v < vend) {
						if (*v == '%' && vend - v >= 3 && unhex(v[1]) >= 0 && unhex(v[2]) >= 0) {
							cp_buf_putc(&b, (char)(unhex(v[1]) << 4 | unhex(v[2])));
							v += 3;
						} else {
							cp_buf_putc(&b, *v++);
						}
					}
					if (b.len > (abstract ? 1u : 0u) && !memchr(b.s, '\0', b.len))
						return cp_buf_steal(&b);
					cp_buf_free(&b);
				}
				kv = comma ? comma + 1 : stop;
			}
		}
		entry = end ? end + 1 : NULL;
	}
	return NULL;
}

static unsigned parse_fact(const char *s)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < NCALLS; i++) {
		size_t n = strlen(pm_calls[i].name);

		for (const char *p = s; (p = strstr(p, pm_calls[i].name)); p += n)
			if ((p == s || p[-1] == ' ' || p[-1] == '\n') &&
			    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
				mask |= pm_calls[i].bit;
	}
	return mask;
}

/* logind's answers, as the recorded fact's text: the names of the calls
 * that answered "yes". */
static int power_live(void *arg, char **text)
{
	struct cp_buf fact = { 0 };
	const char *env = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	char *sock = env ? cp_dbus_address_socket(env) : NULL;
	unsigned pm = 0;

	(void)arg;
	if (!sock)
		sock = cp_strdup(DEFAULT_SOCKET);
	if (cp_dbus_logind_pm(sock, BUS_TIMEOUT_MS, &pm) < 0) {
		/* libvirt logs this and reports no power management */
		cp_verbose("power management unknown: %s", cp_last_error());
		cp_clear_error();
	}
	free(sock);
	for (unsigned i = 0; i < NCALLS; i++) {
		if (pm & pm_calls[i].bit) {
			if (fact.len)
				cp_buf_putc(&fact, ' ');
			cp_buf_puts(&fact, pm_calls[i].name);
		}
	}
	cp_buf_putc(&fact, '\n');
	*text = fact.s;
	return 0;
}

int cp_probe_power(const struct cp_root *r, struct cp_host *h)
{
	char *s = NULL;

	/* A recording without the fact was made where nobody could ask. */
	h->pm = cp_fact(r, "power", power_live, NULL, &s) == 0 ? parse_fact(s) : 0;
	free(s);
	return 0;
}
