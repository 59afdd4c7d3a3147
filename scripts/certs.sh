#!/usr/bin/env bash
# certs.sh DIR — make a throwaway test PKI in DIR (idempotent):
#   ca.pem/ca.key         the test CA feedrx is told to trust (--cafile)
#   server.pem/server.key feedsim's certificate, signed by the CA, valid for
#                         feedsim.test, localhost, 127.0.0.1, ::1 and the
#                         namespace addresses of scripts/netns.sh
#   rogue-ca.pem, rogue.pem/rogue.key  a certificate from a CA nobody trusts
set -euo pipefail
dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[[ -s server.pem && -s rogue.pem ]] && exit 0

SAN="DNS:feedsim.test,DNS:localhost,IP:127.0.0.1,IP:::1,IP:198.18.0.1,IP:fd00:fee0::1"
mk_ca() { # name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.pem" -days 3650 -subj "/CN=feedrx $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mk_leaf() { # ca name
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$2.key" -out "$2.csr" -subj "/CN=feedsim.test" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$SAN" > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial \
    -out "$2.pem" -days 825 -extfile "$2.ext" 2>/dev/null
  rm -f "$2.csr" "$2.ext"
}
mk_ca ca
mk_leaf ca server
mk_ca rogue-ca
mk_leaf rogue-ca rogue
