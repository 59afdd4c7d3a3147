#!/usr/bin/env bash
# it_rest — the REST client (tests/tool_https_get: rest/https_get behind
# rest/rest_pacer) across the namespace pair against an independent HTTPS
# server, `openssl s_server -www` (HTTP/1.x, a body read until close):
# certificate and host name verified, a name from the namespace's hosts
# file through c-ares, several GETs paced, through an HTTP CONNECT proxy
# (tinyproxy), and the clear error for an unknown CA. feedsim's own
# snapshot endpoints (h1 and h2) are the integration test's next step.
source "$(dirname "$0")/lib.sh"
NAME=it_rest
GET=$BUILD/tests/tool_https_get
[[ -x $GET ]] || { fail $NAME "build $GET first"; exit 1; }
command -v openssl >/dev/null || { skip $NAME "openssl not installed"; exit 0; }
it_setup $NAME

ETC_RX=/etc/netns/$NS_RX
mkdir -p "$ETC_RX"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$ETC_RX/resolv.conf"
printf '%s feedsim.test\n127.0.0.1 localhost\n' "$NETNS_EX_IP4" >"$ETC_RX/hosts"
trap 'rm -rf "$ETC_RX"; lib__cleanup' EXIT

PORT=9700
ip netns exec "$NS_EX" openssl s_server -quiet -www -accept "$NETNS_EX_IP4:$PORT" \
  -cert "$CERTS/server.pem" -key "$CERTS/server.key" >"$TMP/s_server.out" 2>&1 &
netns_track $!
wait_listen "$NS_EX" $PORT || { fail $NAME "openssl s_server did not listen"; exit 1; }

get() { ip netns exec "$NS_RX" timeout 60 "$GET" "$@"; }

# every answer a 200 with openssl's status page, one line per GET
get --cafile "$CERTS/ca.pem" --repeat 4 "https://feedsim.test:$PORT" / /api/v3/depth \
  >"$TMP/plain.out" 2>"$TMP/plain.err"
rc=$?
if [[ $rc -eq 0 && $(grep -c '^/ 200 [0-9]* http/1.1$' "$TMP/plain.out") -eq 4 &&
      $(grep -c '^/api/v3/depth 200 [0-9]* http/1.1$' "$TMP/plain.out") -eq 4 ]]; then
  pass rest_s_server_h1
else fail rest_s_server_h1 "rc=$rc: $(head -c 300 "$TMP/plain.out") $(head -c 300 "$TMP/plain.err")"; fi

# the body is the server's, whole (it ends with its closing tag)
get --cafile "$CERTS/ca.pem" --body "https://feedsim.test:$PORT" / >"$TMP/body.out" 2>&1
if grep -q '</BODY></HTML>' "$TMP/body.out"; then pass rest_body_until_close
else fail rest_body_until_close "$(tail -c 300 "$TMP/body.out")"; fi

# a CA that did not sign the server's certificate
get --cafile "$CERTS/rogue-ca.pem" "https://feedsim.test:$PORT" / >"$TMP/rogue.out" 2>&1
if grep -q '^/ error TLS handshake with .* failed: certificate verify failed' "$TMP/rogue.out"; then
  pass rest_unknown_ca
else fail rest_unknown_ca "$(head -c 300 "$TMP/rogue.out")"; fi

# through an HTTP CONNECT proxy
if command -v tinyproxy >/dev/null; then
  printf 'Port 8889\nListen 127.0.0.1\nTimeout 60\nMaxClients 8\nAllow 127.0.0.1\nConnectPort %s\n' \
    "$PORT" >"$TMP/tinyproxy.conf"
  ip netns exec "$NS_RX" tinyproxy -d -c "$TMP/tinyproxy.conf" >"$TMP/tinyproxy.out" 2>&1 &
  netns_track $!
  if wait_listen "$NS_RX" 8889; then
    get --cafile "$CERTS/ca.pem" --proxy http://127.0.0.1:8889 --repeat 2 \
      "https://feedsim.test:$PORT" / >"$TMP/proxy.out" 2>&1
    if [[ $(grep -c '^/ 200 [0-9]* http/1.1$' "$TMP/proxy.out") -eq 2 ]]; then pass rest_via_proxy
    else fail rest_via_proxy "$(head -c 300 "$TMP/proxy.out")"; fi
    get --cafile "$CERTS/ca.pem" --proxy http://127.0.0.1:8889 "https://feedsim.test:9" / \
      >"$TMP/proxy403.out" 2>&1
    if grep -q '^/ error proxy answered 403' "$TMP/proxy403.out"; then pass rest_proxy_refuses
    else fail rest_proxy_refuses "$(head -c 300 "$TMP/proxy403.out")"; fi
  else
    fail rest_via_proxy "tinyproxy did not start: $(tail -3 "$TMP/tinyproxy.out")"
  fi
else
  skip rest_via_proxy "tinyproxy not installed (scripts/deps.sh)"
fi
