// The transformed form, requested as early as possible: index.html loads this small module (async) before the app,
// so fetching the form, and transforming an XForm, overlap with loading enketo-core; app.js imports the same
// module instance (same URL) and awaits `transformedForm`.
//
// Query parameters: xform (URL of the XForm, default form.xml) or transformed (URL of an already transformed
// form, JSON, as Enketo Express serves a form from its cache).
const params = new URLSearchParams(location.search);

async function loadXForm(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return res.text();
}

// Like Enketo Express's offline (/x/) mode, keep the transformed form in the browser (Cache API), keyed by the
// XForm's SHA-256, so that a repeat visit skips the XSLT transform; a first visit always transforms.
async function transformCached(xform, transformer) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(xform));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const key = `/__enketo-transform/${hex}`;
    const cache = self.caches ? await caches.open('qaf-enketo-transform') : null;
    const hit = cache && (await cache.match(key));
    if (hit) return { result: await hit.json(), source: 'browser-cache' };
    const { transform } = await transformer;
    const result = await transform({ xform, theme: 'formhub' });
    if (cache) cache.put(key, new Response(JSON.stringify(result))).catch(() => {});
    return { result, source: 'xslt' };
}

// The transformed form: already transformed by the server (?transformed=URL of the JSON), else the XForm
// (?xform=URL) from this browser's cache or through the XSLT transform (the transformer module is only loaded then).
async function getTransformed() {
    if (params.get('transformed')) {
        return { result: await (await fetch(params.get('transformed'))).json(), source: 'server' };
    }
    // the transformer module loads while the XForm downloads (a repeat visit does not run it, but has it cached)
    const transformer = import('enketo-transformer/web');
    transformer.catch(() => {});  // reported when awaited
    return transformCached(await loadXForm(params.get('xform') || 'form.xml'), transformer);
}

/** Promise of { result: the transformer's output, source: server | browser-cache | xslt, readyMs: when (ms since
 * the navigation start) it was there }. */
export const transformedForm = getTransformed().then((form) => ({ ...form, readyMs: performance.now() }));
// A failure is reported by app.js when it awaits the promise; this avoids an "unhandled rejection" before that.
transformedForm.catch(() => {});

