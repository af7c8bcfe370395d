// vcld-sign.mjs: sign with the JS peers (@digitalbazaar/vc +
// @digitalbazaar/data-integrity + @digitalbazaar/eddsa-rdfc-2022-cryptosuite,
// or @digitalbazaar/ed25519-signature-2020), for pkg/vcld's interop tests.
// stdin: {
//   "seed": hex (32 bytes; the Ed25519 key, identity did:key),
//   "suite": "eddsa-rdfc-2022" (default) | "Ed25519Signature2020",
//   "credential": {...}            -> sign this credential (issuer is set to the did:key)
//   "presentation": {...}, "credentials": [signed VC...], "challenge", "domain"
//                                  -> embed the credentials, sign the presentation (holder = did:key)
//   "contexts": {url: doc}          extra contexts for the offline loader
//   "witnessSeed": hex              (credentials, eddsa-rdfc-2022) then add a second proof by
//                                  this key's did:key to the signed credential: a proof set
//                                  (jsonld-signatures' ProofSet.add keeps the issuer's proof)
// }
// stdout: {"did", "verificationMethod", "publicKeyMultibase", "signed": {...},
//          "witnessVerificationMethod" (with witnessSeed)}
// A batch {"batch": [request...]} answers [answer...].
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import jsigs from 'jsonld-signatures';
import {makeDocumentLoader, serve} from './vcld-lib.mjs';

await serve(async input => {
  const documentLoader = makeDocumentLoader(input.contexts || {});
  const seed = Uint8Array.from(Buffer.from(input.seed, 'hex'));
  const key = await Ed25519Multikey.generate({seed});
  const did = `did:key:${key.publicKeyMultibase}`;
  const vmId = `${did}#${key.publicKeyMultibase}`;
  key.id = vmId;
  key.controller = did;

  let suite;
  if(input.suite === 'Ed25519Signature2020') {
    const k2020 = await Ed25519VerificationKey2020.generate({seed, id: vmId, controller: did});
    suite = new Ed25519Signature2020({key: k2020});
  } else {
    suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
  }
  if(input.created) {
    suite.date = input.created;
  }

  let signed;
  if(input.credential) {
    const credential = structuredClone(input.credential);
    if(!input.keepIssuer) {
      if(typeof credential.issuer === 'object' && credential.issuer !== null) {
        credential.issuer.id = did;
      } else {
        credential.issuer = did;
      }
    }
    signed = await vc.issue({credential, suite, documentLoader});
    if(input.witnessSeed) {
      const wseed = Uint8Array.from(Buffer.from(input.witnessSeed, 'hex'));
      const wkey = await Ed25519Multikey.generate({seed: wseed});
      const wdid = `did:key:${wkey.publicKeyMultibase}`;
      wkey.id = `${wdid}#${wkey.publicKeyMultibase}`;
      wkey.controller = wdid;
      const wsuite = new DataIntegrityProof({signer: wkey.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
      if(input.created) {
        wsuite.date = input.created;
      }
      signed = await jsigs.sign(signed, {
        suite: wsuite, purpose: new jsigs.purposes.AssertionProofPurpose(), documentLoader
      });
      return {did, verificationMethod: vmId, publicKeyMultibase: key.publicKeyMultibase, signed,
        witnessVerificationMethod: wkey.id};
    }
  } else {
    const presentation = structuredClone(input.presentation);
    presentation.holder = did;
    if(input.credentials) {
      presentation.verifiableCredential = input.credentials;
    }
    signed = await vc.signPresentation({
      presentation, suite, documentLoader,
      challenge: input.challenge, domain: input.domain
    });
  }
  return {did, verificationMethod: vmId, publicKeyMultibase: key.publicKeyMultibase, signed};
});
