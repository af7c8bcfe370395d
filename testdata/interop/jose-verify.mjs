// jose-verify.mjs: tokens made by pkg/vcjwt, checked by independent implementations
// (pkg/vcjwt/interop_test.go). Offline: keys and DID documents come from stdin.
//
// stdin: {
//   "issuerJwk": public JWK (with kid) of the issuer,  "issuerDoc": DID document of the issuer,
//   "holderJwk": public JWK of the holder,              "holderDoc": DID document of the holder,
//   "vcjose": [compact vc+jwt, ...],  "vcjwt11": "<VC-JWT 1.1>",
//   "sdjwt": "<SD-JWT VC, issuance form>", "sdjwtKB": "<SD-JWT VC with KB-JWT>", "nonce", "aud",
//   "vp11": "<JWT VP, VC 1.1>", "vp2": "<vp+jwt>"
// }
// stdout: {"<name>": {"verified": bool, "error": string, ...what the library decoded}}
import * as jose from 'jose';
import {Resolver} from 'did-resolver';
import {verifyCredential, verifyPresentation} from 'did-jwt-vc';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {StatusList, createHeaderAndPayload} from '@sd-jwt/jwt-status-list';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = {};

async function run(name, fn) {
  try {
    out[name] = {verified: true, error: '', ...await fn()};
  } catch(e) {
    out[name] = {verified: false, error: String(e && e.message || e)};
  }
}

// A did-resolver answering only the DID documents given on stdin.
const docs = [input.issuerDoc, input.holderDoc].filter(Boolean);
const resolve = async did => {
  const doc = docs.find(d => d.id === did);
  return {didResolutionMetadata: doc ? {contentType: 'application/did+json'} : {error: 'notFound'},
    didDocument: doc || null, didDocumentMetadata: {}};
};
const resolver = new Resolver({web: resolve});

const issuerKey = async alg => jose.importJWK(input.issuerJwk, alg);
const decodeHeader = data => JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString('utf8'));

// VC-JOSE-COSE with jose: typ vc+jwt, the payload is the credential.
for(const [i, tok] of (input.vcjose || []).entries()) {
  await run(`vcjose${i}`, async () => {
    const header = jose.decodeProtectedHeader(tok);
    if(header.kid !== input.issuerJwk.kid) throw new Error(`kid ${header.kid}`);
    const {payload, protectedHeader} = await jose.jwtVerify(tok, await issuerKey(header.alg),
      {typ: 'vc+jwt', algorithms: ['EdDSA', 'ES256']});
    if(protectedHeader.cty !== 'vc') throw new Error(`cty ${protectedHeader.cty}`);
    return {header: protectedHeader, payload};
  });
}

// VC-JWT 1.1 with did-jwt-vc (resolving the issuer's did:web document given on stdin).
if(input.vcjwt11) {
  await run('vcjwt11', async () => {
    const res = await verifyCredential(input.vcjwt11, resolver);
    return {payload: res.payload, issuer: res.issuer, vc: res.verifiableCredential};
  });
}

// JWT presentations: did-jwt-vc checks the VC 1.1 one with challenge and domain; jose the vp+jwt.
if(input.vp11) {
  await run('vp11', async () => {
    const res = await verifyPresentation(input.vp11, resolver, {challenge: input.nonce, domain: input.aud});
    return {payload: res.payload, holder: res.verifiablePresentation.holder};
  });
}
if(input.vp2) {
  await run('vp2', async () => {
    const header = jose.decodeProtectedHeader(input.vp2);
    const {payload} = await jose.jwtVerify(input.vp2, await jose.importJWK(input.holderJwk, header.alg),
      {typ: 'vp+jwt', audience: input.aud, algorithms: ['EdDSA', 'ES256']});
    if(payload.nonce !== input.nonce) throw new Error('nonce');
    const inner = payload.verifiableCredential.map(e => e.id.slice(e.id.indexOf(',') + 1));
    for(const tok of inner) {
      await jose.jwtVerify(tok, await issuerKey(jose.decodeProtectedHeader(tok).alg), {typ: 'vc+jwt'});
    }
    return {payload};
  });
}

// SD-JWT VC with @sd-jwt/sd-jwt-vc. Its status check fetches a Token Status List JWT: we
// answer with one made here (bit set at idx when input.revokedIdx says so), signed by a
// throwaway key that statusVerifier accepts.
if(input.sdjwt || input.sdjwtKB) {
  const slKey = await jose.generateKeyPair('ES256');
  const seen = [];
  const makeStatusList = async uri => {
    const bits = new Array(1024).fill(0);
    if(typeof input.revokedIdx === 'number') bits[input.revokedIdx] = 1;
    const {header, payload} = createHeaderAndPayload(new StatusList(bits, 1),
      {iss: 'https://status.example', sub: uri, iat: Math.floor(Date.now() / 1000)}, {alg: 'ES256', typ: 'statuslist+jwt'});
    seen.push(uri);
    return new jose.SignJWT(payload).setProtectedHeader(header).sign(slKey.privateKey);
  };
  const jwsVerifier = keyOf => async (data, sig) => {
    try {
      await jose.compactVerify(`${data}.${sig}`, await keyOf(decodeHeader(data)));
      return true;
    } catch {
      return false;
    }
  };
  const statuses = [];
  const sd = new SDJwtVcInstance({
    hasher: digest, hashAlg: 'sha-256',
    verifier: jwsVerifier(h => issuerKey(h.alg)),
    statusVerifier: jwsVerifier(() => slKey.publicKey),
    // The holder key comes from the credential's cnf.jwk, as a verifier would take it.
    kbVerifier: async (data, sig, payload) =>
      jwsVerifier(h => jose.importJWK(payload.cnf.jwk, h.alg))(data, sig),
    statusListFetcher: makeStatusList,
    statusValidator: async status => {
      statuses.push(status);
      if(status !== 0) throw new Error(`status ${status}`);
    },
  });
  if(input.sdjwt) {
    await run('sdjwt', async () => {
      const res = await sd.verify(input.sdjwt);
      return {header: res.header, claims: await sd.getClaims(input.sdjwt), statusUris: [...seen], statuses: [...statuses]};
    });
  }
  if(input.sdjwtKB) {
    await run('sdjwtKB', async () => {
      const res = await sd.verify(input.sdjwtKB, {keyBindingNonce: input.nonce});
      if(!res.kb) throw new Error('key binding not checked');
      if(res.kb.payload.aud !== input.aud) throw new Error(`aud ${res.kb.payload.aud}`);
      return {kb: res.kb.payload, claims: await sd.getClaims(input.sdjwtKB)};
    });
  }
}

process.stdout.write(JSON.stringify(out));
