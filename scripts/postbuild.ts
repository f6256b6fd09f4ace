import { chmodSync } from 'node:fs';

// npm links the bin to this file; it must be executable when run from a checkout.
chmodSync(new URL('../src/main.js', import.meta.url), 0o755);
