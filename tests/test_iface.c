/* Tests for iface: the route's interface and loopback detection, on the
 * loopback addresses every machine has (no packet is sent). */
#include <net/if.h>

#include "check.h"
#include "fast/iface.h"

static void route_to_loopback_is_lo(void)
{
	char ifname[IF_NAMESIZE] = "";

	REQUIRE(iface_route_to("127.0.0.1", "9443", ifname) == 0);
	CHECKF(iface_is_loopback(ifname), "route to 127.0.0.1 via %s", ifname);
	ifname[0] = 0;
	if (iface_route_to("::1", "9443", ifname) == 0)
		CHECKF(iface_is_loopback(ifname), "route to ::1 via %s", ifname);
}

static void loopback_detection(void)
{
	CHECK(iface_is_loopback("lo"));
	CHECK(!iface_is_loopback("nosuchdev0"));
	CHECK(!iface_is_loopback(""));
}

int main(void)
{
	RUN(route_to_loopback_is_lo);
	RUN(loopback_detection);
	return check_exit();
}
