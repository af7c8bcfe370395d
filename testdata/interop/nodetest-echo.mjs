// Echoes its JSON input with the versions of the peers, so pkg/nodetest can prove the setup works.
import { readFileSync } from 'node:fs';
const input = JSON.parse(readFileSync(0, 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('./node_modules/jose/package.json', import.meta.url)));
process.stdout.write(JSON.stringify({ echo: input, jose: pkg.version }));
