/* sysinfo: libvirt 11.3's SMBIOS view of the host (virsh sysinfo).
 *
 * libvirt runs `dmidecode -q -t 0,1,2,3,4,11,17` and searches its text.
 * capsprobe needs no dmidecode: it decodes the kernel's copy of the tables
 * (/sys/firmware/dmi/tables: smbios_entry_point and DMI) into the lines
 * dmidecode 3.4 prints for those types, then reads them back as libvirt
 * does.  Going through the text keeps libvirt's quirks: each field is the
 * first "Key: " after the section's title, even when that lies in a later
 * section, and values are right-trimmed. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/arch.h"
#include "host/host.h"
#include "util/path.h"
#include "util/str.h"

#define DMI_DIR "/sys/firmware/dmi/tables"
#define NOT_AVAILABLE "Host SMBIOS information is not available"

struct dmi {
	const uint8_t *t;		/* the table */
	size_t len;
	unsigned ver;			/* major << 8 | minor */
	unsigned num;			/* 2.x: the structure count; 0: none */
	bool stop_at_eot;		/* 3.x */
};

struct hdr {
	uint8_t type, length;
	const uint8_t *d;		/* the formatted area */
	const uint8_t *end;		/* past the strings' double NUL */
};

static unsigned w16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t w32(const uint8_t *p) { return w16(p) | (uint32_t)w16(p + 2) << 16; }

static bool sum_ok(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s == 0;
}

/* String s of a structure, as dmidecode prints it: "Not Specified" for 0,
 * "<BAD INDEX>" past the last, control characters and DEL as '.'. */
static void put_string(struct cp_buf *b, const struct hdr *h, unsigned s)
{
	const uint8_t *p = h->d + h->length;

	if (s == 0) {
		cp_buf_puts(b, "Not Specified");
		return;
	}
	/* the strings end at a double NUL before h->end, checked by the walk */
	while (s > 1 && *p) {
		p += strlen((const char *)p) + 1;
		s--;
	}
	if (!*p) {
		cp_buf_puts(b, "<BAD INDEX>");
		return;
	}
	for (; *p; p++)
		cp_buf_putc(b, *p < 32 || *p == 127 ? '.' : (char)*p);
}

static void attr_str(struct cp_buf *b, const char *key, const struct hdr *h, unsigned off)
{
	cp_buf_printf(b, "\t%s: ", key);
	put_string(b, h, h->d[off]);
	cp_buf_putc(b, '\n');
}

static const char *pick(const char *const *names, size_t n, unsigned code, unsigned first)
{
	if (code >= first && code - first < n && names[code - first])
		return names[code - first];
	return "<OUT OF SPEC>";
}

#define PICK(tab, code, first) pick(tab, sizeof(tab) / sizeof(tab[0]), code, first)

static void bios(struct cp_buf *b, const struct hdr *h)
{
	const uint8_t *d = h->d;

	cp_buf_puts(b, "BIOS Information\n");
	if (h->length < 0x12)
		return;
	attr_str(b, "Vendor", h, 0x04);
	attr_str(b, "Version", h, 0x05);
	attr_str(b, "Release Date", h, 0x08);
	if (h->length < 0x18)
		return;
	if (d[0x14] != 0xFF && d[0x15] != 0xFF)
		cp_buf_printf(b, "\tBIOS Revision: %u.%u\n", d[0x14], d[0x15]);
}

static void uuid(struct cp_buf *b, const uint8_t *p, unsigned ver)
{
	bool ff = true, zero = true;

	for (int i = 0; i < 16; i++) {
		ff = ff && p[i] == 0xFF;
		zero = zero && p[i] == 0;
	}
	if (ff) {
		cp_buf_puts(b, "\tUUID: Not Present\n");
		return;
	}
	if (zero) {
		cp_buf_puts(b, "\tUUID: Not Settable\n");
		return;
	}
	/* from SMBIOS 2.6 on, the first three fields are little-endian */
	static const int le[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	cp_buf_puts(b, "\tUUID: ");
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			cp_buf_putc(b, '-');
		cp_buf_printf(b, "%02x", p[ver >= 0x0206 ? le[i] : i]);
	}
	cp_buf_putc(b, '\n');
}

static void system_info(struct cp_buf *b, const struct hdr *h, unsigned ver)
{
	cp_buf_puts(b, "System Information\n");
	if (h->length < 0x08)
		return;
	attr_str(b, "Manufacturer", h, 0x04);
	attr_str(b, "Product Name", h, 0x05);
	attr_str(b, "Version", h, 0x06);
	attr_str(b, "Serial Number", h, 0x07);
	if (h->length < 0x19)
		return;
	uuid(b, h->d + 0x08, ver);
	if (h->length < 0x1B)
		return;
	attr_str(b, "SKU Number", h, 0x19);
	attr_str(b, "Family", h, 0x1A);
}

static void board(struct cp_buf *b, const struct hdr *h)
{
	cp_buf_puts(b, "Base Board Information\n");
	if (h->length < 0x08)
		return;
	attr_str(b, "Manufacturer", h, 0x04);
	attr_str(b, "Product Name", h, 0x05);
	attr_str(b, "Version", h, 0x06);
	attr_str(b, "Serial Number", h, 0x07);
	if (h->length < 0x09)
		return;
	attr_str(b, "Asset Tag", h, 0x08);
	if (h->length < 0x0E)
		return;
	attr_str(b, "Location In Chassis", h, 0x0A);
}

