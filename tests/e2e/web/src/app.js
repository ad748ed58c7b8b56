// Enketo page of the end-to-end test: render the transformed form (from form-source.js) with enketo-core
// (style "pages": one page per section) and submit the instance as OpenRosa multipart.
//
// Query parameters: see form-source.js; submit (URL of the OpenRosa submission endpoint, default /submission),
// lang (initial language code).
import { Form } from 'enketo-core';
import { transformedForm } from './form-source.js';

const params = new URLSearchParams(location.search);
const status = (text) => { document.getElementById('submit-status').textContent = text; };

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
    const { result, source, readyMs: formMs } = await transformedForm;
    window.enketoTransformed = result;
    const tForm = performance.now();
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
    // ms since the navigation start: the app's script starts, the transformed form is there, the form is ready;
    // and the ms of render + init
    window.__enketo = {
        ready: true, loadErrors, source, scriptStartMs: t0, formMs,
        initMs: performance.now() - tForm, readyMs: performance.now(),
    };
    document.body.dataset.ready = 'true';
}

main().catch((e) => {
    window.__enketo = { ready: false, error: String((e && e.stack) || e) };
    document.body.dataset.ready = 'error';
    console.error(e);
});
