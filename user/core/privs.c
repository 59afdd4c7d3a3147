/* privs — capability checks and dropping through the raw syscalls. */
#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int privs_capget(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int privs_capset(const struct privs_caps *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2] = {
	    {(uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable},
	    {(uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
	     (uint32_t)(c->inheritable >> 32)},
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int privs_get(struct privs_caps *c)
{
	struct __user_cap_data_struct d[2] = {{0}};
	int err = privs_capget(d);

	if (err)
		return err;
	c->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	c->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

const char *privs_name(int cap)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = {
	    {CAP_NET_ADMIN, "CAP_NET_ADMIN"}, {CAP_NET_RAW, "CAP_NET_RAW"},
	    {CAP_IPC_LOCK, "CAP_IPC_LOCK"},   {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
	    {CAP_PERFMON, "CAP_PERFMON"},     {CAP_BPF, "CAP_BPF"},
	};
	static char other[16];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].cap == cap)
			return names[i].name;
	snprintf(other, sizeof(other), "CAP_%d", cap);
	return other;
}

const char *privs_missing_xdp(void)
{
	/* measured on 6.18 (README, Requirements): the program load needs
	 * CAP_BPF and CAP_PERFMON (the verifier refuses our pointer arithmetic
	 * without the latter), the attach, the XSKMAP and TUNSETIFF
	 * CAP_NET_ADMIN, the AF_XDP socket CAP_NET_RAW */
	static const int need[] = {CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW};
	struct privs_caps c;

	if (privs_get(&c))
		return NULL; /* cannot tell: let the set-up itself say what failed */
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		if (c.effective & PRIVS_BIT(need[i]))
			continue;
		if ((need[i] == CAP_BPF || need[i] == CAP_PERFMON) &&
		    (c.effective & PRIVS_BIT(CAP_SYS_ADMIN)))
			continue;
		return privs_name(need[i]);
	}
	return NULL;
}

int privs_drop(uint64_t keep)
{
	struct privs_caps c;
	int err = privs_get(&c);

	if (err)
		return err;
	/* ambient first: it may only hold what stays permitted and inheritable */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	c.permitted &= keep;
	c.effective = 0;
	c.inheritable = 0;
	err = privs_capset(&c);
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

int privs_raise(int cap)
{
	struct privs_caps c;
	int err = privs_get(&c);

	if (err)
		return err;
	if (!(c.permitted & PRIVS_BIT(cap)))
		return -EPERM;
	c.effective |= PRIVS_BIT(cap);
	return privs_capset(&c);
}
