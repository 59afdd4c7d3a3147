/* Fuzz target: okx_parse (the OKX decoder over proto/json), its control
 * classification and scans: tests/fuzz_json_venue.h.
 * Seeds: tests/fuzz/okx_parse/ (the golden messages of test_okx_parse). */
#include "fuzz_json_venue.h"
#include "venue/okx_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_json_venue v = {okx_parse, okx_control, okx_scan_event_ms,
						 okx_scan_stream};

	return fuzz_json_venue(data, size, &v);
}
