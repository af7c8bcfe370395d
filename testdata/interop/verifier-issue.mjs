// verifier-issue.mjs: credentials and presentations made by independent
// implementations, for the verifier's interop tests (verifier/interop_test.go).
// Offline: keys from seeds, did:key / did:jwk identities, bundled contexts.
//
// stdin: {
//   "seed": hex 32 bytes (issuer), "holderSeed": hex 32 bytes,
//   "now": unix seconds, "nonce", "aud",
//   "status": {"url", "index"}          Bitstring entry for the W3C credentials,
//   "tokenStatus": {"uri", "idx"}       Token Status List entry for the SD-JWT VC,
//   "ldContext": {...}                  inline context defining the credential terms
// }
// stdout: {
//   "ed25519DidKey", "ed25519DidJwk", "p256DidJwk", "holderDidKey",
//   "joseEdDSA", "joseES256", "joseExpired"     vc+jwt by `jose` (did:jwk issuers),
//   "joseVP"                                     vp+jwt by `jose` (holder did:key, enveloped credential),
//   "didJwtVC", "didJwtVP"                       VC-JWT 1.1 and JWT VP by `did-jwt-vc` (did:key),
//   "sdJwt", "sdJwtKB"                           SD-JWT VC (+ key binding) by `@sd-jwt/sd-jwt-vc` (did:jwk, ES256),
//   "diVC", "diVP"                               eddsa-rdfc-2022 credential and presentation by `@digitalbazaar/vc` (did:key)
// }
import crypto from 'node:crypto';
import * as jose from 'jose';
import {EdDSASigner} from 'did-jwt';
import {createVerifiableCredentialJwt, createVerifiablePresentationJwt} from 'did-jwt-vc';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {ES256, digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {makeDocumentLoader, readInput, writeOutput} from './vcld-lib.mjs';

const input = await readInput();
const now = input.now;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const b64u = (b) => Buffer.from(b).toString('base64url');

// Ed25519 key from a seed, as node KeyObjects and raw bytes.
function ed25519FromSeed(hex) {
  const seed = Buffer.from(hex, 'hex');
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = crypto.createPrivateKey({key: der, format: 'der', type: 'pkcs8'});
  const publicKey = crypto.createPublicKey(privateKey);
  const jwk = publicKey.export({format: 'jwk'});
  return {seed, privateKey, publicKey, jwk: {kty: 'OKP', crv: 'Ed25519', x: jwk.x}, raw: Buffer.from(jwk.x, 'base64url')};
}
const didJwk = (jwk) => `did:jwk:${b64u(JSON.stringify(jwk))}`;

async function didKeyOf(seedHex) {
  const key = await Ed25519Multikey.generate({seed: Uint8Array.from(Buffer.from(seedHex, 'hex'))});
  const did = `did:key:${key.publicKeyMultibase}`;
  key.id = `${did}#${key.publicKeyMultibase}`;
  key.controller = did;
  return {did, key};
}

const issuerEd = ed25519FromSeed(input.seed);
const holderEd = ed25519FromSeed(input.holderSeed);
const edDidJwk = didJwk(issuerEd.jwk);
const {did: edDidKey, key: edMultikey} = await didKeyOf(input.seed);
const {did: holderDidKey, key: holderMultikey} = await didKeyOf(input.holderSeed);

function credential(issuer, subject, from, until, withStatus) {
  const c = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: 'urn:uuid:0d1c6d2e-3c1e-4bb4-9a51-5d0c2c6e9a01',
    type: ['VerifiableCredential', 'BusinessRegistration'],
    issuer,
    validFrom: iso(from),
    credentialSubject: {id: subject, uen: '201912345K', legalName: 'ACME Pte Ltd'},
  };
  if(until) {
    c.validUntil = iso(until);
  }
  if(withStatus && input.status) {
    c.credentialStatus = {
      id: `${input.status.url}#${input.status.index}`, type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation', statusListIndex: String(input.status.index), statusListCredential: input.status.url,
    };
  }
  return c;
}

const out = {ed25519DidKey: edDidKey, ed25519DidJwk: edDidJwk, holderDidKey};

// 1. VC-JOSE-COSE with `jose`: EdDSA and ES256 (did:jwk issuers).
async function joseVC(privateKey, alg, iss, cred) {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(cred)))
    .setProtectedHeader({alg, typ: 'vc+jwt', cty: 'vc', kid: `${iss}#0`})
    .sign(privateKey);
}
out.joseEdDSA = await joseVC(issuerEd.privateKey, 'EdDSA', edDidJwk, credential(edDidJwk, holderDidKey, now - 3600, now + 86400, true));
out.joseExpired = await joseVC(issuerEd.privateKey, 'EdDSA', edDidJwk, credential(edDidJwk, holderDidKey, now - 7 * 86400, now - 86400, false));
const p256 = await jose.generateKeyPair('ES256', {extractable: true});
const p256Jwk = await jose.exportJWK(p256.publicKey);
out.p256DidJwk = didJwk({kty: p256Jwk.kty, crv: p256Jwk.crv, x: p256Jwk.x, y: p256Jwk.y});
out.joseES256 = await joseVC(p256.privateKey, 'ES256', out.p256DidJwk, credential(out.p256DidJwk, holderDidKey, now - 3600, 0, false));

