#!/usr/bin/python3
"""wsserver.py — an independent TLS WebSocket server (Debian's python3-websockets)
for feedrx's kernel-path tests: a second implementation next to feedsim, and
the source of what feedsim does not send (fragmented messages, server pings,
close codes, a non-101 answer).

  wsserver.py --cert C --key K --host H [--host H2] --port P [--log FILE] [--tls 1.2|1.3]

Paths:
  /ws/<stream>?n=N[&frag=1][&ping=1][&close=CODE]
      N trade messages (JSON, last field "ts_ns"), logged one per line to --log
      (which each new connection truncates);
      frag=1 sends every 3rd message in 3 fragments; ping=1 pings before each
      10th message; close=CODE closes with CODE after the last one (else the
      connection stays open, silent).
  A {"method":"SUBSCRIBE",...,"id":I} from the client is answered with
  {"result":null,"id":I} before any data message.
  Any other path: 404 Not Found.
"""
import argparse
import asyncio
import http
import json
import ssl
import sys
import time
import urllib.parse

import websockets


def trade(i):
    return ('{"e":"trade","E":%d,"s":"BTCUSDT","t":%d,"p":"%d.%02d","q":"0.0%02d",'
            '"m":%s,"ts_ns":%d}' % (1700000000000 + i, i, 30000 + i % 97, i % 100, i % 89,
                                    "true" if i % 2 else "false", time.monotonic_ns()))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--host", action="append", required=True,
                    help="address to listen on (repeatable)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log")
    ap.add_argument("--tls", choices=["1.2", "1.3"])
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif a.tls == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    log = open(a.log, "w") if a.log else None

    async def process_request(path, headers):
        if not path.startswith("/ws/"):
            return http.HTTPStatus.NOT_FOUND, [], b"not found\n"
        return None

    async def handler(ws, path):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        n = int(q.get("n", ["10"])[0])
        frag = q.get("frag", ["0"])[0] == "1"
        ping = q.get("ping", ["0"])[0] == "1"
        close = int(q.get("close", ["0"])[0])
        if log:  # the log holds the latest connection's messages only
            log.seek(0)
            log.truncate()
        try:
            first = await asyncio.wait_for(ws.recv(), 0.3)
            req = json.loads(first)
            if req.get("method") == "SUBSCRIBE":
                await ws.send('{"result":null,"id":%d}' % req["id"])
        except (asyncio.TimeoutError, ValueError):
            pass
        for i in range(n):
            m = trade(i)
            if log:
                log.write(m + "\n")
            if ping and i % 10 == 0:
                await ws.ping(b"hello %d" % i)
            if frag and i % 3 == 0:
                await ws.send([m[:5], m[5:9], m[9:]])
            else:
                await ws.send(m)
        if log:
            log.flush()
        if close:
            await ws.close(close, "bye")
        else:
            await ws.wait_closed()

    async with websockets.serve(handler, a.host, a.port, ssl=ctx,
                                process_request=process_request,
                                max_size=None, ping_interval=None):
        print("listening", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
