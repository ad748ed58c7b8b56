// Build the Enketo page for the end-to-end test: bundle enketo-core + enketo-transformer/web
// (web/src/*.js) with esbuild, and compile enketo-core's formhub theme (web/src/formhub.scss) with sass.
// The pitfalls of this build are noted below, where each is handled.
import * as esbuild from 'esbuild';
import * as sass from 'sass';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
process.chdir(here);
const t0 = performance.now();
rmSync('web/dist', { recursive: true, force: true });
mkdirSync('web/dist', { recursive: true });
const core = resolve('node_modules/enketo-core');
await esbuild.build({
    // ES modules: the app (enketo-core), the small module that gets the transformed form (index.html starts it
    // first) and the XSLT transformer (1.1 MB with its language table and markdown), which form-source.js imports
    // only when it has to transform an XForm in the page.
    entryPoints: {
        app: 'web/src/app.js',
        'form-source': 'web/src/form-source.js',
        transformer: 'enketo-transformer/web',
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110'],
    outdir: 'web/dist',
    chunkNames: 'chunk-[hash]',
    minify: true,
    logLevel: 'warning',
    // only reached by enketo-transformer's unused Node preprocess hook
    external: ['libxslt'],
    // enketo-core's app-overridable modules, mapped to the package defaults
    alias: {
        'enketo/config': `${core}/config.js`,
        'enketo/widgets': resolve('web/src/widgets.js'),  // only the widgets the QAF form uses
        'enketo/translator': `${core}/src/js/fake-translator.js`,
        'enketo/dialog': `${core}/src/js/fake-dialog.js`,
        'enketo/file-manager': `${core}/src/js/file-manager.js`,
        'enketo/xpath-evaluator-binding': `${core}/src/js/xpath-evaluator-binding.js`,
    },
    // the transformer's DOMParser throws on malformed XML (web/src/checking-dom-parser.js)
    define: { 'process.env.NODE_ENV': '"production"', 'globalThis.DOMParser': 'CheckingDOMParser' },
    inject: ['web/src/checking-dom-parser.js'],
});
// The formhub theme with only the used widgets' styles (web/src/formhub.scss).
// One SCSS import in enketo-core uses the monorepo-absolute path /packages/enketo-core/node_modules/...
const css = sass.compile('web/src/formhub.scss', {
    loadPaths: ['node_modules'],
    quietDeps: true,
    silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'slash-div'],
    importers: [{
        findFileUrl(url) {
            const m = url.match(/^\/packages\/enketo-core\/node_modules\/(.*)$/);
            return m ? pathToFileURL(resolve('node_modules', m[1])) : null;
        },
    }],
});
writeFileSync('web/dist/formhub.css', css.css);
console.log(`built tests/e2e/web/dist in ${(performance.now() - t0).toFixed(0)} ms`);
