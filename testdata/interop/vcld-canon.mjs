// vcld-canon.mjs: canonical N-Quads of a JSON-LD document as
// @digitalbazaar/eddsa-rdfc-2022-cryptosuite computes them (jsonld.js toRDF in
// safe mode + rdf-canonize RDFC-1.0), for pkg/vcld's canonicalisation tests.
// stdin: {"doc": {...}, "contexts": {url: doc}}   stdout: {"nquads": "...", "error": "..."}
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {errorText, makeDocumentLoader, readInput, writeOutput} from './vcld-lib.mjs';

const input = await readInput();
const documentLoader = makeDocumentLoader(input.contexts || {});
try {
  const nquads = await cryptosuite.canonize(input.doc, {documentLoader});
  writeOutput({nquads, error: ''});
} catch(e) {
  writeOutput({nquads: '', error: errorText(e)});
}
