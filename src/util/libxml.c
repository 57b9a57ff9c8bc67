#include "config.h"

#include <dlfcn.h>
#include <errno.h>

#include "util/err.h"
#include "util/libxml.h"

struct cp_libxml cp_lx;

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

int cp_libxml_load(const char *what)
{
	void *h;

	if (!cp_lx.handle) {
		h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return cp_fail(-ENOENT, "%s needs libxml2 (libxml2.so.2): %s", what, dlerror());
#define X(name)								\
		cp_lx.name = (__typeof__(&name))dlsym(h, #name);	\
		if (!cp_lx.name)					\
			goto missing;
		CP_LIBXML_FUNCS(X)
#undef X
		cp_lx.xmlFree = (xmlFreeFunc *)dlsym(h, "xmlFree");
		if (!cp_lx.xmlFree)
			goto missing;
		cp_lx.handle = h;
	}
	cp_lx.xmlSetGenericErrorFunc(NULL, quiet);
	cp_lx.xmlSetStructuredErrorFunc(NULL, quiet_structured);
	return 0;
missing:
	dlclose(h);
	return cp_fail(-ENOENT, "%s: libxml2.so.2 lacks a function capsprobe needs", what);
}
