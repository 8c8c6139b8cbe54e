#!/usr/bin/env node
// Plain JavaScript on purpose: this file must parse on any Node, so that an old
// one gets one clear sentence instead of a stack trace about `.ts` files.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 11)) {
  console.error(
    `boxoffice needs Node.js 24.11 or newer (this is ${process.version}); run it through npm (npm start / npx boxoffice), which uses the project's own Node 24.`,
  );
  process.exit(1);
}
await import('../src/cli.ts');
