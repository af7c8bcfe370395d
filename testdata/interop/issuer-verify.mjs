// issuer-verify.mjs: credentials issued by idport's issuer over HTTP, checked by independent
// implementations, for issuer/interop_test.go. Nothing here touches the network: the Go test
// fetches the issuer's DID document, JWKS and status lists over loopback and passes them in.
//
// stdin: {"didDocument": {...}, "jwks": {...},
//         "vcjose": {EnvelopedVerifiableCredential}, "vcjwt11": "<jwt>", "sdjwt": "<sd-jwt>",
//         "di": {credential with proof}, "di11": {VC 1.1 credential with proof},
//         "statusLists": {"<url>": "<jwt>"}, "checkBits": {"<bitstring list url>": [index, ...]}}
// stdout: {"vcjose": {verified, error, header, payload}, "vcjwt11": {verified, error, payload},
//          "sdjwt": {verified, error, claims, status}, "di"/"di11": {verified, error, statuses},
//          "bitstring": {"<url>": {verified, error, purpose, length, bits: {index: bool}}},
//          "token": {"<url>": {verified, error, bits, statuses: {index: n}}}}
import * as jose from 'jose';
import {Resolver} from 'did-resolver';
import {verifyCredential as verifyJwtCredential} from 'did-jwt-vc';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest} from '@sd-jwt/crypto-nodejs';
import {getListFromStatusListJWT} from '@sd-jwt/jwt-status-list';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {decodeList} from '@digitalbazaar/vc-bitstring-status-list';
import {errorText, makeDocumentLoader, readInput, writeOutput} from './vcld-lib.mjs';

const input = await readInput();
const doc = input.didDocument;
const out = {bitstring: {}, token: {}};

// keyFor returns the issuer key named by a JWS kid, from the issuer's JWKS.
async function keyFor(header) {
  const jwk = (input.jwks.keys || []).find(k => k.kid === header.kid);
  if(!jwk) {
    throw new Error(`kid ${header.kid} is not in the issuer JWKS`);
  }
  return jose.importJWK(jwk, header.alg);
}

async function run(name, fn) {
  try {
    out[name] = {verified: true, error: '', ...await fn()};
  } catch(e) {
    out[name] = {verified: false, error: errorText(e)};
  }
}

// VC-JOSE-COSE: the enveloped form's data: URL, then a compact JWS checked by jose.
if(input.vcjose) {
  await run('vcjose', async () => {
    const env = input.vcjose;
    if(env.type !== 'EnvelopedVerifiableCredential' || !env.id.startsWith('data:application/vc+jwt,')) {
      throw new Error('not an enveloped vc+jwt credential');
    }
    const jwt = env.id.slice('data:application/vc+jwt,'.length);
    const {payload, protectedHeader} = await jose.compactVerify(jwt, h => keyFor(h));
    if(protectedHeader.typ !== 'vc+jwt') {
      throw new Error(`typ ${protectedHeader.typ}`);
    }
    return {header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload))};
  });
}

// VC-JWT 1.1: did-jwt-vc with a did:web resolver answering the fetched DID document.
if(input.vcjwt11) {
  await run('vcjwt11', async () => {
    const resolver = new Resolver({web: async did => ({
      didResolutionMetadata: {contentType: 'application/did+json'},
      didDocument: did === doc.id ? doc : null,
      didDocumentMetadata: {},
    })});
    const res = await verifyJwtCredential(input.vcjwt11, resolver);
    return {payload: res.payload, issuer: res.issuer};
  });
}

