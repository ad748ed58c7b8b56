// Run an XForm in the ODK Web Forms engine (@getodk/xforms-engine), headless under jsdom, following a list of
// steps, and print what was observed as JSON on stdout (the assertions live in tests/test_form_engine.py).
//
// usage: node drive_form.mjs FORM.xml STEPS.json
// steps: [{"op": "select"|"set", "name": "c_2a_1", "value": "3"}, {"op": "value"|"label"|"options"|"required"|
//         "relevant"|"hint"|"constraint", "name": "..."}, {"op": "appearance", "name": "s_2", "value": "field-list"}, {"op": "language", "value": "Français (fr)"}, {"op": "languages"},
//         {"op": "payload"}]   — "name" is a field's last path segment.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const t0 = performance.now();
// The engine is tested upstream under jsdom: give it the DOM globals it expects.
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
for (const k of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'document', 'NodeFilter', 'XPathResult', 'Attr', 'Text', 'DocumentFragment', 'HTMLElement']) {
    if (!(k in globalThis)) globalThis[k] = window[k];
}
// The bundled web-tree-sitter takes its Node code path and reads __dirname, which ESM lacks.
globalThis.__dirname = new URL('.', import.meta.url).pathname;
const { loadForm } = await import('@getodk/xforms-engine');

const [xformPath, stepsPath] = process.argv.slice(2);
const steps = JSON.parse(readFileSync(stepsPath, 'utf8'));
const out = { load: null, loadMs: 0, results: [] };

const tLoad = performance.now();
const loaded = await loadForm(readFileSync(xformPath, 'utf8'));
out.load = loaded.status === 'success' ? 'success' : `${loaded.status}: ${loaded.error?.message ?? loaded.error ?? ''}`;
if (loaded.status !== 'success') {
    console.log(JSON.stringify(out));
    process.exit(1);
}
const { root } = loaded.createInstance();
out.loadMs = Math.round(performance.now() - tLoad);

const byName = new Map();
(function walk(n) {
    const ref = n.currentState.reference;
    byName.set(ref.split('/').pop(), n);
    for (const c of n.currentState.children ?? []) walk(c);
})(root);
const node = (name) => {
    const n = byName.get(name);
    if (!n) throw new Error(`no field named ${name}`);
    return n;
};

for (const step of steps) {
    let result;
    try {
        const n = step.name ? node(step.name) : null;
        switch (step.op) {
            case 'select': n.selectValue(step.value); result = 'ok'; break;
            case 'set': n.setValue(step.value); result = 'ok'; break;
            case 'value': result = n.currentState.value; break;
            case 'reference': result = n.currentState.reference; break;
            case 'label': result = n.currentState.label?.asString ?? null; break;
            case 'hint': result = n.currentState.hint?.asString ?? null; break;
            case 'options': result = n.currentState.valueOptions.map((o) => [o.value, o.label?.asString ?? '']); break;
            case 'required': result = { required: n.currentState.required, valid: n.validationState.required.valid }; break;
            case 'constraint': {
                const c = n.validationState.constraint;
                result = { valid: c.valid, message: c.message?.asString ?? null };
                break;
            }
            case 'relevant': result = n.currentState.relevant; break;
            case 'appearance': result = n.appearances?.[step.value] === true; break;
            case 'languages': result = root.languages.map((l) => l.language); break;
            case 'language': root.setLanguage(root.languages.find((l) => l.language === step.value)); result = root.currentState.activeLanguage.language; break;
            case 'payload': {
                const p = await root.prepareInstancePayload();
                result = {
                    status: p.status,
                    violations: (p.violations ?? []).map((v) => v.reference),
                    xml: p.status === 'ready' ? await p.data[0].get('xml_submission_file').text() : null,
                };
                break;
            }
            default: throw new Error(`unknown op ${step.op}`);
        }
    } catch (e) {
        result = { error: String(e?.message ?? e) };
    }
    out.results.push(result);
}
out.totalMs = Math.round(performance.now() - t0);
console.log(JSON.stringify(out));
