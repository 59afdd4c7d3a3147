/* fx_api — the version of the events API this library was built with
 * (include/feedrx.h: FEEDRX_API_VERSION), for programs to check at run
 * time against the header they were compiled with. */
#include "feedrx.h"

int feedrx_api_version(void)
{
	return FEEDRX_API_VERSION;
}
