/* Fuzz target: bybit_parse (the Bybit decoder over proto/json), its control
 * classification and scans: tests/fuzz_json_venue.h.
 * Seeds: tests/fuzz/bybit_parse/ (the golden messages of test_bybit_parse). */
#include "fuzz_json_venue.h"
#include "venue/bybit_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_json_venue v = {bybit_parse, bybit_control, bybit_scan_event_ms,
						 bybit_scan_stream};

	return fuzz_json_venue(data, size, &v);
}
