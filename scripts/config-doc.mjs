// Regenerates docs/configuration.md from the config fields of the core and the features (via dist/). Run: npm run build && node scripts/config-doc.mjs
import { writeFileSync } from 'node:fs';
import { allFields, FEATURES } from '../dist/app/features.js';
import { declarationsOf } from '../dist/app/lifecycle.js';
import { DYNAMIC_KEYS } from '../dist/settings/service.js';

// The core's fields and every feature's (src/app/features.ts).
const FIELDS = allFields();
const dynamic = [...DYNAMIC_KEYS, ...declarationsOf(FEATURES).settings.keys];

const fmt = (v) =>
  v === undefined ? 'unset' : Array.isArray(v) ? (v.length ? v.join(',') : 'empty') : String(v);
const rows = Object.entries(FIELDS).map(([name, f]) => {
  const env = [f.env, ...(f.aliases ?? [])].map((e) => `\`${e}\``).join(' / ');
  const dyn = dynamic.includes(name) ? ' ✱' : '';
  return `| ${env}${dyn} | ${f.secret ? '(secret) ' : ''}${fmt(f.default)} | ${f.doc.replace(/\|/g, '\\|')} |`;
});
const text = `# Configuration

Tessera reads \`TESSERA_*\` environment variables at start, optionally from a JSON file named by
\`TESSERA_CONFIG_FILE\` whose keys are the same names (\`{"TESSERA_PORT": 8080}\`; the environment wins,
unknown keys are refused). Every value is validated before anything starts, its structure included
(addresses and CIDRs, policies, host=tenant pairs, origins, URLs, the key file, the first-run admin
password): a bad one stops the server with exit code 2 and one line naming the variable, the problem and
an example. A \`TESSERA_*\` variable that no setting reads is reported with the nearest known name
(\`TESSERA_PROT: no such setting, did you mean TESSERA_PORT?\`). The effective configuration is logged at
start, secrets shown as \`***\`.

\`NODE_ENV=production\` refuses: an unknown \`TESSERA_*\` variable, \`TESSERA_DEMO\`, an HS256 secret under
256 bits or that looks like a placeholder, \`TESSERA_CORS_ORIGINS=*\`, and an unset \`TESSERA_TRUST_PROXY\`
(set it to your TLS proxies, or \`none\`).

✱ = also changeable at run time through \`PATCH /api/admin/settings\`; the stored value then wins over the
start value on every node within a second, without restart (\`null\` restores the start value).

| variable | default | meaning |
| --- | --- | --- |
${rows.join('\n')}

This file is generated from the config fields (\`src/config/schema.ts\` and each feature's) by \`node scripts/config-doc.mjs\`; a test fails when a setting is missing here.
`;
writeFileSync(new URL('../docs/configuration.md', import.meta.url), text);
console.log(`docs/configuration.md: ${rows.length} settings`);