static void chassis(struct cp_buf *b, const struct hdr *h)
{
	const uint8_t *d = h->d;

	cp_buf_puts(b, "Chassis Information\n");
	if (h->length < 0x09)
		return;
	attr_str(b, "Manufacturer", h, 0x04);
	attr_str(b, "Version", h, 0x06);
	attr_str(b, "Serial Number", h, 0x07);
	attr_str(b, "Asset Tag", h, 0x08);
	if (h->length < 0x15)
		return;
	unsigned sku = 0x15 + d[0x13] * d[0x14];
	if (h->length < sku + 1)
		return;
	attr_str(b, "SKU Number", h, sku);
}

/* dmidecode 3.4's processor family names, with its signature decoding: 1
 * Intel's, 2 AMD's, 0 none, -1 by the version string.  The list is what
 * that dmidecode printed for each family code (a table of each code in
 * turn, family 2 codes too; any other code is "<OUT OF SPEC>" without a
 * signature).  Left out, and so an error rather than a guess: the 80386 and
 * 80486 signatures, the ARM ones, 0xFE without a family 2 field, and 0x30
 * in SMBIOS 2.0 tables (dmidecode names it by manufacturer there). */
static const struct family {
	unsigned code;
	const char *name;
	int sig;
} families[] = {
	{ 0x01, "Other", -1 }, { 0x02, "Unknown", -1 }, { 0x03, "8086", 0 }, { 0x04, "80286", 0 },
	{ 0x07, "8087", 0 }, { 0x08, "80287", 0 }, { 0x09, "80387", 0 }, { 0x0A, "80487", 0 },
	{ 0x0B, "Pentium", 1 }, { 0x0C, "Pentium Pro", 1 }, { 0x0D, "Pentium II", 1 },
	{ 0x0E, "Pentium MMX", 1 }, { 0x0F, "Celeron", 1 }, { 0x10, "Pentium II Xeon", 1 },
	{ 0x11, "Pentium III", 1 }, { 0x12, "M1", 1 }, { 0x13, "M2", 1 }, { 0x14, "Celeron M", 1 },
	{ 0x15, "Pentium 4 HT", 1 }, { 0x18, "Duron", 2 }, { 0x19, "K5", 2 }, { 0x1A, "K6", 2 },
	{ 0x1B, "K6-2", 2 }, { 0x1C, "K6-3", 2 }, { 0x1D, "Athlon", 2 }, { 0x1E, "AMD29000", 0 },
	{ 0x1F, "K6-2+", 2 }, { 0x20, "Power PC", 0 }, { 0x21, "Power PC 601", 0 },
	{ 0x22, "Power PC 603", 0 }, { 0x23, "Power PC 603+", 0 }, { 0x24, "Power PC 604", 0 },
	{ 0x25, "Power PC 620", 0 }, { 0x26, "Power PC x704", 0 }, { 0x27, "Power PC 750", 0 },
	{ 0x28, "Core Duo", 1 }, { 0x29, "Core Duo Mobile", 1 }, { 0x2A, "Core Solo Mobile", 1 },
	{ 0x2B, "Atom", 1 }, { 0x2C, "Core M", 1 }, { 0x2D, "Core m3", 1 }, { 0x2E, "Core m5", 1 },
	{ 0x2F, "Core m7", 1 }, { 0x30, "Alpha", 0 }, { 0x31, "Alpha 21064", 0 },
	{ 0x32, "Alpha 21066", 0 }, { 0x33, "Alpha 21164", 0 }, { 0x34, "Alpha 21164PC", 0 },
	{ 0x35, "Alpha 21164a", 0 }, { 0x36, "Alpha 21264", 0 }, { 0x37, "Alpha 21364", 0 },
	{ 0x38, "Turion II Ultra Dual-Core Mobile M", 2 },
	{ 0x39, "Turion II Dual-Core Mobile M", 2 }, { 0x3A, "Athlon II Dual-Core M", 2 },
	{ 0x3B, "Opteron 6100", 2 }, { 0x3C, "Opteron 4100", 2 }, { 0x3D, "Opteron 6200", 2 },
	{ 0x3E, "Opteron 4200", 2 }, { 0x3F, "FX", 2 }, { 0x40, "MIPS", 0 },
	{ 0x41, "MIPS R4000", 0 }, { 0x42, "MIPS R4200", 0 }, { 0x43, "MIPS R4400", 0 },
	{ 0x44, "MIPS R4600", 0 }, { 0x45, "MIPS R10000", 0 }, { 0x46, "C-Series", 2 },
	{ 0x47, "E-Series", 2 }, { 0x48, "A-Series", 2 }, { 0x49, "G-Series", 2 },
	{ 0x4A, "Z-Series", 2 }, { 0x4B, "R-Series", 2 }, { 0x4C, "Opteron 4300", 2 },
	{ 0x4D, "Opteron 6300", 2 }, { 0x4E, "Opteron 3300", 2 }, { 0x4F, "FirePro", 2 },
	{ 0x50, "SPARC", 0 }, { 0x51, "SuperSPARC", 0 }, { 0x52, "MicroSPARC II", 0 },
	{ 0x53, "MicroSPARC IIep", 0 }, { 0x54, "UltraSPARC", 0 }, { 0x55, "UltraSPARC II", 0 },
	{ 0x56, "UltraSPARC IIi", 0 }, { 0x57, "UltraSPARC III", 0 }, { 0x58, "UltraSPARC IIIi", 0 },
	{ 0x60, "68040", 0 }, { 0x61, "68xxx", 0 }, { 0x62, "68000", 0 }, { 0x63, "68010", 0 },
	{ 0x64, "68020", 0 }, { 0x65, "68030", 0 }, { 0x66, "Athlon X4", 2 },
	{ 0x67, "Opteron X1000", 2 }, { 0x68, "Opteron X2000", 2 }, { 0x69, "Opteron A-Series", 2 },
	{ 0x6A, "Opteron X3000", 2 }, { 0x6B, "Zen", 2 }, { 0x70, "Hobbit", 0 },
	{ 0x78, "Crusoe TM5000", 0 }, { 0x79, "Crusoe TM3000", 0 }, { 0x7A, "Efficeon TM8000", 0 },
	{ 0x80, "Weitek", 0 }, { 0x82, "Itanium", 0 }, { 0x83, "Athlon 64", 2 },
	{ 0x84, "Opteron", 2 }, { 0x85, "Sempron", 2 }, { 0x86, "Turion 64", 2 },
	{ 0x87, "Dual-Core Opteron", 2 }, { 0x88, "Athlon 64 X2", 2 }, { 0x89, "Turion 64 X2", 2 },
	{ 0x8A, "Quad-Core Opteron", 2 }, { 0x8B, "Third-Generation Opteron", 2 },
	{ 0x8C, "Phenom FX", 2 }, { 0x8D, "Phenom X4", 2 }, { 0x8E, "Phenom X2", 2 },
	{ 0x8F, "Athlon X2", 2 }, { 0x90, "PA-RISC", 0 }, { 0x91, "PA-RISC 8500", 0 },
	{ 0x92, "PA-RISC 8000", 0 }, { 0x93, "PA-RISC 7300LC", 0 }, { 0x94, "PA-RISC 7200", 0 },
	{ 0x95, "PA-RISC 7100LC", 0 }, { 0x96, "PA-RISC 7100", 0 }, { 0xA0, "V30", 0 },
	{ 0xA1, "Quad-Core Xeon 3200", 1 }, { 0xA2, "Dual-Core Xeon 3000", 1 },
	{ 0xA3, "Quad-Core Xeon 5300", 1 }, { 0xA4, "Dual-Core Xeon 5100", 1 },
	{ 0xA5, "Dual-Core Xeon 5000", 1 }, { 0xA6, "Dual-Core Xeon LV", 1 },
	{ 0xA7, "Dual-Core Xeon ULV", 1 }, { 0xA8, "Dual-Core Xeon 7100", 1 },
	{ 0xA9, "Quad-Core Xeon 5400", 1 }, { 0xAA, "Quad-Core Xeon", 1 },
	{ 0xAB, "Dual-Core Xeon 5200", 1 }, { 0xAC, "Dual-Core Xeon 7200", 1 },
	{ 0xAD, "Quad-Core Xeon 7300", 1 }, { 0xAE, "Quad-Core Xeon 7400", 1 },
	{ 0xAF, "Multi-Core Xeon 7400", 1 }, { 0xB0, "Pentium III Xeon", 1 },
	{ 0xB1, "Pentium III Speedstep", 1 }, { 0xB2, "Pentium 4", 1 }, { 0xB3, "Xeon", 1 },
	{ 0xB4, "AS400", 0 }, { 0xB5, "Xeon MP", 1 }, { 0xB6, "Athlon XP", 2 },
	{ 0xB7, "Athlon MP", 2 }, { 0xB8, "Itanium 2", 0 }, { 0xB9, "Pentium M", 1 },
	{ 0xBA, "Celeron D", 1 }, { 0xBB, "Pentium D", 1 }, { 0xBC, "Pentium EE", 1 },
	{ 0xBD, "Core Solo", 1 }, { 0xBF, "Core 2 Duo", 1 }, { 0xC0, "Core 2 Solo", 1 },
	{ 0xC1, "Core 2 Extreme", 1 }, { 0xC2, "Core 2 Quad", 1 },
	{ 0xC3, "Core 2 Extreme Mobile", 1 }, { 0xC4, "Core 2 Duo Mobile", 1 },
	{ 0xC5, "Core 2 Solo Mobile", 1 }, { 0xC6, "Core i7", 1 }, { 0xC7, "Dual-Core Celeron", 1 },
	{ 0xC8, "IBM390", 0 }, { 0xC9, "G4", 0 }, { 0xCA, "G5", 0 }, { 0xCB, "ESA/390 G6", 0 },
	{ 0xCC, "z/Architecture", 0 }, { 0xCD, "Core i5", 1 }, { 0xCE, "Core i3", 1 },
	{ 0xCF, "Core i9", 1 }, { 0xD2, "C7-M", 1 }, { 0xD3, "C7-D", 1 }, { 0xD4, "C7", 1 },
	{ 0xD5, "Eden", 1 }, { 0xD6, "Multi-Core Xeon", 1 }, { 0xD7, "Dual-Core Xeon 3xxx", 1 },
	{ 0xD8, "Quad-Core Xeon 3xxx", 1 }, { 0xD9, "Nano", 1 }, { 0xDA, "Dual-Core Xeon 5xxx", 1 },
	{ 0xDB, "Quad-Core Xeon 5xxx", 1 }, { 0xDD, "Dual-Core Xeon 7xxx", 1 },
	{ 0xDE, "Quad-Core Xeon 7xxx", 1 }, { 0xDF, "Multi-Core Xeon 7xxx", 1 },
	{ 0xE0, "Multi-Core Xeon 3400", 1 }, { 0xE4, "Opteron 3000", 2 }, { 0xE5, "Sempron II", 2 },
	{ 0xE6, "Embedded Opteron Quad-Core", 2 }, { 0xE7, "Phenom Triple-Core", 2 },
	{ 0xE8, "Turion Ultra Dual-Core Mobile", 2 }, { 0xE9, "Turion Dual-Core Mobile", 2 },
	{ 0xEA, "Athlon Dual-Core", 2 }, { 0xEB, "Sempron SI", 2 }, { 0xEC, "Phenom II", 2 },
	{ 0xED, "Athlon II", 2 }, { 0xEE, "Six-Core Opteron", 2 }, { 0xEF, "Sempron M", 2 },
	{ 0xFA, "i860", 0 }, { 0xFB, "i960", 0 }, { 0x104, "SH-3", 0 }, { 0x105, "SH-4", 0 },
	{ 0x12C, "6x86", 0 }, { 0x12D, "MediaGX", 0 }, { 0x12E, "MII", 0 }, { 0x140, "WinChip", 0 },
	{ 0x15E, "DSP", 0 }, { 0x1F4, "Video Processor", 0 }, { 0x200, "RV32", 0 },
	{ 0x201, "RV64", 0 }, { 0x202, "RV128", 0 },
};

