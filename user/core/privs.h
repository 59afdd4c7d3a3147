/* privs — the process's capabilities: what XDP set-up needs, and dropping
 * them once it is done (docs/ARCHITECTURE.md §9).
 *
 * Raw capget/capset (no libcap): three 64-bit masks, bit n = capability n.
 * Dropping clears the ambient set and the inheritable set, keeps in the
 * permitted set only what the caller names (nothing is left effective) and
 * sets PR_SET_NO_NEW_PRIVS, so no exec can give anything back. */
#ifndef FEEDRX_PRIVS_H
#define FEEDRX_PRIVS_H

#include <stdint.h>

#define PRIVS_BIT(cap) (UINT64_C(1) << (cap))

struct privs_caps {
	uint64_t effective, permitted, inheritable;
};

/* The calling thread's sets. 0 or -errno. */
int privs_get(struct privs_caps *c);

/* The first capability XDP set-up needs and the effective set lacks, as its
 * name ("CAP_NET_ADMIN"), or NULL when all are there. CAP_SYS_ADMIN stands
 * in for CAP_BPF and CAP_PERFMON (kernels before 5.8 know only it). */
const char *privs_missing_xdp(void);

/* Drop every capability except keep (a PRIVS_BIT mask), which stays
 * permitted but not effective; set PR_SET_NO_NEW_PRIVS. 0 or -errno. */
int privs_drop(uint64_t keep);

/* Make cap effective again (it must still be permitted). 0 or -errno. */
int privs_raise(int cap);

/* "CAP_NET_ADMIN" for a capability number, "CAP_<n>" for an unknown one
 * (in a static buffer). */
const char *privs_name(int cap);

#endif
