#!/usr/bin/env bash
# it_faults — proves the three-namespace fault bed injects what it claims.
#
# For each fault, a bulk TCP transfer of a few MB runs from the exchange end to
# the receiver end through the middle namespace; the test checks that every
# byte arrived intact (SHA-256 of both sides) and that the kernels' own TCP
# counters (nstat in each end) saw the fault: retransmissions for a drop,
# D-SACKs for a duplicate, out-of-order queueing for a reorder. A fault that
# provably did nothing is a FAIL. The transfer programs are small python3
# socket scripts (python3 is in scripts/deps.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PORT=5001
SIZE_MB=${FAULTS_SIZE_MB:-4}

it_setup faults 1 faulty
if [[ ! -x $(netns__fwd_reorder_bin) ]]; then
	fail faults "$(netns__fwd_reorder_bin) is not built (make)"; exit 1
fi

# ---- transfer programs -------------------------------------------------------
# The receive buffer is capped so that no more than a few hundred frames are
# ever in flight: the middle funnels them through one CPU's backlog
# (netdev_max_backlog, 1000 by default), which must not overflow here.
cat >"$TMP/rx.py" <<'EOF'
# rx.py HOST PORT OUT: accept one connection, read to EOF, write "bytes sha256".
import hashlib, socket, sys
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
ls.bind((host, port))
ls.listen(1)
ls.settimeout(60)
c, _ = ls.accept()
c.settimeout(60)
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
c.close()
with open(out, "w") as f:
    f.write(f"{n} {h.hexdigest()}\n")
EOF
cat >"$TMP/tx.py" <<'EOF'
# tx.py HOST PORT FILE [CHUNK PAUSE_MS]: send FILE (paced if CHUNK), then wait
# for the peer's close so that every byte is acknowledged before exiting.
import socket, sys, time
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 0
pause = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0
data = open(path, "rb").read()
s = socket.create_connection((host, port), timeout=60)
if chunk:
    for i in range(0, len(data), chunk):
        s.sendall(data[i:i + chunk])
        time.sleep(pause)
else:
    s.sendall(data)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
EOF

head -c "$((SIZE_MB << 20))" /dev/urandom >"$TMP/data"
WANT="$(stat -c %s "$TMP/data") $(sha256sum "$TMP/data" | cut -d' ' -f1)"

# fault_stat NAME FILE: a counter from a netns_fault_stats dump.
fault_stat() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }
# tool_stat NAME FILE: a field of the reorder tool's stats line (0 if none).
tool_stat() {
	local v
	v=$(grep -o "$1=[0-9]*" "$2" | tail -n1 | cut -d= -f2)
	echo "${v:-0}"
}

