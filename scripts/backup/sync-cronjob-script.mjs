// Copies scripts/backup/dr-backup.sh into the ConfigMap of k8s/maintenance/backup-cronjob.yaml,
// keeping the file's comments and layout. Run after every change to dr-backup.sh:
//   node scripts/backup/sync-cronjob-script.mjs
// (a unit test fails while the two differ).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments, Scalar } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const manifest = resolve(root, 'k8s/maintenance/backup-cronjob.yaml');
const script = readFileSync(resolve(root, 'scripts/backup/dr-backup.sh'), 'utf8');

const docs = parseAllDocuments(readFileSync(manifest, 'utf8'));
const configMap = docs.find((d) => d.get('kind') === 'ConfigMap' && d.getIn(['metadata', 'name']) === 'postgres-backup-script');
if (!configMap) throw new Error(`${manifest}: no ConfigMap postgres-backup-script`);
const value = new Scalar(script);
value.type = Scalar.BLOCK_LITERAL;
configMap.setIn(['data', 'dr-backup.sh'], value);
writeFileSync(manifest, docs.map((d) => d.toString({ lineWidth: 0 })).join(''));
console.log(`${manifest}: ConfigMap postgres-backup-script now holds dr-backup.sh (${script.length} characters)`);
