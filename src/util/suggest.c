/* Nearest words by edit distance, with neighbour swaps counted as one edit
 * (q53 for q35 is one typo, not two). */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/str.h"
#include "util/suggest.h"

/* Words longer than this are compared on their first CMP_MAX bytes: no
 * typo is that long. */
#define CMP_MAX 64

size_t cp_edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, CMP_MAX), lb = strnlen(b, CMP_MAX);
	/* three rows of the table: the swap looks two back */
	size_t r0[CMP_MAX + 1], r1[CMP_MAX + 1], r2[CMP_MAX + 1];
	size_t *back2 = r0, *back = r1, *row = r2;

	for (size_t j = 0; j <= lb; j++)
		back[j] = j;
	for (size_t i = 1; i <= la; i++) {
		int ca = tolower((unsigned char)a[i - 1]);

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			size_t v = back[j - 1] + (ca != cb);

			if (back[j] + 1 < v)
				v = back[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && back2[j - 2] + 1 < v)
				v = back2[j - 2] + 1;
			row[j] = v;
		}
		{
			size_t *t = back2;

			back2 = back;
			back = row;
			row = t;
		}
	}
	return back[lb];
}

void cp_suggest_init(struct cp_suggest *s, const char *word)
{
	memset(s, 0, sizeof(*s));
	s->word = word;
	s->best = (size_t)-1;
}

void cp_suggest_add(struct cp_suggest *s, const char *candidate)
{
	size_t len = strlen(s->word);
	/* a third of the word, at least one edit and at most three: "foo" is
	 * no typo of "sh4" */
	size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
	size_t d = cp_edit_distance(s->word, candidate);

	/* a word the candidate starts with ("pc-q35-7" for "pc-q35-7.2") is
	 * as near as one typo */
	if (d > 1 && len >= 2 && strncasecmp(candidate, s->word, len) == 0)
		d = 1;
	if (d > limit || d > s->best)
		return;
	if (d < s->best) {
		s->best = d;
		s->n = 0;
	}
	if (s->n < CP_SUGGEST_MAX) {
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->pick[i], candidate) == 0)
				return;
		s->pick[s->n++] = candidate;
	}
}

char *cp_suggest_text(const struct cp_suggest *s, const char *prefix)
{
	struct cp_buf b = { 0 };

	if (!s->n)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		cp_buf_printf(&b, "%s'%s%s'", i == 0 ? "" : i + 1 == s->n ? " or " : ", ",
			      prefix ? prefix : "", s->pick[i]);
	return cp_buf_steal(&b);
}