# expect DESCRIPTION VALUE OP LIMIT: note a failed condition in WHY;
# verdict NAME: PASS or FAIL NAME with every reason noted since the last one.
WHY=()
expect() {
	local desc=$1 v=$2 op=$3 lim=$4
	[[ $v =~ ^-?[0-9]+$ ]] || { WHY+=("$desc: no value"); return; }
	local ok
	case $op in
	==) ok=$((v == lim)) ;;
	">") ok=$((v > lim)) ;;
	">=") ok=$((v >= lim)) ;;
	"<=") ok=$((v <= lim)) ;;
	*) ok=0 ;;
	esac
	((ok)) || WHY+=("$desc = $v, want $op $lim")
}
verdict() {
	local name=$1
	if [[ ${#WHY[@]} -eq 0 ]]; then pass "$name"; else fail "$name" "$(IFS=';'; echo "${WHY[*]}")"; fi
	WHY=()
}

# transfer TAG DEST [CHUNK PAUSE_MS] [-- CMD...]: one transfer EX -> RX with
# counters snapped before and after ($TMP/TAG.{ex,rx,mid}.{0,1}). CMD runs in
# this shell while the transfer is in flight. Adds to WHY when the
# received bytes differ from the sent ones or a step fails.
transfer() {
	local tag=$1 dest=$2 chunk=0 pause=0 rxpid txpid got
	shift 2
	if [[ $# -ge 2 && $1 != -- ]]; then chunk=$1 pause=$2; shift 2; fi
	[[ ${1:-} == -- ]] && shift
	rm -f "$TMP/$tag.out"
	nstat_snap "$NS_EX" "$TMP/$tag.ex.0"; nstat_snap "$NS_RX" "$TMP/$tag.rx.0"
	netns_fault_stats >"$TMP/$tag.mid.0"
	# simple commands in the background, so $! is the process itself
	ip netns exec "$NS_RX" timeout 120 "$PY" "$TMP/rx.py" "$dest" "$PORT" "$TMP/$tag.out" &
	rxpid=$!; netns_track "$rxpid"
	if ! wait_listen "$NS_RX" "$PORT"; then WHY+=("$tag: receiver did not listen"); return 1; fi
	ip netns exec "$NS_EX" timeout 120 "$PY" "$TMP/tx.py" "$dest" "$PORT" "$TMP/data" \
	   "$chunk" "$pause" &
	txpid=$!; netns_track "$txpid"
	if [[ $# -gt 0 ]]; then "$@" || WHY+=("$tag: in-flight '$*' failed"); fi
	wait "$txpid" || WHY+=("$tag: sender exited $?")
	wait "$rxpid" || WHY+=("$tag: receiver exited $?")
	netns_fault_stats >"$TMP/$tag.mid.1"
	nstat_snap "$NS_EX" "$TMP/$tag.ex.1"; nstat_snap "$NS_RX" "$TMP/$tag.rx.1"
	got=$(cat "$TMP/$tag.out" 2>/dev/null)
	[[ $got == "$WANT" ]] || WHY+=("$tag: received '${got:-nothing}', sent '$WANT'")
}

# d TAG SIDE NAME: growth of nstat counter NAME in SIDE (ex|rx) during TAG.
d() { nstat_delta "$TMP/$1.$2.0" "$TMP/$1.$2.1" "$3"; }
# m TAG NAME: growth of the middle's nftables counter NAME during TAG.
m() { echo $(( $(fault_stat "$2" "$TMP/$1.mid.1") - $(fault_stat "$2" "$TMP/$1.mid.0") )); }

# report TAG: the counters this test reasons about, for the log.
report() {
	local t=$1
	echo "  $t: mid pass_ex=$(m "$t" pass_ex) drop_ex=$(m "$t" drop_ex) dup_ex=$(m "$t" dup_ex)" \
	     "tool_ex=$(m "$t" tool_ex) pass_rx=$(m "$t" pass_rx) drop_rx=$(m "$t" drop_rx)" \
	     "dup_rx=$(m "$t" dup_rx)"
	echo "  $t: ex TcpRetransSegs=$(d "$t" ex TcpRetransSegs)" \
	     "TcpExtTCPLossProbes=$(d "$t" ex TcpExtTCPLossProbes)" \
	     "TcpExtTCPDSACKRecv=$(d "$t" ex TcpExtTCPDSACKRecv)" \
	     "TcpExtTCPSACKReorder=$(d "$t" ex TcpExtTCPSACKReorder)" \
	     "TcpExtTCPLostRetransmit=$(d "$t" ex TcpExtTCPLostRetransmit)"
	echo "  $t: rx TcpExtTCPOFOQueue=$(d "$t" rx TcpExtTCPOFOQueue)" \
	     "TcpExtTCPDSACKOldSent=$(d "$t" rx TcpExtTCPDSACKOldSent)" \
	     "TcpExtDelayedACKLost=$(d "$t" rx TcpExtDelayedACKLost)" \
	     "TcpRetransSegs=$(d "$t" rx TcpRetransSegs)"
}

# expect_clean TAG: nothing was lost or reordered on the wire during TAG. A
# tail-loss probe may resend a segment whose ACK was merely late (timing, seen
# in about 1 of 7 64 MB transfers): any retransmission beyond the probes is loss.
expect_clean() {
	local t=$1
	expect "$t: rx TcpExtTCPOFOQueue" "$(d "$t" rx TcpExtTCPOFOQueue)" == 0
	expect "$t: ex TcpRetransSegs - TcpExtTCPLossProbes" \
	       "$(($(d "$t" ex TcpRetransSegs) - $(d "$t" ex TcpExtTCPLossProbes)))" "<=" 0
	expect "$t: mid drop_ex" "$(m "$t" drop_ex)" == 0
	expect "$t: mid dup_ex" "$(m "$t" dup_ex)" == 0
	expect "$t: mid tool_ex" "$(m "$t" tool_ex)" == 0
}

# ---- clean: the bed itself neither loses, duplicates nor reorders ------------
transfer clean "$NETNS_RX_IP4"
report clean
expect_clean clean
expect "mid pass_ex" "$(m clean pass_ex)" ">=" "$((SIZE_MB * 700))"
verdict faults_clean

# ---- drop: every frame lost on the wire must be retransmitted -----------------
netns_fault drop 10 || WHY+=("netns_fault drop failed")
transfer drop "$NETNS_RX_IP4"
netns_fault clear || WHY+=("netns_fault clear failed")
report drop
expect "mid drop_ex" "$(m drop drop_ex)" ">" 0
expect "ex TcpRetransSegs" "$(d drop ex TcpRetransSegs)" ">" 0
verdict faults_drop

# ---- dup: the receiver sees data it already has and says so with a D-SACK ----
netns_fault dup 5 || WHY+=("netns_fault dup failed")
transfer dup "$NETNS_RX_IP4"
netns_fault clear || WHY+=("netns_fault clear failed")
report dup
expect "mid dup_ex" "$(m dup dup_ex)" ">" 0
expect "rx TcpExtTCPDSACKOldSent" "$(d dup rx TcpExtTCPDSACKOldSent)" ">" 0
expect "ex TcpExtTCPDSACKRecv" "$(d dup ex TcpExtTCPDSACKRecv)" ">" 0
expect "mid drop_ex" "$(m dup drop_ex)" == 0
verdict faults_dup

# tool_lost TAG: every frame the tool took in went on through the middle
# (stats from before the knob was set to after it was cleared).
tool_lost() {
	local sent=$(( $(fault_stat tool_ex "$TMP/$1.tool") - $(fault_stat tool_ex "$TMP/$1.pre") ))
	expect "mid tool_ex - tool frames" "$((sent - $(tool_stat frames "$TMP/$1.tool")))" == 0
}

# ---- reorder: held-back frames arrive after later ones ------------------------
netns_fault_stats >"$TMP/reorder.pre"
netns_fault reorder 20 || WHY+=("netns_fault reorder failed")
transfer reorder "$NETNS_RX_IP4"
netns_fault clear || WHY+=("netns_fault clear failed")
netns_fault_stats >"$TMP/reorder.tool"
report reorder
echo "  reorder: $(grep '^fwd_reorder:' "$TMP/reorder.tool")"
expect "tool held" "$(tool_stat held "$TMP/reorder.tool")" ">" 0
expect "tool send_err" "$(tool_stat send_err "$TMP/reorder.tool")" == 0
tool_lost reorder
expect "rx TcpExtTCPOFOQueue" "$(d reorder rx TcpExtTCPOFOQueue)" ">" 0
verdict faults_reorder

# ---- delay: every frame goes through the hold queue, nothing is lost ----------
netns_fault_stats >"$TMP/delay.pre"
netns_fault delay 5 || WHY+=("netns_fault delay failed")
transfer delay "$NETNS_RX_IP4"
netns_fault clear || WHY+=("netns_fault clear failed")
netns_fault_stats >"$TMP/delay.tool"
report delay
echo "  delay: $(grep '^fwd_reorder:' "$TMP/delay.tool")"
held=$(tool_stat held "$TMP/delay.tool")
expect "tool held" "$held" ">" 0
expect "tool held - frames" "$((held - $(tool_stat frames "$TMP/delay.tool")))" == 0
expect "tool send_err" "$(tool_stat send_err "$TMP/delay.tool")" == 0
tool_lost delay
# a delay that keeps every frame in order
expect "rx TcpExtTCPOFOQueue" "$(d delay rx TcpExtTCPOFOQueue)" == 0
verdict faults_delay

# ---- both directions, IPv6: data and ACKs lost --------------------------------
# The receiver sends only a few hundred ACKs: drop more of them, so that some
# surely go.
netns_fault drop 10 both && netns_fault drop 100 rx || WHY+=("netns_fault drop both failed")
transfer both6 "$NETNS_RX_IP6"
netns_fault clear || WHY+=("netns_fault clear failed")
report both6
expect "mid drop_ex" "$(m both6 drop_ex)" ">" 0
expect "mid drop_rx" "$(m both6 drop_rx)" ">" 0
expect "ex TcpRetransSegs" "$(d both6 ex TcpRetransSegs)" ">" 0
verdict faults_drop_both_ipv6

# ---- knobs turned while a paced transfer flows --------------------------------
# wait_fault NAME: wait up to 10 s until the middle's counter NAME (or the
# tool's field NAME) has moved since the call.
wait_fault() {
	local n=$1 f=$TMP/wait.stats v0 v
	netns_fault_stats >"$f"
	v0=$(fault_stat "$n" "$f"); [[ -n $v0 ]] || v0=$(tool_stat "$n" "$f")
	for _ in $(seq 100); do
		sleep 0.1
		netns_fault_stats >"$f"
		v=$(fault_stat "$n" "$f"); [[ -n $v ]] || v=$(tool_stat "$n" "$f")
		((v > v0)) && return 0
	done
	echo "no $n while the transfer ran" >&2
	return 1
}
# Each knob stays on until it has acted; 4 MB in 2 KB chunks 1 ms apart take
# a few seconds, far longer than the three knobs need.
toggle() {
	netns_fault drop 20 && wait_fault drop_ex &&
	netns_fault drop 0 && netns_fault dup 20 && wait_fault dup_ex &&
	netns_fault dup 0 && netns_fault reorder 50 && wait_fault held &&
	netns_fault clear
}
transfer live "$NETNS_RX_IP4" 2048 1 -- toggle
netns_fault_stats >"$TMP/live.tool"
report live
echo "  live: $(grep '^fwd_reorder:' "$TMP/live.tool")"
expect "mid drop_ex" "$(m live drop_ex)" ">" 0
expect "mid dup_ex" "$(m live dup_ex)" ">" 0
expect "tool held" "$(tool_stat held "$TMP/live.tool")" ">" 0
expect "ex TcpRetransSegs" "$(d live ex TcpRetransSegs)" ">" 0
expect "rx TcpExtTCPOFOQueue" "$(d live rx TcpExtTCPOFOQueue)" ">" 0
# cleared means cleared: another transfer is as clean as the first
transfer after "$NETNS_RX_IP4"
report after
expect_clean after
verdict faults_live_toggle

# ---- the knobs refuse nonsense ------------------------------------------------
for bad in "drop 1001" "drop -1" "dup x" "drop 5 sideways" "reorder 10 x" "delay 99999" "jitter 5" ""; do
	# shellcheck disable=SC2086
	if netns_fault $bad 2>/dev/null; then WHY+=("netns_fault '$bad' accepted"); fi
done
verdict faults_bad_knobs
