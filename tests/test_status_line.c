/* Tests for status_line: the exact escape sequences that reserve, draw and
 * release the bottom row, the cut to the terminal's width, and that a file
 * which is no terminal leaves it inactive (plain lines instead). */
#include "check.h"
#include "stats/status_line.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void reserve_sets_region_above_last_row(void)
{
	char b[128];
	size_t n = status_line_reserve_seq(b, sizeof(b), 24);

	CHECK(n == strlen(b));
	CHECKF(strcmp(b, "\n\0337\033[1;23r\0338\033[1A") == 0, "got %s", b + 1);
}

static void draw_goes_to_last_row_and_comes_back(void)
{
	char b[256];
	size_t n = status_line_draw_seq(b, sizeof(b), 24, 80, "[    1.0s] 50 msg/s");

	CHECK(n == strlen(b));
	CHECK(strcmp(b, "\0337\033[24;1H\033[2K[    1.0s] 50 msg/s\0338") == 0);
}

static void draw_cuts_to_width_minus_one(void)
{
	char b[256];

	status_line_draw_seq(b, sizeof(b), 10, 12, "0123456789abcdef");
	/* 11 columns: the 12th would wrap and scroll the whole screen */
	CHECKF(strcmp(b, "\0337\033[10;1H\033[2K0123456789a\0338") == 0, "got %s", b);
}

static void release_resets_region_and_clears(void)
{
	char b[128];

	status_line_release_seq(b, sizeof(b), 50);
	CHECK(strcmp(b, "\0337\033[r\033[50;1H\033[2K\0338") == 0);
}

static void small_buffer_is_cut_not_overrun(void)
{
	char b[8];
	size_t n = status_line_draw_seq(b, sizeof(b), 24, 80, "a long status line");

	CHECK(n == sizeof(b) - 1 && b[7] == 0);
}

static void not_a_terminal_stays_inactive(void)
{
	struct status_line sl;
	int fd = open("/dev/null", O_WRONLY);

	REQUIRE(fd >= 0);
	CHECK(status_line__open(&sl, fd) == -ENOTTY);
	CHECK(sl.rows == 0);
	status_line__draw(&sl, "x"); /* no-ops */
	status_line__close(&sl);
	close(fd);
}

int main(void)
{
	RUN(reserve_sets_region_above_last_row);
	RUN(draw_goes_to_last_row_and_comes_back);
	RUN(draw_cuts_to_width_minus_one);
	RUN(release_resets_region_and_clears);
	RUN(small_buffer_is_cut_not_overrun);
	RUN(not_a_terminal_stays_inactive);
	return check_exit();
}