// A VC 2.0 presentation secured with `jose` (typ vp+jwt) by the holder's
// did:key, carrying the EdDSA credential in its enveloped form.
out.joseVP = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify({
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiablePresentation'],
  holder: holderDidKey,
  verifiableCredential: [{
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `data:application/vc+jwt,${out.joseEdDSA}`,
    type: 'EnvelopedVerifiableCredential',
  }],
  nonce: input.nonce, aud: input.aud, iat: now, exp: now + 300,
}))).setProtectedHeader({alg: 'EdDSA', typ: 'vp+jwt', cty: 'vp', kid: `${holderDidKey}#${holderDidKey.slice('did:key:'.length)}`})
  .sign(holderEd.privateKey);

// 2. VC-JWT 1.1 and a JWT VP with `did-jwt-vc` (did:key issuer, no kid).
const djIssuer = {did: edDidKey, signer: EdDSASigner(issuerEd.seed), alg: 'EdDSA'};
const djHolder = {did: holderDidKey, signer: EdDSASigner(holderEd.seed), alg: 'EdDSA'};
out.didJwtVC = await createVerifiableCredentialJwt({
  sub: holderDidKey,
  nbf: now - 3600,
  exp: now + 86400,
  vc: {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential', 'BusinessRegistration'],
    credentialSubject: {uen: '201912345K', legalName: 'ACME Pte Ltd'},
  },
}, djIssuer);
out.didJwtVP = await createVerifiablePresentationJwt({
  vp: {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiablePresentation'],
    verifiableCredential: [out.didJwtVC],
  },
}, djHolder, {challenge: input.nonce, domain: input.aud});

// 3. SD-JWT VC with key binding, `@sd-jwt/sd-jwt-vc` (ES256, did:jwk issuer).
const sdIssuerKeys = await ES256.generateKeyPair();
const sdHolderKeys = await ES256.generateKeyPair();
const pick = (j) => ({kty: j.kty, crv: j.crv, x: j.x, y: j.y});
out.sdIssuerDidJwk = didJwk(pick(sdIssuerKeys.publicKey));
const sd = new SDJwtVcInstance({
  signer: await ES256.getSigner(sdIssuerKeys.privateKey), signAlg: 'ES256',
  verifier: await ES256.getVerifier(sdIssuerKeys.publicKey),
  kbSigner: await ES256.getSigner(sdHolderKeys.privateKey), kbSignAlg: 'ES256',
  kbVerifier: await ES256.getVerifier(sdHolderKeys.publicKey),
  hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
});
const sdPayload = {
  iss: out.sdIssuerDidJwk, iat: now - 3600, exp: now + 86400, vct: 'HKResidentIdentity',
  cnf: {jwk: pick(sdHolderKeys.publicKey)},
  given_name: 'Mei', family_name: 'Chan', resident: true, hkid: 'A123456(7)',
};
if(input.tokenStatus) {
  sdPayload.status = {status_list: {idx: input.tokenStatus.idx, uri: input.tokenStatus.uri}};
}
out.sdJwt = await sd.issue(sdPayload, {_sd: ['given_name', 'family_name', 'resident', 'hkid']},
  {header: {kid: `${out.sdIssuerDidJwk}#0`}});
out.sdJwtKB = await sd.present(out.sdJwt, {given_name: true, resident: true},
  {kb: {payload: {iat: now, aud: input.aud, nonce: input.nonce}}});

// 4. Data Integrity eddsa-rdfc-2022 with `@digitalbazaar/vc` (did:key issuer).
const documentLoader = makeDocumentLoader();
const suite = new DataIntegrityProof({signer: edMultikey.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
suite.date = iso(now - 3600);
const diCred = credential(edDidKey, holderDidKey, now - 3600, now + 86400, true);
diCred['@context'].push(input.ldContext);
out.diVC = await vc.issue({credential: diCred, suite, documentLoader});

// 5. A Data Integrity presentation of that credential by its subject
// (eddsa-rdfc-2022 over challenge and domain), `@digitalbazaar/vc`.
const holderSuite = new DataIntegrityProof({signer: holderMultikey.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
holderSuite.date = iso(now);
out.diVP = await vc.signPresentation({
  presentation: {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: holderDidKey,
    verifiableCredential: [out.diVC],
  },
  suite: holderSuite, documentLoader, challenge: input.nonce, domain: input.aud,
});

writeOutput(out);
