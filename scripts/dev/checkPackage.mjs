// Checks a packaged .vsix the way the extension's details page will use it: every image the
// README names, and the icon package.json names, must be inside the package; a relative path that
// is not fails the packaging (the page would show a broken image). Remote images are refused too:
// the details page of an offline install cannot load them. The code is checked the same way: the
// "main" bundle and every bundle a shipped bundle loads by name (dist/markdown.cjs, ...) must be in
// the package, or the installed extension fails on first use where the development copy works.
//   node scripts/dev/checkPackage.mjs dr-runbook.vsix
import { Buffer } from 'node:buffer';
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

/** The text of one entry of the zip. */
function entryText(file, name) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on('entry', (entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks = [];
          stream.on('data', (c) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        });
      });
      zip.on('end', () => reject(new Error(`${name} is not in ${file}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Bundles a bundle loads by file name: `require(join(__dirname, "markdown.cjs"))`, minified or not. */
function loadedBundles(code) {
  return [...code.matchAll(/__dirname\s*,\s*["']([\w.-]+\.cjs)["']/g)].map((m) => m[1]);
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
const main = `extension/${manifest.main.replace(/^\.\//, '')}`;
const bundles = [main];
for (let i = 0; i < bundles.length; i++) {
  if (!names.has(bundles[i])) {
    problems.push(`${bundles[i].replace(/^extension\//, '')} is not in ${vsix} (keep it in .vscodeignore)`);
    continue;
  }
  const dir = bundles[i].slice(0, bundles[i].lastIndexOf('/') + 1);
  for (const file of loadedBundles(await entryText(vsix, bundles[i])))
    if (!bundles.includes(dir + file)) bundles.push(dir + file);
}
if (!manifest.icon) problems.push('package.json names no "icon" (a 128x128 PNG in media/)');
if (problems.length) {
  for (const p of problems) console.error(`✖ ${p}`);
  process.exit(1);
}
console.log(
  `✔ ${vsix}: the icon, all ${wanted.length - 1} image(s) the README shows and the ${bundles.length} bundle(s) the extension loads are in the package`,
);
