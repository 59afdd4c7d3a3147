/* secmem — memory for key material: whole pages of their own, marked
 * MADV_DONTDUMP (left out of core dumps) and MADV_WIPEONFORK (a child sees
 * zeros), wiped before they are unmapped.
 *
 * For objects made once per connection (tls_keys, tls_record), never per
 * message: each allocation is an mmap. */
#ifndef FEEDRX_SECMEM_H
#define FEEDRX_SECMEM_H

#include <stddef.h>

/* n zeroed bytes on pages of their own, or NULL (errno set). */
void *secmem_alloc(size_t n);

/* Wipe and unmap what secmem_alloc(n) returned. NULL-safe. */
void secmem_free(void *p, size_t n);

#endif