static bool maker_is(const char *m, const char *name)
{
	return strstr(m, name) || strncasecmp(m, name, strlen(name)) == 0;
}

/* 0xBE: dmidecode guesses from the manufacturer */
static const char *family_be(const struct hdr *h)
{
	struct cp_buf m = { 0 };
	const char *name = "Core 2 or K7";

	put_string(&m, h, h->d[0x07]);
	if (maker_is(m.s, "Intel"))
		name = "Core 2";
	else if (maker_is(m.s, "AMD"))
		name = "K7";
	cp_buf_free(&m);
	return name;
}

/* Other and Unknown: dmidecode tells x86 CPUs by their version string */
static int sig_by_version(const struct hdr *h)
{
	static const char *const intel[] = { "Pentium III MMX", "Intel(R) Core(TM)2",
		"Intel(R) Pentium(R)", "Genuine Intel(R) CPU U1400" };
	static const char *const amd[] = { "AMD Athlon(TM)", "AMD Opteron(tm)", "Dual-Core AMD Opteron(tm)" };
	struct cp_buf v = { 0 };
	int sig = 0;

	put_string(&v, h, h->d[0x10]);
	for (size_t i = 0; i < sizeof(intel) / sizeof(intel[0]) && !sig; i++)
		if (cp_startswith(v.s, intel[i]))
			sig = 1;
	for (size_t i = 0; i < sizeof(amd) / sizeof(amd[0]) && !sig; i++)
		if (cp_startswith(v.s, amd[i]))
			sig = 2;
	cp_buf_free(&v);
	return sig;
}

