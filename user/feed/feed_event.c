/* feed_event — names of the normalized event types and statuses. */
#include "feed_event.h"

#include "core/util.h"

const char *feed_event_type_name(enum feed_event_type t)
{
	static const char *const names[FEED_EV__MAX] = {
		[FEED_EV_TRADE] = "trade", [FEED_EV_BBO] = "bbo", [FEED_EV_BOOK] = "book",
		[FEED_EV_TOP] = "top",     [FEED_EV_STATUS] = "status",
	};
	return (unsigned)t < ARRAY_SIZE(names) && names[t] ? names[t] : "unknown";
}

const char *feed_status_name(enum feed_status s)
{
	static const char *const names[FEED_STATUS__MAX] = {
		[FEED_STATUS_CONNECTED] = "connected",
		[FEED_STATUS_DISCONNECTED] = "disconnected",
		[FEED_STATUS_GAP] = "gap",
		[FEED_STATUS_BOOK_INVALID] = "book_invalid",
		[FEED_STATUS_RESYNCED] = "resynced",
		[FEED_STATUS_ROTATED] = "rotated",
		[FEED_STATUS_STALE] = "stale",
	};
	return (unsigned)s < ARRAY_SIZE(names) && names[s] ? names[s] : "unknown";
}
