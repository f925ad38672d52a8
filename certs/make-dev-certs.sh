#!/usr/bin/env bash
# Makes a development CA, a server certificate for the sandbox (localhost, 127.0.0.1) and a
# client certificate for mutual TLS, plus a second, untrusted CA for failure tests.
# For development and tests only: never use these keys with a real LA or safeguarding system.
# usage: certs/make-dev-certs.sh OUT_DIR [DAYS]
set -euo pipefail
out=${1:?usage: make-dev-certs.sh OUT_DIR [DAYS]}
days=${2:-825}
mkdir -p "$out"
cd "$out"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

leaf() {  # name subject ca extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -sha256 \
    -days "$days" -extfile <(printf '%s\n' "$4") -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}

ca ca "/O=Markbridge Development/CN=Markbridge Dev CA"
leaf server "/O=Markbridge Sandbox/CN=localhost" ca \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
leaf client "/O=Demo Academy/CN=markbridge-client" ca \
  "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
ca other-ca "/O=Somebody Else/CN=Untrusted CA"
leaf untrusted-server "/O=Impostor/CN=localhost" other-ca \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
chmod 644 ./*.pem
echo "development certificates in $out: ca.pem server.pem/key client.pem/key (and an untrusted CA)"