static void mhz(struct cp_buf *b, const char *key, unsigned v)
{
	if (v)
		cp_buf_printf(b, "\t%s: %u MHz\n", key, v);
	else
		cp_buf_printf(b, "\t%s: Unknown\n", key);
}

static int processor(struct cp_buf *b, const struct hdr *h, unsigned ver)
{
	static const char *const types[] = { "Other", "Unknown", "Central Processor",
		"Math Processor", "DSP Processor", "Video Processor" };
	static const char *const status[] = { "Unknown", "Enabled", "Disabled By User",
		"Disabled By BIOS", "Idle", "<OUT OF SPEC>", "<OUT OF SPEC>", "Other" };
	const uint8_t *d = h->d;
	const struct family *f = NULL;

	cp_buf_puts(b, "Processor Information\n");
	if (h->length < 0x1A)
		return 0;
	attr_str(b, "Socket Designation", h, 0x04);
	cp_buf_printf(b, "\tType: %s\n", PICK(types, d[0x05], 1));
	unsigned code = d[0x06] == 0xFE && h->length >= 0x2A ? w16(d + 0x28) : d[0x06];
	static const struct family be = { 0xBE, NULL, 1 };
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i].code == code && !(code == 0x30 && ver == 0x0200))
			f = &families[i];
	static const struct family out_of_spec = { 0, "<OUT OF SPEC>", 0 };
	if (code == 0xBE)
		f = &be;
	/* the ones whose dmidecode output capsprobe does not reproduce */
	if (code == 0x05 || code == 0x06 || code == 0xFE || code == 0x100 || code == 0x101 ||
	    code == 0x118 || code == 0x119 || (code == 0x30 && ver == 0x0200))
		return cp_fail(-ENOTSUP, "processor family 0x%02X: not among the families capsprobe names", code);
	if (!f)
		f = &out_of_spec;
	cp_buf_printf(b, "\tFamily: %s\n", f->name ? f->name : family_be(h));
	attr_str(b, "Manufacturer", h, 0x07);
	int sig = f->sig < 0 ? sig_by_version(h) : f->sig;
	uint32_t eax = w32(d + 0x08);
	if (sig == 1)
		cp_buf_printf(b, "\tSignature: Type %u, Family %u, Model %u, Stepping %u\n",
			      (eax >> 12) & 0x3, ((eax >> 20) & 0xFF) + ((eax >> 8) & 0x0F),
			      ((eax >> 12) & 0xF0) + ((eax >> 4) & 0x0F), eax & 0xF);
	else if (sig == 2) {
		unsigned fam = (eax >> 8) & 0xF;
		cp_buf_printf(b, "\tSignature: Family %u, Model %u, Stepping %u\n",
			      fam + (fam == 0xF ? (eax >> 20) & 0xFF : 0),
			      ((eax >> 4) & 0xF) | (fam == 0xF ? (eax >> 12) & 0xF0 : 0), eax & 0xF);
	}
	attr_str(b, "Version", h, 0x10);
	mhz(b, "External Clock", w16(d + 0x12));
	mhz(b, "Max Speed", w16(d + 0x14));
	if (d[0x18] & 0x40)
		cp_buf_printf(b, "\tStatus: Populated, %s\n", status[d[0x18] & 7]);
	else
		cp_buf_puts(b, "\tStatus: Unpopulated\n");
	if (h->length < 0x23)
		return 0;
	attr_str(b, "Serial Number", h, 0x20);
	attr_str(b, "Asset Tag", h, 0x21);
	attr_str(b, "Part Number", h, 0x22);
	return 0;
}

