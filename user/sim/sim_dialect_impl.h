/* sim_dialect_impl — what the dialects (sim_okx.c, sim_bybit.c) share: a
 * connection's state (the stream map, the parser for feedgen's messages,
 * the drop generator) and a bounded text writer. Internal to user/sim. */
#ifndef FEEDRX_SIM_DIALECT_IMPL_H
#define FEEDRX_SIM_DIALECT_IMPL_H

#include "sim_dialect.h"

#include "proto/json.h"
#include "venue/binance_parse.h"

#define SIM_D_TOKS 2048   /* a feedgen depth message: 3 per level, 512 levels */
#define SIM_D_LEVELS 1024
#define SIM_D_RTOKS 1100  /* a client request */

struct sim_dstream {
	char name[72];               /* as the client named it */
	char inst[40];               /* OKX instId / Bybit symbol, as sent */
	char gen[FEEDGEN_NAME_MAX];  /* feedgen's stream */
	char upper[FEEDGEN_SYMBOL_MAX + 1]; /* feedgen's payload symbol */
	uint8_t kind;                /* enum feedgen_kind */
	bool snap_done;              /* the snapshot went out */
	uint64_t u;                  /* Bybit's per-topic update id */
};

struct sim_dconn {
	const struct sim_dialect *d;
	struct sim_dialect_conf conf;
	unsigned id;
	int category;                /* Bybit: 0 spot, 1 linear, 2 inverse */
	char conn_id[24];
	uint64_t rng;
	struct binance_parser bp;
	struct json_tok toks[SIM_D_TOKS];
	struct feed_level levels[SIM_D_LEVELS];
	struct json_tok rtoks[SIM_D_RTOKS];
	unsigned n;
	struct sim_dstream s[SIM_DIALECT_MAX_STREAMS];
};

int sim_dconn_new(struct sim_dconn **out, const struct sim_dialect *d,
		  const struct sim_dialect_conf *conf, unsigned conn_id);
void sim_dconn_free(struct sim_dconn *c);

/* Streams: by the client's name, or by feedgen's kind and payload symbol. */
struct sim_dstream *sim_dstream_by_name(struct sim_dconn *c, const char *name, size_t n);
struct sim_dstream *sim_dstream_by_gen(struct sim_dconn *c, unsigned kind, const char *upper,
				       size_t n);
/* feedgen's message in (Binance's shape) parsed into m, and the client's
 * stream it belongs to (*kind: its enum feedgen_kind); NULL with *err
 * -EINVAL (not a trade, bookTicker or depth) or -ENOENT (not subscribed). */
struct sim_dstream *sim_dstream_of_msg(struct sim_dconn *c, const char *in, size_t n,
				       struct feed_msg *m, unsigned *kind, int *err);
/* Map a venue stream to feedgen's <sym>@<suffix> and subscribe g: 0, 1 when
 * it was subscribed already, or negative (a bad symbol, too many). */
int sim_dstream_add(struct sim_dconn *c, struct feedgen *g, const char *name, size_t nlen,
		    const char *inst, size_t ilen, unsigned kind);
/* Unsubscribe: 0, or 1 when it was not subscribed. */
int sim_dstream_del(struct sim_dconn *c, struct feedgen *g, const char *name, size_t nlen);
/* feedgen's symbol for a venue's (letters and digits kept, lowercased;
 * '-', '_', '/' dropped): its length, or 0 when it is not one. */
size_t sim_dsymbol(const char *inst, size_t n, char *out);
/* --drop-diff: whether to drop this book update. */
bool sim_ddrop(struct sim_dconn *c);

/* A bounded writer: once over, everything is ignored and w.over is set. */
struct wbuf {
	char *p, *end;
	bool over;
};

void w_mem(struct wbuf *w, const char *s, size_t n);
void w_str(struct wbuf *w, const char *s);
void w_u64(struct wbuf *w, uint64_t v);
void w_i64(struct wbuf *w, int64_t v);
/* 1e-8 units as a decimal without trailing zeros ("37000.12", "1"). */
void w_dec(struct wbuf *w, int64_t v);
/* The level arrays, each [px, qty(, extra)]; skip_zero for snapshots. */
void w_levels(struct wbuf *w, const struct feed_level *lv, uint32_t n, const char *extra,
	      bool skip_zero);
/* ,"ts_ns":N} closing the top-level object (or just } without one). */
void w_tail(struct wbuf *w, const struct feed_msg *m);

#endif
