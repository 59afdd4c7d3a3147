/* iface — which interface a feed arrives on, and whether the fast path can
 * serve it there. */
#ifndef FEEDRX_IFACE_H
#define FEEDRX_IFACE_H

#include <net/if.h>
#include <stdbool.h>

/* Fill ifname[IF_NAMESIZE] with the interface of the route to host:port.
 * No packet is sent. 0 or a negative errno (-ENXIO: host does not resolve). */
int iface_route_to(const char *host, const char *port, char *ifname);

/* Whether ifname is a loopback device (the fast path cannot serve one). */
bool iface_is_loopback(const char *ifname);

#endif
