// status-token.mjs: the IETF Token Status List as @sd-jwt/jwt-status-list
// reads and writes it, with statuslist+jwt tokens checked and made by jose,
// for pkg/statuslist's interop tests. No network.
//
// stdin, one of:
//   {"op": "verify", "jwt": "...", "jwk": {...}, "indexes": [..]}
//       -> {"header": {...}, "payload": {...}, "bits": n, "statuses": [..]}
//   {"op": "issue", "iss": "...", "sub": "...", "ttl": s, "bits": b, "length": n, "set": {"idx": value}}
//       -> {"jwt": "...", "jwk": {...}}
import {StatusList, createHeaderAndPayload, getListFromStatusListJWT} from '@sd-jwt/jwt-status-list';
import * as jose from 'jose';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

let out;
switch(input.op) {
case 'verify': {
  const key = await jose.importJWK(input.jwk, input.jwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  const {payload, protectedHeader} = await jose.jwtVerify(input.jwt, key, {typ: 'statuslist+jwt'});
  const list = getListFromStatusListJWT(input.jwt);
  out = {header: protectedHeader, payload, bits: list.getBitsPerStatus(),
    statuses: input.indexes.map(i => list.getStatus(i))};
  break;
}
case 'issue': {
  const statuses = new Array(input.length).fill(0);
  for(const [i, v] of Object.entries(input.set)) statuses[Number(i)] = v;
  const list = new StatusList(statuses, input.bits);
  const now = Math.floor(Date.now() / 1000);
  const {header, payload} = createHeaderAndPayload(list,
    {iss: input.iss, sub: input.sub, iat: now - 60, exp: now + 3600, ttl: input.ttl},
    {alg: 'ES256', kid: input.iss + '#key-1'});
  const {publicKey, privateKey} = await jose.generateKeyPair('ES256', {extractable: true});
  const jwk = await jose.exportJWK(publicKey);
  const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(privateKey);
  out = {jwt, jwk};
  break;
}
default:
  throw new Error('unknown op ' + input.op);
}
process.stdout.write(JSON.stringify(out));
