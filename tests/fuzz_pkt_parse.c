/* Fuzz target: pkt_parse. Input: a 16-bit filler length, then the start of
 * an Ethernet frame; the frame is that start followed by the filler bytes,
 * in an exactly-sized heap block, so that short inputs can describe the
 * 64 KiB packets whose lengths overflow 16-bit arithmetic. Checked: the TCP
 * payload lies inside the IP packet, which lies inside the frame. */
#include "fuzz.h"

#include "core/fx_err.h"
#include "fast/pkt_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	size_t fill = fz_u16(&f), head, n;
	const uint8_t *h = fz_bytes(&f, f.n, &head);
	struct pkt_tcp t;
	uint8_t *frame;
	int rc, l3;

	n = head + fill;
	frame = malloc(n);
	if (!frame && n)
		abort();
	if (head)
		memcpy(frame, h, head);
	memset(frame + head, 0xa5, fill);

	rc = pkt_parse_tcp(frame, n, &t);
	l3 = pkt_parse_l3_offset(frame, n);
	FUZZ_ASSERT(fx_strerror(rc) != NULL);
	if (rc == PKT_OK) {
		const uint8_t *ip = frame + t.l3_off, *end = frame + n;

		FUZZ_ASSERT(l3 == t.l3_off && (l3 == 14 || l3 == 18));
		FUZZ_ASSERT(t.key.family == FX_FAMILY_IPV4 || t.key.family == FX_FAMILY_IPV6);
		FUZZ_ASSERT(t.l3_len <= (size_t)(end - ip));
		FUZZ_ASSERT(t.l3_len <= (t.key.family == FX_FAMILY_IPV4 ? 65535u : 65575u));
		FUZZ_ASSERT(t.payload >= ip + 40 && t.payload <= ip + t.l3_len);
		/* the payload ends where the IP packet does (padding is not payload) */
		FUZZ_ASSERT(t.payload + t.payload_len == ip + t.l3_len);
		FUZZ_ASSERT((t.flags & ~0x3f) == 0);
	} else {
		FUZZ_ASSERT(rc >= PKT_E_MALFORMED && rc < 0);
	}
	free(frame);
	return 0;
}
