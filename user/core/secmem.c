/* secmem — page-backed allocations kept out of core dumps. */
#include "secmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t secmem_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

void *secmem_alloc(size_t n)
{
	size_t len = secmem_round(n ? n : 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		return NULL;
	/* Without DONTDUMP the promise is not kept: refuse rather than
	 * hand out memory that would land in a core file. WIPEONFORK is a
	 * bonus (4.14+), its absence is not an error. */
	if (madvise(p, len, MADV_DONTDUMP)) {
		err = errno;
		munmap(p, len);
		errno = err;
		return NULL;
	}
#ifdef MADV_WIPEONFORK
	(void)madvise(p, len, MADV_WIPEONFORK);
#endif
	return p;
}

void secmem_free(void *p, size_t n)
{
	size_t len;

	if (!p)
		return;
	len = secmem_round(n ? n : 1);
	explicit_bzero(p, len);
	munmap(p, len);
}
