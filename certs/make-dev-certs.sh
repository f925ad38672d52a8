#!/usr/bin/env bash
# Makes a development CA, a server certificate for the sandbox (localhost, 127.0.0.1) and a
# client certificate for mutual TLS (its key also under the passphrase "dev-passphrase"), plus
# for failure tests: an expired client certificate, an expired server certificate, a server
# certificate naming another host, a second, untrusted CA, a server and a client certificate
# signed by it.
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
# The same client key under a passphrase, as LA-issued keys often come.
openssl pkey -in client.key -aes256 -passout pass:dev-passphrase -out client-encrypted.key
# A client certificate that expired in 2020: signed by the dev CA, outside its dates.
key expired-client.key
openssl req -new -key expired-client.key -subj "/O=Demo Academy/CN=expired-client" \
  -out expired-client.csr
mkdir -p expired-ca.db
: > expired-ca.db/index.txt
cat > expired-ca.cnf <<CNF
[ca]
default_ca = dev
[dev]
database = expired-ca.db/index.txt
new_certs_dir = expired-ca.db
certificate = ca.pem
private_key = ca.key
serial = expired-ca.db/serial
default_md = sha256
policy = any
email_in_dn = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[client]
extendedKeyUsage = clientAuth
keyUsage = critical,digitalSignature
[server]
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
echo 1000 > expired-ca.db/serial
openssl ca -batch -config expired-ca.cnf -extensions client -in expired-client.csr \
  -startdate 20200101000000Z -enddate 20200201000000Z -out expired-client.pem 2>/dev/null
# A server certificate for localhost that expired in 2020, and one from the dev CA that names
# another host: the TLS failure tests tell them apart.
key expired-server.key
openssl req -new -key expired-server.key -subj "/O=Markbridge Sandbox/CN=localhost" \
  -out expired-server.csr
openssl ca -batch -config expired-ca.cnf -extensions server -in expired-server.csr \
  -startdate 20200101000000Z -enddate 20200201000000Z -out expired-server.pem 2>/dev/null
leaf other-host-server "/O=Markbridge Sandbox/CN=elsewhere.example" ca \
  "subjectAltName=DNS:elsewhere.example
extendedKeyUsage=serverAuth"
rm -rf expired-client.csr expired-server.csr expired-ca.cnf expired-ca.db
ca other-ca "/O=Somebody Else/CN=Untrusted CA"
leaf wrong-client "/O=Impostor/CN=markbridge-client" other-ca \
  "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
leaf untrusted-server "/O=Impostor/CN=localhost" other-ca \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
chmod 644 ./*.pem
echo "development certificates in $out: ca.pem server.pem/key client.pem/key" \
  "(client-encrypted.key: passphrase dev-passphrase; expired-client, wrong-client and an" \
  "untrusted CA for failure tests)"
