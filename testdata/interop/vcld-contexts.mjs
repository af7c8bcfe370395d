// vcld-contexts.mjs prints, as one JSON object on stdout, every JSON-LD context
// document that pkg/vcld pins, keyed by context URL, as the npm packages the JS
// peers load give them ({url: {file, text}}). pkg/vcld's tests compare the
// embedded copies with this output byte for byte.
// `node vcld-contexts.mjs write <dir>` (re)writes the .jsonld files into <dir>.
// It never touches the network.
import fs from 'node:fs';
import path from 'node:path';
import {contextFiles, writeOutput} from './vcld-lib.mjs';

const files = contextFiles();
if(process.argv[2] === 'write') {
  for(const {file, text} of files.values()) {
    fs.writeFileSync(path.join(process.argv[3], file), text);
  }
}
writeOutput(Object.fromEntries(files));
