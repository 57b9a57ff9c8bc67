#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/kvm.h>
#endif

#include "util/hostdev.h"

#define KVM_DEVICE "/dev/kvm"
#define MSR_DEVICE "/dev/cpu/0/msr"

int cp_hostdev_kvm_usable(void *arg, char **text)
{
	int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

	(void)arg;
	if (fd >= 0)
		close(fd);
	*text = cp_asprintf("%d\n", fd >= 0);
	return 0;
}

int cp_hostdev_kvm_max_vcpus(void *arg, char **text)
{
#if defined(__linux__) && defined(KVM_CHECK_EXTENSION) && defined(KVM_CAP_MAX_VCPUS)
	int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC), n;

	(void)arg;
	if (fd < 0)
		return -errno;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4;
	close(fd);
	*text = cp_asprintf("%d\n", n);
	return 0;
#else
	(void)arg;
	(void)text;
	return -ENOTSUP;
#endif
}

int cp_hostdev_kvm_ppc_smt(void *arg, char **text)
{
	(void)arg;
#if defined(__linux__) && defined(KVM_CHECK_EXTENSION) && defined(KVM_CAP_PPC_SMT)
	int fd, n;

	/* no KVM (a guest, no module): no subcores to count */
	if (access(KVM_DEVICE, F_OK) < 0 && errno == ENOENT) {
		*text = cp_strdup("0\n");
		return 0;
	}
	if ((fd = open(KVM_DEVICE, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SMT);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	*text = cp_asprintf("%d\n", n);
	return 0;
#else
	*text = cp_strdup("0\n");
	return 0;
#endif
}

int cp_hostdev_kvm_tsc(void *arg, char **text)
{
#if defined(__linux__) && defined(KVM_GET_TSC_KHZ) && defined(KVM_CAP_TSC_CONTROL)
	int kvm, vm = -1, vcpu = -1, khz, cap, rc = -ENODEV;

	(void)arg;
	kvm = open(KVM_DEVICE, O_RDONLY | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm >= 0)
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu >= 0 && (khz = ioctl(vcpu, KVM_GET_TSC_KHZ)) > 0 &&
	    (cap = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL)) >= 0) {
		*text = cp_asprintf("%llu %s\n", (unsigned long long)khz * 1000, cap ? "yes" : "no");
		rc = 0;
	}
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return rc;
#else
	(void)arg;
	(void)text;
	return -ENOTSUP;
#endif
}

/* *fd, opened on first use; a failed open is not tried again. */
static int lazy_open(int *fd, const char *path)
{
	if (*fd == -1) {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			*fd = -2;
	}
	return *fd;
}

/* KVM's feature-MSR query on the system fd: its answer for a host-level
 * MSR, zero-filled when KVM does not know it, as libvirt reads it. */
static int msr_read_kvm(struct cp_hostdev_msr *d, uint32_t index, uint64_t *val)
{
#if defined(__linux__) && defined(KVM_GET_MSRS) && (defined(__i386__) || defined(__x86_64__))
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} q;

	if (lazy_open(&d->kvm_fd, KVM_DEVICE) < 0)
		return -ENODEV;
	memset(&q, 0, sizeof(q));
	q.hdr.nmsrs = 1;
	q.entry.index = index;
	if (ioctl(d->kvm_fd, KVM_GET_MSRS, &q) < 0)
		return -errno;
	*val = q.entry.data;
	return 0;
#else
	(void)d;
	(void)index;
	(void)val;
	return -ENOTSUP;
#endif
}

int cp_hostdev_msr_read(struct cp_hostdev_msr *d, uint32_t index, uint64_t *val)
{
	if (lazy_open(&d->msr_fd, MSR_DEVICE) >= 0) {
		ssize_t n = pread(d->msr_fd, val, sizeof(*val), index);

		if (n == (ssize_t)sizeof(*val))
			return 0;
		/* the CPU lacks it: KVM would only make one up */
		if (n < 0 && errno == EIO)
			return -EIO;
	}
	return msr_read_kvm(d, index, val);
}

void cp_hostdev_msr_close(struct cp_hostdev_msr *d)
{
	if (d->msr_fd >= 0)
		close(d->msr_fd);
	if (d->kvm_fd >= 0)
		close(d->kvm_fd);
	d->msr_fd = d->kvm_fd = -1;
}
