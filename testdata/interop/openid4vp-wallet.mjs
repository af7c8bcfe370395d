// A wallet built on @openid4vc/openid4vp (OpenWallet Foundation's oid4vc-ts) answers an
// OpenID4VP 1.0 request of idport's verifier: it resolves the request_uri of the deep link,
// verifies the request object (did:jwk signer for decentralized_identifier:, unsigned for
// redirect_uri:), builds a presentation of the credential it holds for the DCQL query, and posts
// it with direct_post or direct_post.jwt (encrypted to client_metadata.jwks).
// stdin: {"deepLink": "openid4vp://?...", "holderJwk": {private JWK}, "holderDid": "did:jwk:...",
//         "format": "dc+sd-jwt" | "jwt_vc_json", "credential": "<compact>", "disclose": ["uen", ...],
//         "tamper": false, "nonce": "" (override: a wrong nonce)}
// stdout: {"version", "clientId", "clientPrefix", "signer", "responseMode", "queryId", "status", "body"}
// A request the library refuses exits 0 with {"refused": "<error>"}.
import crypto from 'node:crypto';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/oauth2';
import { importJWK, SignJWT, CompactEncrypt, compactVerify, base64url } from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let s = '';
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => resolve(s));
}));

setGlobalConfig({ allowInsecureUrls: true }); // the verifier listens on plain HTTP loopback

const holderKey = await importJWK(input.holderJwk, input.holderJwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256');
const holderAlg = input.holderJwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256';

// didJwk resolves a did:jwk DID URL to its JWK (the only DID method the verifier signs with).
function didJwk(didUrl) {
  const m = /^did:jwk:([A-Za-z0-9_-]+)(#0)?$/.exec(didUrl || '');
  if (!m) throw new Error(`unsupported DID URL ${didUrl}`);
  return JSON.parse(new TextDecoder().decode(base64url.decode(m[1])));
}

// tamperingFetch alters the request object in transit: a claim of the signed payload changes,
// the signature stays.
const tamperingFetch = async (url, init) => {
  const res = await fetch(url, init);
  if (!input.tamper || !String(url).includes('/request-objects/')) return res;
  const [h, p, s] = (await res.text()).split('.');
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  payload.response_uri = payload.response_uri.replace('/responses/', '/responses/x');
  const body = `${h}.${base64url.encode(JSON.stringify(payload))}.${s}`;
  return new Response(body, { status: res.status, headers: res.headers });
};

const callbacks = {
  fetch: tamperingFetch,
  hash: (data, a) => new Uint8Array(crypto.createHash(a.replace('-', '').toLowerCase()).update(data).digest()),
  verifyJwt: async (signer, { header, compact }) => {
    if (header.alg === 'none') return { verified: false };
    if (signer.method !== 'did') throw new Error(`unexpected signer ${signer.method}`);
    const jwk = didJwk(signer.didUrl);
    try {
      await compactVerify(compact, await importJWK(jwk, header.alg));
      return { verified: true, signerJwk: jwk };
    } catch {
      return { verified: false, signerJwk: jwk };
    }
  },
  encryptJwe: async (encryptor, data) => {
    if (encryptor.method !== 'jwk') throw new Error(`unexpected encryptor ${encryptor.method}`);
    const header = { alg: encryptor.alg, enc: encryptor.enc, kid: encryptor.publicJwk.kid };
    if (encryptor.apu) header.apu = encryptor.apu;
    if (encryptor.apv) header.apv = encryptor.apv;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header)
      .encrypt(await importJWK(encryptor.publicJwk, encryptor.alg));
    return { jwe, encryptionJwk: encryptor.publicJwk };
  },
  signJwt: async () => { throw new Error('the wallet signs no JARM response'); },
  decryptJwe: async () => { throw new Error('the wallet decrypts no request'); },
};

const client = new Openid4vpClient({ callbacks });
const out = {};
let resolved;
try {
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.deepLink });
  let params = parsed.params;
  if (params.client_id.startsWith('redirect_uri:')) {
    // The library reads request objects as signed JWTs only (its compact JWT schema needs a
    // signature), while a redirect_uri: request is unsigned (alg none). The wallet fetches the
    // unsigned object itself and hands the library its parameters by value.
    const res = await tamperingFetch(params.request_uri);
    const [h, p] = (await res.text()).split('.');
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(h)));
    if (header.alg !== 'none' || header.typ !== 'oauth-authz-req+jwt') throw new Error(`unsigned request object header ${JSON.stringify(header)}`);
    params = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    delete params.aud; delete params.iat; delete params.exp;
    out.requestBy = 'value';
  }
  resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: params });
} catch (e) {
  process.stdout.write(JSON.stringify({ refused: `${e.name}: ${e.message}` }));
  process.exit(0);
}
const req = resolved.authorizationRequestPayload;
Object.assign(out, {
  version: resolved.version, clientId: req.client_id, clientPrefix: resolved.client.prefix,
  signer: resolved.jar?.signer?.method ?? 'none', responseMode: req.response_mode,
});
const query = resolved.dcql.query;
const cq = query.credentials[0];
out.queryId = cq.id;
const nonce = input.nonce || req.nonce;
const aud = req.client_id;

async function presentSDJWT(sdjwt) {
  const [jwt, ...rest] = sdjwt.split('~');
  const disclosures = rest.filter((d) => d !== '').filter((d) => {
    const [, name] = JSON.parse(new TextDecoder().decode(base64url.decode(d)));
    return input.disclose.includes(name);
  });
  const presented = `${[jwt, ...disclosures].join('~')}~`;
  const sdHash = base64url.encode(crypto.createHash('sha256').update(presented).digest());
  const kb = await new SignJWT({ iat: Math.floor(Date.now() / 1000), aud, nonce, sd_hash: sdHash })
    .setProtectedHeader({ alg: holderAlg, typ: 'kb+jwt' }).sign(holderKey);
  return presented + kb;
}

async function presentVPJWT(vcJwt) {
  return new SignJWT({
    iss: input.holderDid, aud, nonce, iat: Math.floor(Date.now() / 1000),
    vp: {
      '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'],
      holder: input.holderDid, verifiableCredential: [vcJwt],
    },
  }).setProtectedHeader({ alg: holderAlg, typ: 'JWT', kid: `${input.holderDid}#0` }).sign(holderKey);
}

const presentation = input.format === 'dc+sd-jwt' ? await presentSDJWT(input.credential) : await presentVPJWT(input.credential);
const response = await client.createOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: req,
  authorizationResponsePayload: { vp_token: { [cq.id]: [presentation] } },
  jarm: req.response_mode === 'direct_post.jwt' ? {
    encryption: { nonce: base64url.encode(crypto.randomBytes(16)) },
    serverMetadata: {
      authorization_signing_alg_values_supported: [],
      authorization_encryption_alg_values_supported: ['ECDH-ES'],
      authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
    },
  } : undefined,
});
out.encrypted = !!response.jarm?.responseJwt;
const submitted = await client.submitOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: req,
  authorizationResponsePayload: response.authorizationResponsePayload,
  jarm: response.jarm ? { responseJwt: response.jarm.responseJwt } : undefined,
});
out.status = submitted.response.status;
out.body = await submitted.response.text();
process.stdout.write(JSON.stringify(out));
