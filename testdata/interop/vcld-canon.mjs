// vcld-canon.mjs: canonical N-Quads of a JSON-LD document as
// @digitalbazaar/eddsa-rdfc-2022-cryptosuite computes them (jsonld.js toRDF in
// safe mode + rdf-canonize RDFC-1.0), for pkg/vcld's canonicalisation tests.
// stdin: {"doc": {...}, "contexts": {url: doc}}   stdout: {"nquads": "...", "error": "..."}
// A batch {"batch": [request...]} answers [answer...].
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {errorText, makeDocumentLoader, serve} from './vcld-lib.mjs';

await serve(async input => {
  const documentLoader = makeDocumentLoader(input.contexts || {});
  try {
    return {nquads: await cryptosuite.canonize(input.doc, {documentLoader}), error: ''};
  } catch(e) {
    return {nquads: '', error: errorText(e)};
  }
});