// SD-JWT VC: @sd-jwt/sd-jwt-vc, with the Token Status List checked through its fetcher hook.
if(input.sdjwt) {
  await run('sdjwt', async () => {
    let seenStatus = null;
    const verifier = async (data, sig) => {
      const [h] = data.split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      const key = await keyFor(header);
      try {
        await jose.compactVerify(`${data}.${sig}`, key);
        return true;
      } catch {
        return false;
      }
    };
    const sd = new SDJwtVcInstance({
      verifier, hasher: digest, hashAlg: 'sha-256',
      statusListFetcher: async uri => {
        const jwt = input.statusLists[uri];
        if(!jwt) throw new Error(`no status list ${uri}`);
        return jwt;
      },
      statusValidator: async status => { seenStatus = status; },
    });
    const res = await sd.verify(input.sdjwt);
    const claims = await sd.getClaims(input.sdjwt);
    return {claims, header: res.header, status: seenStatus};
  });
}

// Data Integrity: @digitalbazaar/vc with eddsa-rdfc-2022; did:web keys come from the fetched
// DID document, did:key ones from the peers' own did:key resolution; credentialStatus is
// decoded by vc-bitstring-status-list.
for(const name of ['di', 'di11']) {
  if(!input[name]) continue;
  await run(name, async () => {
    const base = makeDocumentLoader();
    const documentLoader = async url => {
      const [did] = url.split('#');
      if(did === doc.id && did.startsWith('did:web:')) {
        if(url === did) {
          return {contextUrl: null, documentUrl: url, document: doc};
        }
        const vm = doc.verificationMethod.find(m => m.id === url);
        if(!vm) throw new Error(`no verification method ${url}`);
        return {contextUrl: null, documentUrl: url,
          document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
      }
      return base(url);
    };
    const statuses = [];
    const checkStatus = async ({credential}) => {
      for(const entry of [].concat(credential.credentialStatus || [])) {
        const jwt = input.statusLists[entry.statusListCredential];
        if(!jwt) throw new Error(`no status list ${entry.statusListCredential}`);
        const {payload} = await jose.compactVerify(jwt, h => keyFor(h));
        const list = JSON.parse(new TextDecoder().decode(payload));
        const bits = await decodeList({encodedList: list.credentialSubject.encodedList});
        statuses.push({purpose: entry.statusPurpose, set: bits.getStatus(Number(entry.statusListIndex))});
      }
      return {verified: statuses.every(s => !s.set)};
    };
    const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
    const res = await vc.verifyCredential({credential: input[name], suite, documentLoader, checkStatus});
    if(!res.verified) {
      throw new Error(errorText(res.error || res));
    }
    return {statuses};
  });
}

// Status lists: Bitstring lists (vc+jwt) by jose + vc-bitstring-status-list, token lists by
// jose + @sd-jwt/jwt-status-list.
for(const [url, jwt] of Object.entries(input.statusLists || {})) {
  const isToken = url.includes('/status/token/');
  const r = {verified: false, error: ''};
  try {
    const {payload, protectedHeader} = await jose.compactVerify(jwt, h => keyFor(h));
    const claims = JSON.parse(new TextDecoder().decode(payload));
    if(isToken) {
      if(protectedHeader.typ !== 'statuslist+jwt' || claims.sub !== url) {
        throw new Error(`typ ${protectedHeader.typ} sub ${claims.sub}`);
      }
      const list = getListFromStatusListJWT(jwt);
      r.bits = claims.status_list.bits;
      r.statuses = {};
      for(const i of (input.checkBits || {})[url] || []) r.statuses[i] = list.getStatus(i);
    } else {
      if(protectedHeader.typ !== 'vc+jwt' || claims.id !== url || !claims.type.includes('BitstringStatusListCredential')) {
        throw new Error(`typ ${protectedHeader.typ} id ${claims.id} type ${claims.type}`);
      }
      const list = await decodeList({encodedList: claims.credentialSubject.encodedList});
      r.purpose = claims.credentialSubject.statusPurpose;
      r.length = list.length;
      r.bits = {};
      for(const i of (input.checkBits || {})[url] || []) r.bits[i] = list.getStatus(i);
    }
    r.verified = true;
  } catch(e) {
    r.error = errorText(e);
  }
  out[isToken ? 'token' : 'bitstring'][url] = r;
}

writeOutput(out);
