// Checks a packaged .vsix the way the extension's details page will use it: every image the
// README names, and the icon package.json names, must be inside the package; a relative path that
// is not fails the packaging (the page would show a broken image). Remote images are refused too:
// the details page of an offline install cannot load them.
//   node scripts/dev/checkPackage.mjs dr-runbook.vsix
import { readFileSync } from 'node:fs';
import yauzl from 'yauzl';

const vsix = process.argv[2] ?? 'dr-runbook.vsix';

/** The entries of the zip: `extension/README.md`, ... */
function entries(file) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const names = new Set();
      zip.on('entry', (entry) => {
        names.add(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Images a markdown text shows: `![alt](path "title")` and `<img src="path">`. */
function readmeImages(markdown) {
  const found = [];
  for (const m of markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(m[1]);
  for (const m of markdown.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) found.push(m[1]);
  return found;
}

const names = await entries(vsix);
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const wanted = [
  ...readmeImages(readFileSync('README.md', 'utf8')).map((path) => ({ path, from: 'README.md' })),
  ...(manifest.icon ? [{ path: manifest.icon, from: 'package.json "icon"' }] : []),
];
const problems = [];
for (const { path, from } of wanted) {
  if (/^[a-z]+:/i.test(path))
    problems.push(`${from} shows ${path}: a remote image; ship it in media/ and name it by a relative path`);
  else if (!names.has(`extension/${path.replace(/^\.\//, '')}`))
    problems.push(`${from} shows ${path}, which is not in ${vsix} (is it in media/, and kept by .vscodeignore?)`);
}
if (!manifest.icon) problems.push('package.json names no "icon" (a 128x128 PNG in media/)');
if (problems.length) {
  for (const p of problems) console.error(`✖ ${p}`);
  process.exit(1);
}
console.log(`✔ ${vsix}: the icon and all ${wanted.length - 1} image(s) the README shows are in the package`);
