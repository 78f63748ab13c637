#!/bin/bash
# Records a TLS 1.2 session between OpenSSL's s_client and s_server on
# loopback, with tcpdump and both key logs: `record.sh TAG [openssl flags]`
# writes TAG.pcap, TAG.cli.keys and TAG.srv.keys. The capture here was made
# with `record.sh nt -no_ticket` (OpenSSL 3.0), after
#   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
#     -keyout server-key.pem -out server.pem -days 365 -subj "/CN=server.test" \
#     -addext "subjectAltName=DNS:server.test"
# Its randoms, ephemeral keys and GCM nonces are OpenSSL's own draws, so a
# new recording differs; the records kept are in to-server.hex and
# to-client.hex. The server's key is not kept: the replay stands in for it.
tag=$1; shift
extra="$@"
rm -f srv_in cli_in $tag.*
mkfifo srv_in cli_in
tcpdump -i lo -w $tag.pcap -U port 4433 2>$tag.tcpdump.err &
TPID=$!
sleep 1
openssl s_server -accept 127.0.0.1:4433 -cert server.pem -key server-key.pem -tls1_2 -keylogfile $tag.srv.keys $extra < srv_in > $tag.srv.out 2>&1 &
SPID=$!
exec 3>srv_in
sleep 0.5
openssl s_client -connect 127.0.0.1:4433 -tls1_2 -servername server.test -keylogfile $tag.cli.keys $extra < cli_in > $tag.cli.out 2>&1 &
CPID=$!
exec 4>cli_in
sleep 1
echo "hello from client" >&4
sleep 0.5
echo "hello from server" >&3
sleep 0.5
echo "Q" >&4
sleep 1
exec 4>&-
sleep 0.5
kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
exec 3>&-
kill $CPID 2>/dev/null
sleep 1
kill $TPID; wait $TPID
rm -f srv_in cli_in
