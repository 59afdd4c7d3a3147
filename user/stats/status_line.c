/* status_line — a status row at the bottom of a terminal (see the header). */
#include "status_line.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ESC "\033"
#define SEQ_MAX 1024

static size_t clamp_len(int n, size_t size)
{
	if (n < 0 || size == 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* A newline first makes room when the cursor is on the last row (the screen
 * scrolls by one); setting the region homes the cursor, so it is saved and
 * restored around it, and then moved back up to the row it was on. */
size_t status_line_reserve_seq(char *buf, size_t size, unsigned int rows)
{
	return clamp_len(snprintf(buf, size, "\n" ESC "7" ESC "[1;%ur" ESC "8" ESC "[1A",
				  rows - 1),
			 size);
}

size_t status_line_draw_seq(char *buf, size_t size, unsigned int rows, unsigned int cols,
			    const char *text)
{
	/* one column short of the width: writing the last column would wrap */
	int width = cols > 1 ? (int)cols - 1 : 1;

	return clamp_len(snprintf(buf, size, ESC "7" ESC "[%u;1H" ESC "[2K%.*s" ESC "8", rows,
				  width, text),
			 size);
}

size_t status_line_release_seq(char *buf, size_t size, unsigned int rows)
{
	return clamp_len(snprintf(buf, size, ESC "7" ESC "[r" ESC "[%u;1H" ESC "[2K" ESC "8", rows),
			 size);
}

static void put(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a status line is not worth an error */
		buf += w;
		n -= (size_t)w;
	}
}

/* The terminal's size, or 0 rows when fd is none (or too small). */
static void term_size(int fd, unsigned int *rows, unsigned int *cols)
{
	struct winsize ws;

	*rows = *cols = 0;
	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) || ws.ws_row < 3 || ws.ws_col < 10)
		return;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

int status_line__open(struct status_line *sl, int fd)
{
	char buf[SEQ_MAX];

	sl->fd = fd;
	term_size(fd, &sl->rows, &sl->cols);
	if (!sl->rows)
		return -ENOTTY;
	put(fd, buf, status_line_reserve_seq(buf, sizeof(buf), sl->rows));
	return 0;
}

void status_line__draw(struct status_line *sl, const char *text)
{
	char buf[SEQ_MAX];
	unsigned int rows, cols;
	size_t n = 0;

	if (!sl->rows)
		return;
	term_size(sl->fd, &rows, &cols);
	if (!rows)
		return;
	/* resized: the old region and row are wrong; set them up again */
	if (rows != sl->rows) {
		n = status_line_release_seq(buf, sizeof(buf), sl->rows);
		n += status_line_reserve_seq(buf + n, sizeof(buf) - n, rows);
		sl->rows = rows;
	}
	sl->cols = cols;
	n += status_line_draw_seq(buf + n, sizeof(buf) - n, sl->rows, sl->cols, text);
	put(sl->fd, buf, n);
}

void status_line__close(struct status_line *sl)
{
	char buf[SEQ_MAX];

	if (!sl->rows)
		return;
	put(sl->fd, buf, status_line_release_seq(buf, sizeof(buf), sl->rows));
	sl->rows = 0;
}
