// Enketo page of the end-to-end test: fetch the XForm, transform it in the page with
// enketo-transformer's web build (the browser's XSLTProcessor; cached for repeat visits), render it with enketo-core
// (style "pages": one page per section) and submit the instance as OpenRosa multipart.
//
// Query parameters: xform (URL of the XForm, default form.xml) or transformed (URL of an already transformed
// form, JSON), submit (URL of the OpenRosa submission endpoint, default /submission), lang (initial language code).
import { Form } from 'enketo-core';
import { transform } from 'enketo-transformer/web';

const params = new URLSearchParams(location.search);
const status = (text) => { document.getElementById('submit-status').textContent = text; };

async function loadXForm(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const xform = await res.text();
    // The web transformer does not fail on malformed XML (DOMParser returns a <parsererror>
    // document), so check well-formedness first.
    const probe = new DOMParser().parseFromString(xform, 'text/xml');
    const error = probe.getElementsByTagName('parsererror')[0];
    if (error) throw new Error('XForm is not well-formed XML: ' + error.textContent);
    return xform;
}

// Like Enketo Express's offline (/x/) mode, keep the transformed form in the browser (Cache API), keyed by the
// XForm's SHA-256, so that a repeat visit skips the XSLT transform; a first visit always transforms.
async function transformCached(xform) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(xform));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const key = `/__enketo-transform/${hex}`;
    const cache = self.caches ? await caches.open('qaf-enketo-transform') : null;
    const hit = cache && (await cache.match(key));
    if (hit) return { result: await hit.json(), source: 'browser-cache' };
    const result = await transform({ xform, theme: 'formhub' });
    if (cache) cache.put(key, new Response(JSON.stringify(result))).catch(() => {});
    return { result, source: 'xslt' };
}

// The transformed form: already transformed by the server (?transformed=URL of the JSON, as Enketo Express serves
// a form from its cache), else the XForm (?xform=URL) from this browser's cache or through the XSLT transform.
async function getTransformed() {
    if (params.get('transformed')) {
        return { result: await (await fetch(params.get('transformed'))).json(), source: 'server' };
    }
    return transformCached(await loadXForm(params.get('xform') || 'form.xml'));
}

async function submit(form) {
    const valid = await form.validate();
    if (!valid) { status('invalid'); return; }
    const fd = new FormData();
    const xml = form.getDataStr({ irrelevant: false });
    fd.append('xml_submission_file', new Blob([xml], { type: 'text/xml' }), 'xml_submission_file.xml');
    const res = await fetch(params.get('submit') || '/submission', {
        method: 'POST', body: fd, headers: { 'X-OpenRosa-Version': '1.0' },
    });
    status(`submitted ${res.status}`);
    document.body.dataset.submitted = String(res.status);
}

async function main() {
    const t0 = performance.now();
    const { result, source } = await getTransformed();
    window.enketoTransformed = result;
    const tTransform = performance.now() - t0;
    const wrapper = document.querySelector('.form-wrapper');
    wrapper.insertAdjacentHTML('afterbegin', result.form);
    const formEl = wrapper.querySelector('form.or');
    const data = { modelStr: result.model, instanceStr: null, submitted: false, external: [], session: {} };
    const form = new Form(formEl, data, { language: params.get('lang') || undefined });
    const loadErrors = form.init();
    document.getElementById('submit-form').addEventListener('click', () => {
        submit(form).catch((e) => status('error: ' + e));
    });
    window.enketoForm = form;
    // performance.now() counts from the navigation start: script start, fetch + transform, init, in ms
    window.__enketo = {
        ready: true, loadErrors, source, scriptStartMs: t0, transformMs: tTransform,
        initMs: performance.now() - t0 - tTransform, readyMs: performance.now(),
    };
    document.body.dataset.ready = 'true';
}

main().catch((e) => {
    window.__enketo = { ready: false, error: String((e && e.stack) || e) };
    document.body.dataset.ready = 'error';
    console.error(e);
});