/* dmidecode's size: the largest unit that shows it exactly */
static void mem_size(struct cp_buf *b, uint64_t kib)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	int i = 0;

	while (i < 5 && kib && (kib & 0x3FF) == 0) {
		kib >>= 10;
		i++;
	}
	cp_buf_printf(b, "\tSize: %llu %s\n", (unsigned long long)kib, unit[i]);
}

static void memory(struct cp_buf *b, const struct hdr *h)
{
	static const char *const forms[] = { "Other", "Unknown", "SIMM", "SIP", "Chip", "DIP",
		"ZIP", "Proprietary Card", "DIMM", "TSOP", "Row Of Chips", "RIMM", "SODIMM",
		"SRIMM", "FB-DIMM", "Die" };
	static const char *const types[] = { "Other", "Unknown", "DRAM", "EDRAM", "VRAM",
		"SRAM", "RAM", "ROM", "Flash", "EEPROM", "FEPROM", "EPROM", "CDRAM", "3DRAM",
		"SDRAM", "SGRAM", "RDRAM", "DDR", "DDR2", "DDR2 FB-DIMM", "Reserved", "Reserved",
		"Reserved", "DDR3", "FBD2", "DDR4", "LPDDR", "LPDDR2", "LPDDR3", "LPDDR4",
		"Logical non-volatile device", "HBM", "HBM2", "DDR5", "LPDDR5" };
	static const char *const details[] = { "Other", "Unknown", "Fast-paged",
		"Static Column", "Pseudo-static", "RAMBus", "Synchronous", "CMOS", "EDO",
		"Window DRAM", "Cache DRAM", "Non-Volatile", "Registered (Buffered)",
		"Unbuffered (Unregistered)", "LRDIMM" };
	const uint8_t *d = h->d;

	cp_buf_puts(b, "Memory Device\n");
	if (h->length < 0x15)
		return;
	unsigned size = w16(d + 0x0C);
	if (size == 0)
		cp_buf_puts(b, "\tSize: No Module Installed\n");
	else if (size == 0xFFFF)
		cp_buf_puts(b, "\tSize: Unknown\n");
	else if (size == 0x7FFF && h->length >= 0x20) {
		uint32_t mb = w32(d + 0x1C) & 0x7FFFFFFF;
		if (mb & 0x3FF)
			cp_buf_printf(b, "\tSize: %lu MB\n", (unsigned long)mb);
		else if (mb & 0xFFC00)
			cp_buf_printf(b, "\tSize: %lu GB\n", (unsigned long)mb >> 10);
		else
			cp_buf_printf(b, "\tSize: %lu TB\n", (unsigned long)mb >> 20);
	} else
		mem_size(b, size & 0x8000 ? size & 0x7FFF : (uint64_t)size << 10);
	cp_buf_printf(b, "\tForm Factor: %s\n", PICK(forms, d[0x0E], 1));
	attr_str(b, "Locator", h, 0x10);
	attr_str(b, "Bank Locator", h, 0x11);
	cp_buf_printf(b, "\tType: %s\n", PICK(types, d[0x12], 1));
	unsigned detail = w16(d + 0x13);
	cp_buf_puts(b, "\tType Detail: ");
	if ((detail & 0xFFFE) == 0)
		cp_buf_puts(b, "None");
	for (int i = 1, n = 0; i <= 15; i++)
		if (detail & (1u << i))
			cp_buf_printf(b, "%s%s", n++ ? " " : "", details[i - 1]);
	cp_buf_putc(b, '\n');
	/* dmidecode says nothing more of an empty slot */
	if (h->length < 0x17 || size == 0)
		return;
	unsigned speed = w16(d + 0x15);
	uint32_t xspeed = h->length >= 0x5C ? w32(d + 0x54) : 0;
	if (speed == 0xFFFF ? xspeed == 0 : speed == 0)
		cp_buf_puts(b, "\tSpeed: Unknown\n");
	else
		cp_buf_printf(b, "\tSpeed: %lu MT/s\n", (unsigned long)(speed == 0xFFFF ? xspeed : speed));
	if (h->length < 0x1B)
		return;
	attr_str(b, "Manufacturer", h, 0x17);
	attr_str(b, "Serial Number", h, 0x18);
	attr_str(b, "Asset Tag", h, 0x19);
	attr_str(b, "Part Number", h, 0x1A);
}

static void oem(struct cp_buf *b, const struct hdr *h)
{
	cp_buf_puts(b, "OEM Strings\n");
	if (h->length < 0x05)
		return;
	for (unsigned i = 1; i <= h->d[0x04]; i++) {
		cp_buf_printf(b, "\tString %u: ", i);
		put_string(b, h, i);
		cp_buf_putc(b, '\n');
	}
}

/* dmidecode's walk of the table: stop at a header shorter than 4 bytes, at
 * a structure whose strings run past the end, at the end-of-table type in
 * quiet mode; fn is called on each whole structure, in table order.
 * Returns 1 when it stopped at a cut structure: dmidecode then prints an
 * empty line, in every mode (--oem-string too). */
