/* venue — the table of built-in venues (see venue.h). */
#include "venue.h"

#include <string.h>

const struct venue *const venues[] = {
    &venue_binance,
    &venue_binance_usdm,
    &venue_binance_sbe,
    &venue_okx,
    &venue_bybit,
    &venue_bybit_linear,
    &venue_bybit_inverse,
    NULL,
};

const struct venue *venue_find(const struct venue *const *table, const char *name)
{
	for (; *table; table++)
		if (strcmp((*table)->name, name) == 0)
			return *table;
	return NULL;
}
