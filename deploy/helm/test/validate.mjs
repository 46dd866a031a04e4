// Schema-checks every Kubernetes object in the given multi-document YAML files (helm template
// output) against the OpenAPI schemas shipped by kubernetes-models. Prints one line per object and
// exits 1 when any object fails or has a kind this script has no schema for.
// Usage: node validate.mjs rendered.yaml [more.yaml ...]
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

// apiVersion -> module prefix holding one class per kind.
const modules = {
  'v1': 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

async function check(doc) {
  const name = `${doc.kind}/${doc.metadata?.name}`;
  const prefix = modules[doc.apiVersion];
  if (!prefix) {
    return `${name}: no schema for apiVersion ${doc.apiVersion}`;
  }
  let model;
  try {
    model = (await import(`${prefix}/${doc.kind}`))[doc.kind];
  } catch {
    return `${name}: no schema for kind ${doc.kind} in ${doc.apiVersion}`;
  }
  try {
    new model(doc).validate();
    return null;
  } catch (e) {
    return `${name}: ${e.message}`;
  }
}

if (process.argv.length < 3) {
  console.error('usage: node validate.mjs rendered.yaml [more.yaml ...]');
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, 'utf8'))) {
    if (doc == null) continue; // empty documents between '---' separators
    const error = await check(doc);
    if (error) {
      failed++;
      console.log(`FAIL ${file} ${error}`);
    } else {
      passed++;
      console.log(`ok   ${file} ${doc.kind}/${doc.metadata.name}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