typedef int walk_fn(const struct dmi *t, const struct hdr *h, void *arg);

static int walk(const struct dmi *t, walk_fn *fn, void *arg)
{
	size_t off = 0;

	for (unsigned i = 0; (i < t->num || !t->num) && off + 4 <= t->len; i++) {
		struct hdr h = { .type = t->t[off], .length = t->t[off + 1], .d = t->t + off };
		if (h.length < 4 || h.type == 127)
			break;
		size_t next = off + h.length;
		while (next + 1 < t->len && (t->t[next] || t->t[next + 1]))
			next++;
		next += 2;
		if (next > t->len)
			return 1;
		h.end = t->t + next;
		int rc = fn(t, &h, arg);
		if (rc < 0)
			return rc;
		off = next;
	}
	return 0;
}

static int decode_one(const struct dmi *t, const struct hdr *h, void *arg)
{
	struct cp_buf *b = arg;

	switch (h->type) {
	case 0: bios(b, h); break;
	case 1: system_info(b, h, t->ver); break;
	case 2: board(b, h); break;
	case 3: chassis(b, h); break;
	case 4: if (processor(b, h, t->ver) < 0) return -ENOTSUP; break;
	case 11: oem(b, h); break;
	case 17: memory(b, h); break;
	default: return 0;
	}
	cp_buf_putc(b, '\n');
	return 0;
}

/* `dmidecode --dump --oem-string N`: string N of every OEM structure (3.4
 * prints it as filtered as the first run did, so libvirt gets the '.' back
 * but untrimmed) */
struct oem_raw {
	unsigned idx;
	struct cp_buf out;
	bool missing;
};

static int oem_one(const struct dmi *t, const struct hdr *h, void *arg)
{
	struct oem_raw *o = arg;

	(void)t;
	if (h->type != 11)
		return 0;
	if (h->length < 5 || o->idx > h->d[0x04]) {
		o->missing = true;
		return 0;
	}
	if (o->idx == 0)	/* dmidecode's answer to string 0: the count */
		cp_buf_printf(&o->out, "%u", h->d[0x04]);
	else
		put_string(&o->out, h, o->idx);
	cp_buf_putc(&o->out, '\n');
	return 0;
}

/* The entry point as dmidecode reads it from sysfs; false: it finds none. */
static bool entry_point(const uint8_t *ep, size_t n, size_t tlen, struct dmi *t)
{
	if (n >= 24 && memcmp(ep, "_SM3_", 5) == 0) {
		if (ep[0x06] > 0x20 || ep[0x06] > n || !sum_ok(ep, ep[0x06]))
			return false;
		t->ver = ep[0x07] << 8 | ep[0x08];
		t->len = w32(ep + 0x0C);
		t->stop_at_eot = true;
	} else if (n >= 31 && memcmp(ep, "_SM_", 4) == 0) {
		if (ep[0x05] > 0x20 || ep[0x05] > n || !sum_ok(ep, ep[0x05]) ||
		    memcmp(ep + 0x10, "_DMI_", 5) != 0 || !sum_ok(ep + 0x10, 0x0F))
			return false;
		t->ver = ep[0x06] << 8 | ep[0x07];
		/* dmidecode's fixes of two well-known wrong versions */
		if (t->ver == 0x021F || t->ver == 0x0221)
			t->ver = 0x0203;
		else if (t->ver == 0x0233)
			t->ver = 0x0206;
		t->len = w16(ep + 0x16);
		t->num = w16(ep + 0x1C);
	} else if (n >= 15 && memcmp(ep, "_DMI_", 5) == 0) {
		if (!sum_ok(ep, 0x0F))
			return false;
		t->ver = (ep[0x0E] & 0xF0) << 4 | (ep[0x0E] & 0x0F);
		t->len = w16(ep + 0x06);
		t->num = w16(ep + 0x0C);
	} else
		return false;
	/* the kernel's file may be shorter than announced */
	if (t->len > tlen)
		t->len = tlen;
	return true;
}

/* ---- libvirt's reading of dmidecode's text (virSysinfoReadDMI) ---- */

/* The value after key, the first one from base on: up to the line's end,
 * trailing white space dropped; NULL when there is none or it is blank. */
static char *field(const char *base, const char *key)
{
	const char *cur = strstr(base, key), *eol;

	if (!cur)
		return NULL;
	cur += strlen(key);
	eol = strchr(cur, '\n');
	if (!eol)
		eol = cur + strlen(cur);
	while (eol > cur && strchr(" \t\n\v\f\r", eol[-1]))
		eol--;
	return eol > cur ? strndup(cur, eol - cur) : NULL;
}

