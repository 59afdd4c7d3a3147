/* ws_proto — the close-code rule of RFC 6455 §7.4 (see ws_proto.h). */
#include "ws_proto.h"

bool ws_close_code_valid(uint16_t code)
{
	if (code >= 1000 && code <= 1003)
		return true;
	if (code >= 1007 && code <= 1014)
		return true;
	return code >= 3000 && code <= 4999;
}
