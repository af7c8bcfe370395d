// vcld-lib.mjs: shared helpers for pkg/vcld's interop scripts (vcld-*.mjs).
// An offline JSON-LD document loader over the context packages the JS peers
// use (plus the DID v1 context pkg/vcld pins), did:key resolution for
// Ed25519 keys, and stdin/stdout JSON plumbing. Nothing here touches the
// network: an unknown URL throws.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const require = createRequire(import.meta.url);
export const here = path.dirname(new URL(import.meta.url).pathname);

// [url, file name in pkg/vcld/contexts, package, file inside the package or null for the JS export]
export const pins = [
  ['https://www.w3.org/2018/credentials/v1', 'credentials-v1.jsonld', '@digitalbazaar/credentials-context', 'contexts/v1.jsonld'],
  ['https://www.w3.org/ns/credentials/v2', 'credentials-v2.jsonld', '@digitalbazaar/credentials-context', 'contexts/v2.jsonld'],
  ['https://www.w3.org/ns/credentials/undefined-terms/v2', 'credentials-undefined-terms-v2.jsonld', '@digitalbazaar/credentials-context', 'contexts/undefined-terms-v2.jsonld'],
  ['https://w3id.org/security/data-integrity/v1', 'data-integrity-v1.jsonld', '@digitalbazaar/data-integrity-context', 'contexts/data-integrity-v1.jsonld'],
  ['https://w3id.org/security/data-integrity/v2', 'data-integrity-v2.jsonld', '@digitalbazaar/data-integrity-context', 'contexts/data-integrity-v2.jsonld'],
  ['https://w3id.org/security/multikey/v1', 'multikey-v1.jsonld', '@digitalbazaar/multikey-context', 'contexts/multikey-v1.jsonld'],
  ['https://w3id.org/security/suites/ed25519-2020/v1', 'ed25519-signature-2020-v1.jsonld', 'ed25519-signature-2020-context', 'contexts/ed25519-signature-2020-v1.jsonld'],
  ['https://www.w3.org/ns/credentials/status/v1', 'vc-bitstring-status-list-v1.jsonld', '@digitalbazaar/vc-bitstring-status-list-context', 'contexts/vc-bitstring-status-list-v1.jsonld'],
  ['https://w3id.org/security/v1', 'security-v1.jsonld', '@digitalbazaar/security-context', null],
  ['https://w3id.org/security/v2', 'security-v2.jsonld', '@digitalbazaar/security-context', null],
];

// Contexts without an npm package among the peers: pkg/vcld pins them (DID
// v1 as aries-framework-go ships it, the VC 2.0 examples context as the W3C
// publishes it) and the JS side loads the same bytes.
const vcldDir = path.join(here, '..', '..', 'pkg', 'vcld', 'contexts');
const unpackaged = [
  ['https://www.w3.org/ns/did/v1', path.join(vcldDir, 'did-v1.jsonld')],
  ['https://www.w3.org/ns/credentials/examples/v2', path.join(vcldDir, 'credentials-examples-v2.jsonld')],
];

// contextFiles returns url -> {file, text} for every pinned context.
export function contextFiles() {
  const out = new Map();
  for(const [url, file, pkg, inner] of pins) {
    let text;
    if(inner) {
      text = fs.readFileSync(path.join(here, 'node_modules', pkg, inner), 'utf8');
    } else {
      const ctx = require(pkg).contexts.get(url);
      if(!ctx) {
        throw new Error(`${pkg} has no ${url}`);
      }
      text = JSON.stringify(ctx, null, 2) + '\n';
    }
    out.set(url, {file, text});
  }
  return out;
}

export function makeDocumentLoader(extraContexts = {}) {
  const docs = new Map();
  for(const [url, {text}] of contextFiles()) {
    docs.set(url, JSON.parse(text));
  }
  for(const [url, file] of unpackaged) {
    docs.set(url, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  for(const [url, doc] of Object.entries(extraContexts)) {
    docs.set(url, doc);
  }
  return async function documentLoader(url) {
    if(docs.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(docs.get(url))};
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await didKeyDocument(url)};
    }
    throw new Error(`vcld-lib: refusing to load ${url} (offline loader)`);
  };
}

// didKeyDocument resolves an Ed25519 did:key (or one of its key ids) locally.
export async function didKeyDocument(url) {
  const [did, fragment] = url.split('#');
  const fp = did.slice('did:key:'.length);
  if(fragment && fragment !== fp) {
    throw new Error(`vcld-lib: unknown key ${url}`);
  }
  const vmId = `${did}#${fp}`;
  const key = await Ed25519Multikey.from({
    '@context': 'https://w3id.org/security/multikey/v1',
    type: 'Multikey', id: vmId, controller: did, publicKeyMultibase: fp
  });
  const vm = await key.export({publicKey: true, includeContext: true});
  if(fragment) {
    return vm;
  }
  const {['@context']: _unused, ...vmNoCtx} = vm;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [vmNoCtx],
    assertionMethod: [vmId],
    authentication: [vmId],
  };
}

export async function readInput() {
  const chunks = [];
  for await (const c of process.stdin) {
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() ? JSON.parse(text) : {};
}

export function writeOutput(v) {
  process.stdout.write(JSON.stringify(v));
}

// serve answers one request, or a batch: {"batch": [request...]} ->
// [answer...] (one node start for many operations keeps tests fast).
export async function serve(handler) {
  const input = await readInput();
  if(Array.isArray(input.batch)) {
    const out = [];
    for(const item of input.batch) {
      out.push(await handler(item));
    }
    writeOutput(out);
  } else {
    writeOutput(await handler(input));
  }
}

// errorText flattens the nested errors jsonld-signatures returns.
export function errorText(e) {
  if(!e) {
    return '';
  }
  if(Array.isArray(e)) {
    return e.map(errorText).join('; ');
  }
  const parts = [e.name ? `${e.name}: ${e.message}` : String(e.message || e)];
  if(e.errors) {
    parts.push(errorText(e.errors));
  }
  if(e.cause) {
    parts.push(errorText(e.cause));
  }
  return parts.filter(Boolean).join(' <- ');
}