static int parse_oem(const char *text, const struct dmi *t, struct cp_sysinfo *s)
{
	const char *cur = strstr(text, "OEM Strings");

	if (!cur)
		return 0;
	s->have_oem = true;
	while ((cur = strstr(cur, "String "))) {
		const char *eol = strchr(cur += 7, '\n');
		char *end;
		unsigned long long idx;
		bool bad;

		/* dmidecode's own lines always parse; text inside a value may
		 * not.  libvirt's number: strtoull's, "-N" taken modulo 2^32 */
		errno = 0;
		idx = strtoull(cur, &end, 10);
		if (memchr(cur, '-', end - cur)) {
			bad = -idx > 0xFFFFFFFFull;
			idx &= 0xFFFFFFFFull;
		} else
			bad = idx > 0xFFFFFFFFull;
		if (!eol || bad || errno || end == cur || *end != ':')
			return cp_fail(-EINVAL, NOT_AVAILABLE);	/* libvirt: malformed dmidecode output */
		cur = end + 2;
		while (eol > cur && strchr(" \t\n\v\f\r", eol[-1]))
			eol--;
		if (eol <= cur)
			continue;
		if (memchr(cur, '.', eol - cur)) {
			/* a '.' may stand for a control character: libvirt asks
			 * dmidecode again for the string alone */
			struct oem_raw o = { .idx = (unsigned)idx };
			if (walk(t, oem_one, &o) == 1)
				cp_buf_putc(&o.out, '\n');
			if (o.out.len == 0 && o.missing) {
				cp_buf_free(&o.out);
				return cp_fail(-EINVAL, NOT_AVAILABLE);
			}
			char *v = cp_buf_steal(&o.out);
			size_t n = strlen(v);
			if (n && v[n - 1] == '\n')
				v[n - 1] = 0;
			cp_strv_push(&s->oem, v);
		} else
			cp_strv_push(&s->oem, strndup(cur, eol - cur));
		cur = eol;
	}
	return 0;
}

static bool all_null(const void *p, size_t size)
{
	char *const *f = p;

	for (size_t i = 0; i < size / sizeof(char *); i++)
		if (f[i])
			return false;
	return true;
}

/* A section's fields: each a string member of the section's struct, the
 * value after label (field()).  The labels are searched from the section's
 * title on; no title holds ": ", so none matches inside one. */
struct dmi_field {
	const char *label;
	size_t off;
};

#define FIELD(type, member, label) { label, offsetof(type, member) }
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct dmi_field bios_fields[] = {
	FIELD(struct cp_sysinfo_bios, vendor, "Vendor: "),
	FIELD(struct cp_sysinfo_bios, version, "Version: "),
	FIELD(struct cp_sysinfo_bios, date, "Release Date: "),
	FIELD(struct cp_sysinfo_bios, release, "BIOS Revision: "),
};
static const struct dmi_field system_fields[] = {
	FIELD(struct cp_sysinfo_system, manufacturer, "Manufacturer: "),
	FIELD(struct cp_sysinfo_system, product, "Product Name: "),
	FIELD(struct cp_sysinfo_system, version, "Version: "),
	FIELD(struct cp_sysinfo_system, serial, "Serial Number: "),
	FIELD(struct cp_sysinfo_system, uuid, "UUID: "),
	FIELD(struct cp_sysinfo_system, sku, "SKU Number: "),
	FIELD(struct cp_sysinfo_system, family, "Family: "),
};
static const struct dmi_field board_fields[] = {
	FIELD(struct cp_sysinfo_board, manufacturer, "Manufacturer: "),
	FIELD(struct cp_sysinfo_board, product, "Product Name: "),
	FIELD(struct cp_sysinfo_board, version, "Version: "),
	FIELD(struct cp_sysinfo_board, serial, "Serial Number: "),
	FIELD(struct cp_sysinfo_board, asset, "Asset Tag: "),
	FIELD(struct cp_sysinfo_board, location, "Location In Chassis: "),
};
static const struct dmi_field chassis_fields[] = {
	FIELD(struct cp_sysinfo_chassis, manufacturer, "Manufacturer: "),
	FIELD(struct cp_sysinfo_chassis, version, "Version: "),
	FIELD(struct cp_sysinfo_chassis, serial, "Serial Number: "),
	FIELD(struct cp_sysinfo_chassis, asset, "Asset Tag: "),
	FIELD(struct cp_sysinfo_chassis, sku, "SKU Number: "),
};
static const struct dmi_field processor_fields[] = {
	FIELD(struct cp_sysinfo_processor, socket_destination, "Socket Designation: "),
	FIELD(struct cp_sysinfo_processor, type, "Type: "),
	FIELD(struct cp_sysinfo_processor, family, "Family: "),
	FIELD(struct cp_sysinfo_processor, manufacturer, "Manufacturer: "),
	FIELD(struct cp_sysinfo_processor, signature, "Signature: "),
	FIELD(struct cp_sysinfo_processor, version, "Version: "),
	FIELD(struct cp_sysinfo_processor, external_clock, "External Clock: "),
	FIELD(struct cp_sysinfo_processor, max_speed, "Max Speed: "),
	FIELD(struct cp_sysinfo_processor, status, "Status: "),
	FIELD(struct cp_sysinfo_processor, serial_number, "Serial Number: "),
	FIELD(struct cp_sysinfo_processor, part_number, "Part Number: "),
};
static const struct dmi_field memory_fields[] = {
	FIELD(struct cp_sysinfo_memory, size, "Size: "),
	FIELD(struct cp_sysinfo_memory, form_factor, "Form Factor: "),
	FIELD(struct cp_sysinfo_memory, locator, "Locator: "),
	FIELD(struct cp_sysinfo_memory, bank_locator, "Bank Locator: "),
	FIELD(struct cp_sysinfo_memory, type, "Type: "),
	FIELD(struct cp_sysinfo_memory, type_detail, "Type Detail: "),
	FIELD(struct cp_sysinfo_memory, speed, "Speed: "),
	FIELD(struct cp_sysinfo_memory, manufacturer, "Manufacturer: "),
	FIELD(struct cp_sysinfo_memory, serial_number, "Serial Number: "),
	FIELD(struct cp_sysinfo_memory, part_number, "Part Number: "),
};

/* An empty memory slot (libvirt compares as much of the value as there
 * is: a prefix matches too) leaves an entry with nothing in it. */
