/* net_testlib.h — helpers for the tests of the loop's network clients
 * (resolve, kconn over a fake DNS, https_get): a self-signed server
 * certificate written to a temporary CA file, and a tiny fake DNS server
 * on 127.0.0.1 in a forked child whose answers the test controls.
 * Header-only (static functions), tests only. */
#ifndef FEEDRX_TESTS_NET_TESTLIB_H
#define FEEDRX_TESTS_NET_TESTLIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ---- certificate ---------------------------------------------------------- */

/* A self-signed CA:TRUE certificate for san ("DNS:x,IP:127.0.0.1") loaded
 * into ctx and written to cafile (a mkstemp template, filled in). */
static inline int nt_make_cert(SSL_CTX *ctx, const char *san, char *cafile)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *f;
	int fd, ok = 0;

	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	if (!SSL_CTX_use_certificate(ctx, x) || !SSL_CTX_use_PrivateKey(ctx, key))
		goto out;
	fd = mkstemp(cafile);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	ok = f && PEM_write_X509(f, x);
	if (f)
		fclose(f);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

/* ---- fake DNS server -------------------------------------------------------- *
 * Names it knows (anything else: NXDOMAIN):
 *   fast.test   A 127.0.0.1 at once (AAAA: no data)
 *   slow.test   held until the test sends "RELEASE", then like fast.test
 *   hang.test   never answered
 *   v6.test     AAAA ::1 (A: no data)
 *   fail.test   SERVFAIL
 *   nx.test     NXDOMAIN                                                          */

struct nt_dns {
	pid_t pid;
	uint16_t port;
	int ctl;	  /* the test's socket for RELEASE */
	char servers[64]; /* "127.0.0.1:port" for resolve_opts.servers */
};

#define NT_DNS_HELD 32

struct nt_dns__held {
	struct sockaddr_in from;
	uint8_t q[512];
	size_t n;
};

/* The question's name as "a.b.c" and the offset after qtype/qclass. */
static inline int nt_dns__qname(const uint8_t *q, size_t n, char *name, size_t cap, size_t *end,
				uint16_t *qtype)
{
	size_t o = 12, w = 0;

	if (n < 12)
		return -1;
	while (o < n && q[o]) {
		size_t l = q[o++];
		if (l > 63 || o + l > n || w + l + 2 > cap)
			return -1;
		if (w)
			name[w++] = '.';
		memcpy(name + w, q + o, l);
		w += l;
		o += l;
	}
	name[w] = 0;
	if (o + 5 > n)
		return -1;
	*qtype = (uint16_t)(q[o + 1] << 8 | q[o + 2]);
	*end = o + 5;
	return 0;
}

static inline void nt_dns__answer(int fd, const struct sockaddr_in *to, const uint8_t *q, size_t n)
{
	uint8_t r[600];
	char name[256];
	size_t end, o;
	uint16_t qtype;
	int rcode = 0, an = 0;
	uint8_t rdata[16];
	size_t rdlen = 0;

	if (nt_dns__qname(q, n, name, sizeof(name), &end, &qtype) || end > 512)
		return;
	if (!strcmp(name, "fast.test") || !strcmp(name, "slow.test")) {
		if (qtype == 1) {
			inet_pton(AF_INET, "127.0.0.1", rdata);
			rdlen = 4;
			an = 1;
		}
	} else if (!strcmp(name, "v6.test")) {
		if (qtype == 28) {
			inet_pton(AF_INET6, "::1", rdata);
			rdlen = 16;
			an = 1;
		}
	} else if (!strcmp(name, "fail.test")) {
		rcode = 2;
	} else {
		rcode = 3;
	}
	memcpy(r, q, end);
	r[2] = 0x81 | (q[2] & 0x01);	/* QR, RD copied */
	r[3] = (uint8_t)(0x80 | rcode); /* RA */
	r[4] = 0, r[5] = 1;
	r[6] = 0, r[7] = (uint8_t)an;
	r[8] = r[9] = r[10] = r[11] = 0;
	o = end;
	if (an) {
		uint8_t rr[] = {0xc0, 0x0c, 0, (uint8_t)qtype, 0, 1, 0, 0,
				0,    60,   0, (uint8_t)rdlen};
		memcpy(r + o, rr, sizeof(rr));
		o += sizeof(rr);
		memcpy(r + o, rdata, rdlen);
		o += rdlen;
	}
	sendto(fd, r, o, 0, (const struct sockaddr *)to, sizeof(*to));
}

static inline void nt_dns__serve(int fd)
{
	static struct nt_dns__held held[NT_DNS_HELD];
	size_t nheld = 0;
	uint8_t q[512];
	char name[256];
	size_t end;
	uint16_t qtype;

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (n >= 7 && !memcmp(q, "RELEASE", 7)) {
			for (size_t i = 0; i < nheld; i++)
				nt_dns__answer(fd, &held[i].from, held[i].q, held[i].n);
			nheld = 0;
			sendto(fd, "OK", 2, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		if (nt_dns__qname(q, (size_t)n, name, sizeof(name), &end, &qtype))
			continue;
		if (!strcmp(name, "hang.test"))
			continue;
		if (!strcmp(name, "slow.test")) {
			if (nheld < NT_DNS_HELD) {
				held[nheld].from = from;
				memcpy(held[nheld].q, q, (size_t)n);
				held[nheld].n = (size_t)n;
				nheld++;
			}
			continue;
		}
		nt_dns__answer(fd, &from, q, (size_t)n);
	}
}

static inline int nt_dns_start(struct nt_dns *d)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(d, 0, sizeof(*d));
	d->ctl = -1;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	d->port = ntohs(a.sin_port);
	snprintf(d->servers, sizeof(d->servers), "127.0.0.1:%u", d->port);
	fflush(NULL);
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0)
		nt_dns__serve(fd);
	close(fd);
	d->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->ctl < 0 || connect(d->ctl, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return 0;
}

/* Answer every held slow.test query now; waits for the server's OK. */
static inline int nt_dns_release(struct nt_dns *d)
{
	char ok[4];
	struct pollfd p = {.fd = d->ctl, .events = POLLIN};

	if (send(d->ctl, "RELEASE", 7, 0) != 7)
		return -1;
	if (poll(&p, 1, 5000) != 1)
		return -1;
	return recv(d->ctl, ok, sizeof(ok), 0) == 2 ? 0 : -1;
}

static inline void nt_dns_stop(struct nt_dns *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	if (d->ctl >= 0)
		close(d->ctl);
	d->ctl = -1;
}

#endif
