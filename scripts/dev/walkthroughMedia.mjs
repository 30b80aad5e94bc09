// Writes the walkthrough's images in a light and a dark variant from the drawings in
// media/src/walkthrough/, whose colours are named after VS Code theme colours
// (`var(--vscode-foreground)`, ...): the walkthrough shows a picture as an image, where theme
// variables do not reach, so each theme kind gets its colours written in.
//   node scripts/dev/walkthroughMedia.mjs
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const THEMES = {
  light: {
    'font-family': 'system-ui, sans-serif',
    foreground: '#3b3b3b',
    descriptionForeground: '#6b6b6b',
    'editor-background': '#ffffff',
    'widget-border': '#c8c8c8',
    'textLink-foreground': '#005fb8',
    'testing-iconPassed': '#388a34',
    'editorWarning-foreground': '#9a6700',
    errorForeground: '#c72e0f',
    'diffEditor-insertedTextBackground': '#9ccc2c40',
    'diffEditor-removedTextBackground': '#ff000033',
  },
  dark: {
    'font-family': 'system-ui, sans-serif',
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    'editor-background': '#1f1f1f',
    'widget-border': '#454545',
    'textLink-foreground': '#4daafc',
    'testing-iconPassed': '#73c991',
    'editorWarning-foreground': '#cca700',
    errorForeground: '#f85149',
    'diffEditor-insertedTextBackground': '#9ccc2c33',
    'diffEditor-removedTextBackground': '#ff000033',
  },
};

const from = 'media/src/walkthrough';
for (const [theme, colours] of Object.entries(THEMES)) {
  const to = join('media/walkthrough', theme);
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((f) => f.endsWith('.svg'))) {
    // `var(--vscode-NAME, FALLBACK)` (the fallback may itself be a var()) becomes the theme's colour.
    const text = readFileSync(join(from, file), 'utf8').replace(
      /var\(--vscode-([\w-]+)(?:,\s*(?:var\([^)]*\)|[^)])*)?\)/g,
      (all, name) => {
        const colour = colours[name];
        if (!colour) throw new Error(`${file}: no ${theme} colour for ${all}`);
        return colour;
      },
    );
    writeFileSync(join(to, file), text);
  }
}
console.log('media/walkthrough/{light,dark}/*.svg written');
