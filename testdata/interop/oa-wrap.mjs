// oa-wrap.mjs: OpenAttestation v2 documents wrapped, obfuscated and DID-signed by the reference
// library @govtechsg/open-attestation (with an ethers v5 Wallet as signer), and documents made
// elsewhere checked by it, for pkg/oa and the verifier (pkg/oa/interop_test.go,
// verifier/openattestation_test.go). Offline: no DNS, no chain.
//
// stdin:  {"documents": [{"data": {...}, "privateKey": "0x..." (optional), "obfuscate": ["path", ...]}],
//          "batch": {"data": [{...}, ...], "privateKey": "0x..."} (optional: one Merkle tree, each signed),
//          "check": [<wrapped document>, ...]}
// stdout: {"documents": [<wrapped (signed) document>, ...], "batch": [<wrapped document>, ...],
//          "checks": [{"integrity": bool, "signer": "0x address recovered from proof[0]" | ""}, ...]}
import {createRequire} from 'node:module';
const require = createRequire(import.meta.url);
const oa = require('@govtechsg/open-attestation');
const {Wallet} = require('@ethersproject/wallet');
const {verifyMessage} = require('@ethersproject/wallet');
const {arrayify} = require('@ethersproject/bytes');

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const documents = [];
for (const d of input.documents || []) {
  let doc = oa.wrapDocument(d.data, {version: oa.SchemaId.v2});
  if (d.privateKey) {
    doc = await oa.signDocument(doc, oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018, new Wallet(d.privateKey));
  }
  if (d.obfuscate && d.obfuscate.length) doc = oa.obfuscateDocument(doc, d.obfuscate);
  documents.push(doc);
}
const batch = [];
if (input.batch) {
  for (let doc of oa.wrapDocuments(input.batch.data, {version: oa.SchemaId.v2})) {
    if (input.batch.privateKey) {
      doc = await oa.signDocument(doc, oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018, new Wallet(input.batch.privateKey));
    }
    batch.push(doc);
  }
}
const checks = [];
for (const doc of input.check || []) {
  let signer = '';
  if (doc.proof && doc.proof.length) {
    signer = verifyMessage(arrayify('0x' + doc.signature.merkleRoot), doc.proof[0].signature).toLowerCase();
  }
  checks.push({integrity: oa.verifySignature(doc), signer});
}
process.stdout.write(JSON.stringify({documents, batch, checks}));
