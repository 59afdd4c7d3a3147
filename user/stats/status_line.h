/* status_line — keep one line at the bottom of a terminal for a status that
 * is redrawn in place (feedrx --stats' live line), while everything else
 * scrolls above it: the terminal's scroll region is set to all rows but the
 * last (DECSTBM), and the status is drawn on the last row with the cursor
 * saved and restored around it (DECSC/DECRC). Only for a terminal; callers
 * print plain lines otherwise. No allocation; each update is one write(). */
#ifndef FEEDRX_STATUS_LINE_H
#define FEEDRX_STATUS_LINE_H

#include <stddef.h>

struct status_line {
	int fd;
	unsigned int rows, cols; /* rows == 0: not active */
};

/* Reserve the bottom row of the terminal on fd: 0, or -ENOTTY when fd is no
 * terminal (or one too small to spare a row); sl is then inactive. */
int status_line__open(struct status_line *sl, int fd);
/* Show text (one line; cut to the terminal's width) on the reserved row.
 * Follows a resize of the terminal. */
void status_line__draw(struct status_line *sl, const char *text);
/* Clear the row and give the whole terminal back. Idempotent. */
void status_line__close(struct status_line *sl);

/* The escape sequences themselves, into buf (NUL-terminated, cut to size):
 * their length. Exposed for the unit test. */
size_t status_line_reserve_seq(char *buf, size_t size, unsigned int rows);
size_t status_line_draw_seq(char *buf, size_t size, unsigned int rows, unsigned int cols,
			    const char *text);
size_t status_line_release_seq(char *buf, size_t size, unsigned int rows);

#endif
