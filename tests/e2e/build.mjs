// Build the Enketo page for the end-to-end test: bundle enketo-core + enketo-transformer/web
// (web/src/app.js) with esbuild, and compile enketo-core's formhub theme with sass.
// Recipe and pitfalls: /work/shared/reference/real-clients/README.md (route C).
import * as esbuild from 'esbuild';
import * as sass from 'sass';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
process.chdir(here);
const t0 = performance.now();
mkdirSync('web/dist', { recursive: true });
const core = resolve('node_modules/enketo-core');
await esbuild.build({
    entryPoints: ['web/src/app.js'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110'],
    outfile: 'web/dist/app.js',
    minify: true,
    logLevel: 'warning',
    // only reached by enketo-transformer's unused Node preprocess hook
    external: ['libxslt'],
    // enketo-core's app-overridable modules, mapped to the package defaults
    alias: {
        'enketo/config': `${core}/config.js`,
        'enketo/widgets': `${core}/src/js/widgets.js`,
        'enketo/translator': `${core}/src/js/fake-translator.js`,
        'enketo/dialog': `${core}/src/js/fake-dialog.js`,
        'enketo/file-manager': `${core}/src/js/file-manager.js`,
        'enketo/xpath-evaluator-binding': `${core}/src/js/xpath-evaluator-binding.js`,
    },
    define: { 'process.env.NODE_ENV': '"production"' },
});
// One SCSS import in enketo-core uses the monorepo-absolute path /packages/enketo-core/node_modules/...
const css = sass.compile(`${core}/src/sass/formhub/formhub.scss`, {
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
