// vcld-verify.mjs: verify with the JS peers (@digitalbazaar/vc,
// eddsa-rdfc-2022 via @digitalbazaar/data-integrity, Ed25519Signature2020),
// for pkg/vcld's interop tests; did:key resolved locally, contexts offline.
// stdin: {"credential": {...}} or {"presentation": {...}, "challenge", "domain"},
//        "contexts": {url: doc}
// stdout: {"verified": bool, "error": "text"}; a batch {"batch": [request...]} answers [answer...].
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {errorText, makeDocumentLoader, serve} from './vcld-lib.mjs';

const suite = [
  new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
  new Ed25519Signature2020(),
];
await serve(async input => {
  const documentLoader = makeDocumentLoader(input.contexts || {});
  try {
    let result;
    // Status is not what these tests check (pkg/statuslist has its own).
    const checkStatus = async () => ({verified: true});
    if(input.credential) {
      result = await vc.verifyCredential({credential: input.credential, suite, documentLoader, checkStatus});
    } else {
      result = await vc.verify({
        presentation: input.presentation, suite, documentLoader, checkStatus,
        challenge: input.challenge, domain: input.domain
      });
    }
    return {verified: !!result.verified, error: result.verified ? '' : errorText(result.error || result)};
  } catch(e) {
    return {verified: false, error: errorText(e)};
  }
});
