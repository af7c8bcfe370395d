// jose-issue.mjs: credentials and presentations made by independent implementations, for
// pkg/vcjwt's lean verify path (pkg/vcjwt/interop_test.go). Offline; fresh keys every run.
//
// stdin:  {"now": unix seconds, "nonce", "aud"}
// stdout: {"issuerDid", "holderDid", "edJwk", "p256Jwk", "holderJwk", "sdIssuerJwk",
//          "joseEdDSA", "joseES256"           vc+jwt by jose,
//          "didJwtVC", "didJwtVP"             VC-JWT 1.1 and JWT VP by did-jwt-vc,
//          "sdJwt", "sdJwtKB"                 SD-JWT VC (ES256) and a presentation with KB-JWT by @sd-jwt/sd-jwt-vc,
//          "sdJwtEdDSA", "sdJwtEdDSAKB"       the same signed with Ed25519 through @sd-jwt's signer hook}
import crypto from 'node:crypto';
import * as jose from 'jose';
import {EdDSASigner} from 'did-jwt';
import {createVerifiableCredentialJwt, createVerifiablePresentationJwt} from 'did-jwt-vc';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {ES256, digest, generateSalt} from '@sd-jwt/crypto-nodejs';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const now = input.now;
const iso = t => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const pub = j => (j.kty === 'OKP' ? {kty: j.kty, crv: j.crv, x: j.x} : {kty: j.kty, crv: j.crv, x: j.x, y: j.y});

const issuerDid = 'did:web:js-issuer.example.sg';
const holderDid = 'did:web:js-holder.example.sg';
const ed = crypto.generateKeyPairSync('ed25519');
const holderEd = crypto.generateKeyPairSync('ed25519');
const p256 = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
const edJwk = pub(ed.publicKey.export({format: 'jwk'}));
const holderJwk = pub(holderEd.publicKey.export({format: 'jwk'}));
const seedOf = k => Buffer.from(k.export({format: 'jwk'}).d, 'base64url');

const credential = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: 'urn:uuid:6a3c2f62-8f4e-4a0e-9c57-2f1d1c0e5b11',
  type: ['VerifiableCredential', 'BusinessRegistration'],
  issuer: issuerDid,
  validFrom: iso(now - 3600),
  validUntil: iso(now + 86400),
  credentialSubject: {id: holderDid, uen: '201912345K', legalName: 'ACME Pte Ltd'},
};
const out = {issuerDid, holderDid, edJwk, holderJwk, p256Jwk: pub(p256.publicKey.export({format: 'jwk'}))};

// 1. VC-JOSE-COSE with jose.
const joseVC = (key, alg, kid) => new jose.CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
  .setProtectedHeader({alg, typ: 'vc+jwt', cty: 'vc', kid: `${issuerDid}#${kid}`}).sign(key);
out.joseEdDSA = await joseVC(ed.privateKey, 'EdDSA', 'ed');
out.joseES256 = await joseVC(p256.privateKey, 'ES256', 'p256');

// 2. VC-JWT 1.1 and a JWT VP with did-jwt-vc.
out.didJwtVC = await createVerifiableCredentialJwt({
  sub: holderDid, nbf: now - 3600, exp: now + 86400,
  vc: {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential', 'BusinessRegistration'],
    credentialSubject: {uen: '201912345K', legalName: 'ACME Pte Ltd'},
  },
}, {did: issuerDid, signer: EdDSASigner(seedOf(ed.privateKey)), alg: 'EdDSA'});
out.didJwtVP = await createVerifiablePresentationJwt({
  vp: {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiablePresentation'],
    verifiableCredential: [out.didJwtVC],
  },
}, {did: holderDid, signer: EdDSASigner(seedOf(holderEd.privateKey)), alg: 'EdDSA'},
{challenge: input.nonce, domain: input.aud});

// 3. SD-JWT VC: top-level, nested and array element disclosures, decoys, a status reference,
// holder binding through cnf; then a presentation of given_name with a key-binding JWT.
const claims = holder => ({
  iss: issuerDid, iat: now - 60, exp: now + 86400, vct: 'https://credentials.example.hk/identity',
  cnf: {jwk: holder}, status: {status_list: {idx: 7, uri: 'https://js-issuer.example.sg/status/1'}},
  given_name: 'Mei', family_name: 'Chan', hkid: 'A123456(7)', resident: true,
  address: {locality: 'Kowloon', country: 'HK'}, nationalities: ['HK', 'CN'],
});
const frame = {_sd: ['given_name', 'family_name', 'hkid'], address: {_sd: ['locality']}, nationalities: {_sd: [0, 1]}, _sd_decoy: 2};
const kb = {kb: {payload: {iat: now, aud: input.aud, nonce: input.nonce}}};

const sdIssuer = await ES256.generateKeyPair();
const sdHolder = await ES256.generateKeyPair();
out.sdIssuerJwk = pub(sdIssuer.publicKey);
const sdES = new SDJwtVcInstance({
  signer: await ES256.getSigner(sdIssuer.privateKey), signAlg: 'ES256',
  kbSigner: await ES256.getSigner(sdHolder.privateKey), kbSignAlg: 'ES256',
  hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
});
out.sdJwt = await sdES.issue(claims(pub(sdHolder.publicKey)), frame, {header: {kid: `${issuerDid}#sd`}});
out.sdJwtKB = await sdES.present(out.sdJwt, {given_name: true}, kb);

const edSigner = key => async data => crypto.sign(null, Buffer.from(data), key).toString('base64url');
const sdEd = new SDJwtVcInstance({
  signer: edSigner(ed.privateKey), signAlg: 'EdDSA',
  kbSigner: edSigner(holderEd.privateKey), kbSignAlg: 'EdDSA',
  hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
});
out.sdJwtEdDSA = await sdEd.issue(claims(holderJwk), frame, {header: {kid: `${issuerDid}#ed`}});
out.sdJwtEdDSAKB = await sdEd.present(out.sdJwtEdDSA, {given_name: true}, kb);

process.stdout.write(JSON.stringify(out));
