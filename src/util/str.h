/* Growable string buffer and small parsing helpers shared by every probe. */
#ifndef CP_UTIL_STR_H
#define CP_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct cp_buf {
	char *s;	/* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

void cp_buf_add(struct cp_buf *b, const char *s, size_t n);
/* Grow the string by n bytes and return where they start, for the caller
 * to fill (the NUL after them is written). */
char *cp_buf_extend(struct cp_buf *b, size_t n);
void cp_buf_puts(struct cp_buf *b, const char *s);
void cp_buf_putc(struct cp_buf *b, char c);
void cp_buf_printf(struct cp_buf *b, const char *fmt, ...) CP_PRINTF(2, 3);
/* Hand the string to the caller (never NULL) and reset the buffer. */
char *cp_buf_steal(struct cp_buf *b);
void cp_buf_free(struct cp_buf *b);

/* Strict number parsing: the whole string (after optional trailing
 * whitespace is ignored when trail_ws is set) must be the number.
 * Return 0 or -EINVAL / -ERANGE. base 0 accepts 0x.. and 0... */
int cp_parse_u64(const char *s, int base, bool trail_ws, uint64_t *out);
int cp_parse_i64(const char *s, int base, bool trail_ws, int64_t *out);

/* Trim trailing whitespace in place; return s. */
char *cp_rstrip(char *s);
bool cp_startswith(const char *s, const char *prefix);
/* Is s well-formed UTF-8 made only of characters XML 1.0 documents may
 * hold as they are, without C0 controls (tab and newline included) and
 * DEL?  Such a string prints into XML and reads back unchanged: a name or
 * path that is not one (say a file name in another encoding) cannot. */
bool cp_str_xml_clean(const char *s);
/* Compare names with embedded numbers by value ("index2" < "index10"). */
int cp_natcmp(const char *a, const char *b);

/* A NULL-terminated, owned list of strings. */
/* A NULL-terminated list of owned strings; grow it only with
 * cp_strv_push (cap: slots allocated, NULL included). */
struct cp_strv {
	char **v;
	size_t n;
	size_t cap;
};
void cp_strv_push(struct cp_strv *sv, char *owned);
void cp_strv_free(struct cp_strv *sv);
void cp_strv_sort_nat(struct cp_strv *sv);
/* Sort by strcmp (byte order). */
void cp_strv_sort(struct cp_strv *sv);

#endif
