// status-bitstring.mjs: the W3C Bitstring Status List as
// @digitalbazaar/vc-bitstring-status-list reads and writes it, and its
// VC-JOSE-COSE envelope checked and made with jose, for pkg/statuslist's
// interop tests. No network.
//
// stdin, one of:
//   {"op": "decode", "encodedList": "u...", "indexes": [..]}
//       -> {"length": n, "bits": [bool..]}   (the bits at indexes)
//   {"op": "verify", "jwt": "...", "jwk": {...}, "indexes": [..]}
//       -> {"header": {...}, "credential": {...}, "length": n, "bits": [..]}
//          (signature checked with the public JWK; the list decoded by the peer)
//   {"op": "issue", "id": "https://...", "issuer": "...", "length": n, "set": [..], "statusPurpose": "..."}
//       -> {"credential": {...}, "jwt": "...", "jwk": {...}}
//          (list made by the peer, credential by createCredential, signed EdDSA by jose)
import {createCredential, createList, decodeList} from '@digitalbazaar/vc-bitstring-status-list';
import * as jose from 'jose';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

async function readBits(encodedList, indexes) {
  const list = await decodeList({encodedList});
  return {length: list.length, bits: (indexes || []).map(i => list.getStatus(i))};
}

let out;
switch(input.op) {
case 'decode':
  out = await readBits(input.encodedList, input.indexes);
  break;
case 'verify': {
  const key = await jose.importJWK(input.jwk, input.jwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  const {payload, protectedHeader} = await jose.compactVerify(input.jwt, key);
  const credential = JSON.parse(new TextDecoder().decode(payload));
  out = {header: protectedHeader, credential,
    ...await readBits(credential.credentialSubject.encodedList, input.indexes)};
  break;
}
case 'issue': {
  const list = await createList({length: input.length});
  for(const i of input.set) list.setStatus(i, true);
  const credential = await createCredential({id: input.id, list, statusPurpose: input.statusPurpose});
  credential.issuer = input.issuer;
  credential.validFrom = new Date(Date.now() - 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  const {publicKey, privateKey} = await jose.generateKeyPair('EdDSA', {crv: 'Ed25519', extractable: true});
  const jwk = await jose.exportJWK(publicKey);
  const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: input.issuer + '#key-1'})
    .sign(privateKey);
  out = {credential, jwt, jwk};
  break;
}
default:
  throw new Error('unknown op ' + input.op);
}
process.stdout.write(JSON.stringify(out));