static bool empty_slot(const char *title)
{
	const char *sz = strstr(title, "Size: "), *eol = sz ? strchr(sz, '\n') : NULL;

	return sz && eol && strncmp(sz + 6, "No Module Installed", eol - sz - 6) == 0;
}

/* How libvirt keeps a section: the first one, dropped when all its fields
 * are missing (BIOS, system, chassis); every one (processors, memory
 * devices); every one with a field (base boards). */
enum dmi_kind { DMI_FIRST, DMI_EACH, DMI_EACH_FILLED };

static const struct dmi_section {
	const char *title;
	enum dmi_kind kind;
	const struct dmi_field *fields;
	size_t nfields, size;
	/* where in struct cp_sysinfo: the pointer, and for a list its count */
	size_t at, count;
	/* NULL, or whether the section at title leaves its fields unread */
	bool (*vacant)(const char *title);
} dmi_sections[] = {
#define SECTION(title, kind, fields, type, at, count, vacant) \
	{ title, kind, fields, NFIELDS(fields), sizeof(type), offsetof(struct cp_sysinfo, at), count, vacant }
	SECTION("BIOS Information", DMI_FIRST, bios_fields, struct cp_sysinfo_bios, bios, 0, NULL),
	SECTION("System Information", DMI_FIRST, system_fields, struct cp_sysinfo_system, system, 0, NULL),
	SECTION("Base Board Information", DMI_EACH_FILLED, board_fields, struct cp_sysinfo_board, boards,
		offsetof(struct cp_sysinfo, nboards), NULL),
	SECTION("Chassis Information", DMI_FIRST, chassis_fields, struct cp_sysinfo_chassis, chassis, 0, NULL),
	SECTION("Processor Information", DMI_EACH, processor_fields, struct cp_sysinfo_processor, processors,
		offsetof(struct cp_sysinfo, nprocessors), NULL),
	SECTION("Memory Device", DMI_EACH, memory_fields, struct cp_sysinfo_memory, memory,
		offsetof(struct cp_sysinfo, nmemory), empty_slot),
#undef SECTION
};

/* Fill the fields of sec found from base on into obj; false when all are
 * missing. */
static bool fill(const struct dmi_section *sec, const char *base, void *obj)
{
	for (size_t i = 0; i < sec->nfields; i++)
		*(char **)((char *)obj + sec->fields[i].off) = field(base, sec->fields[i].label);
	return !all_null(obj, sec->size);
}

static void parse(const char *text, struct cp_sysinfo *s)
{
	for (size_t k = 0; k < NFIELDS(dmi_sections); k++) {
		const struct dmi_section *sec = &dmi_sections[k];
		void **at = (void **)((char *)s + sec->at);
		size_t *count = (size_t *)((char *)s + sec->count);
		const char *cur = text;

		if (sec->kind == DMI_FIRST) {
			void *obj;

			if (!(cur = strstr(text, sec->title)))
				continue;
			obj = cp_calloc(1, sec->size);
			if (fill(sec, cur, obj))
				*at = obj;
			else
				free(obj);
			continue;
		}
		while ((cur = strstr(cur, sec->title))) {
			char *obj = cp_calloc(1, sec->size);
			bool filled = sec->vacant && sec->vacant(cur) ? false : fill(sec, cur, obj);

			cur += strlen(sec->title);
			if (sec->kind == DMI_EACH_FILLED && !filled) {
				free(obj);
				continue;
			}
			*at = cp_realloc(*at, (*count + 1) * sec->size);
			memcpy((char *)*at + *count * sec->size, obj, sec->size);
			(*count)++;
			free(obj);
		}
	}
}

int cp_probe_sysinfo(const struct cp_root *r, struct cp_sysinfo *out)
{
	char *ep = NULL, *table = NULL;
	size_t eplen, tlen;
	struct dmi t = { 0 };
	struct cp_buf text = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	/* libvirt runs dmidecode on these architectures only; the others'
	 * sysinfo comes from /proc/cpuinfo and /proc/sysinfo */
	char *machine = NULL;
	if ((rc = cp_host_machine(r, &machine)) < 0)
		return rc;
	const char *arch = cp_arch_from_uname(machine);
	static const char *const dmi_arches[] = { "x86_64", "i686", "riscv", "mips", "loongarch" };
	bool dmi = false;
	for (size_t i = 0; arch && i < sizeof(dmi_arches) / sizeof(dmi_arches[0]); i++)
		dmi = dmi || cp_startswith(arch, dmi_arches[i]);
	if (!dmi) {
		rc = cp_fail(-ENOTSUP, "sysinfo of a %s host (from /proc/cpuinfo in libvirt) is not supported",
			     arch ? arch : machine);
		free(machine);
		return rc;
	}
	free(machine);
	/* without tables dmidecode (and with it libvirt) finds nothing */
	if (cp_read(r, &ep, &eplen, DMI_DIR "/smbios_entry_point") < 0 ||
	    cp_read(r, &table, &tlen, DMI_DIR "/DMI") < 0 ||
	    !entry_point((const uint8_t *)ep, eplen, tlen, &t)) {
		rc = cp_fail(-ENOENT, NOT_AVAILABLE);
		goto out;
	}
	t.t = (const uint8_t *)table;
	if ((rc = walk(&t, decode_one, &text)) < 0)
		goto out;
	if (rc == 1)
		cp_buf_putc(&text, '\n');
	cp_buf_puts(&text, "");
	parse(text.s, out);
	rc = parse_oem(text.s, &t, out);
out:
	if (rc < 0)
		cp_sysinfo_free(out);
	cp_buf_free(&text);
	free(ep);
	free(table);
	return rc;
}
