// An OAuth2 authorization server nobody on this project wrote (the npm package
// oauth2-mock-server), over HTTPS on 127.0.0.1, for the integration tests. On top of the
// package's own token endpoint (POST /token) it checks the client the way real servers do:
//
//   node oauth2-peer.mjs --cert server.pem --key server.key --port-file FILE
//        [--client-id ID --client-secret SECRET]
//        [--client-auth basic|post|any]   basic: RFC 6749 2.3.1 HTTP Basic only (default any)
//        [--expires-in N] [--expires-in-text]   the lifetime it states, as a number or "N"
//        [--fail-first N --fail-status S]       the first N token requests get status S
//
// Writes its port to FILE once listening; logs one line per token request:
//   token 200 basic   /   token 401 post   /   token 503 -
// Stops on SIGTERM or SIGINT.
import { writeFileSync, renameSync } from 'node:fs';
import { OAuth2Server } from 'oauth2-mock-server';
import basicAuth from 'basic-auth';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const flag = (name) => args.includes(name);

const clientId = option('--client-id', 'markbridge');
const clientSecret = option('--client-secret', 'oauth-peer-secret');
const clientAuth = option('--client-auth', 'any');
const expiresIn = Number(option('--expires-in', '3600'));
const expiresInText = flag('--expires-in-text');
let failFirst = Number(option('--fail-first', '0'));
const failStatus = Number(option('--fail-status', '503'));
const portFile = option('--port-file', '');

const server = new OAuth2Server(option('--key'), option('--cert'));
await server.issuer.keys.generate('RS256');

// RFC 6749 2.3.1: the id and secret are form-encoded before they go into HTTP Basic.
const formDecode = (text) => decodeURIComponent(text.replace(/\+/g, ' '));

server.service.on('beforeResponse', (response, req) => {
  if (failFirst > 0) {
    failFirst -= 1;
    response.statusCode = failStatus;
    response.body = { error: 'temporarily_unavailable', error_description: 'try again later' };
    console.log(`token ${failStatus} -`);
    return;
  }
  const basic = basicAuth(req);
  const form = req.body || {};
  let method = '-';
  let id;
  let secret;
  if (basic && clientAuth !== 'post') {
    method = 'basic';
    id = formDecode(basic.name);
    secret = formDecode(basic.pass);
  } else if (form.client_secret !== undefined && clientAuth !== 'basic') {
    method = 'post';
    id = form.client_id;
    secret = form.client_secret;
  }
  if (id !== clientId || secret !== clientSecret) {
    response.statusCode = 401;
    response.body = { error: 'invalid_client', error_description: 'client authentication failed' };
    if (clientAuth !== 'post') req.res.set('WWW-Authenticate', 'Basic realm="oauth2-peer"');
    console.log(`token 401 ${method}`);
    return;
  }
  response.body.expires_in = expiresInText ? String(expiresIn) : expiresIn;
  console.log(`token 200 ${method}`);
});

await server.start(0, '127.0.0.1');
const port = server.address().port;
if (portFile) {
  writeFileSync(`${portFile}.tmp`, `${port}\n`);
  renameSync(`${portFile}.tmp`, portFile);
}
console.log(`oauth2-peer listening on https://127.0.0.1:${port}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
