/* "Did you mean ...?": the valid words nearest to a mistyped one, for
 * errors that help (commands, options, arches, virt types, machines). */
#ifndef CP_UTIL_SUGGEST_H
#define CP_UTIL_SUGGEST_H

#include <stddef.h>

/* Edits (insert, delete, substitute, swap two neighbours) that turn a into
 * b, case ignored. */
size_t cp_edit_distance(const char *a, const char *b);

#define CP_SUGGEST_MAX 3

/* Feed every valid word to cp_suggest_add; the nearest ones (at most
 * CP_SUGGEST_MAX, the first of equally near ones) are kept when they are
 * near enough to be a typo of the word, or start with it (as near as one
 * typo). */
struct cp_suggest {
	const char *word;
	size_t best;
	size_t n;
	const char *pick[CP_SUGGEST_MAX];
};

void cp_suggest_init(struct cp_suggest *s, const char *word);
void cp_suggest_add(struct cp_suggest *s, const char *candidate);
/* "'q35'", "'a' or 'b'", "'a', 'b' or 'c'" (each with prefix before it,
 * such as "--"); NULL when nothing was near.  The caller frees it. */
char *cp_suggest_text(const struct cp_suggest *s, const char *prefix);

#endif
