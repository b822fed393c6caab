// Builds the static files the pages load into portal/static/dist/ (run by `make`):
//   portal.scss  -> portal-<hash>.css  (USWDS from npm with the portal's settings, compiled by Sass)
//   staff.scss   -> staff-<hash>.css   (what only the staff pages use, loaded after portal.css)
//   portal.js    -> portal-<hash>.js
//   favicon.svg  -> favicon-<hash>.svg, and favicon.ico as it is (for /favicon.ico)
// plus the USWDS icons the CSS refers to, each with its hash in its name, so browsers may keep
// every file for a year. manifest.json maps each source name to its fingerprinted name (read by
// portal/static_files.py); every file also gets .br and .gz copies, compressed once here at the
// best ratio, which WhiteNoise serves to browsers that accept them.
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import * as esbuild from "esbuild";
import * as sass from "sass";

const assets = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(assets, "../..");
const outdir = path.join(root, "portal/static/dist");

// Sass through esbuild: esbuild then resolves the CSS's url()s, copies and fingerprints the icons.
const uswdsSass = {
  name: "uswds-sass",
  setup(build) {
    build.onLoad({ filter: /\.scss$/ }, (args) => {
      const result = sass.compile(args.path, {
        loadPaths: [path.join(root, "node_modules/@uswds/uswds/packages")],
        quietDeps: true, // USWDS's own deprecation warnings are not ours to fix
      });
      return { contents: result.css, loader: "css", resolveDir: path.dirname(args.path) };
    });
  },
};

await fs.rm(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: ["portal.scss", "staff.scss", "portal.js"].map((name) => path.join(assets, name)),
  bundle: true,
  minify: true,
  target: ["chrome90", "firefox90", "safari14"],
  outdir,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  loader: { ".svg": "file" },
  plugins: [uswdsSass],
  metafile: true,
  logLevel: "warning",
});

const manifest = {};
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) {
    manifest[path.basename(meta.entryPoint).replace(/\.scss$/, ".css")] = path.basename(output);
  }
}
// The favicon is no module of either: copy it under a name with its hash, as esbuild names the rest.
const favicon = await fs.readFile(path.join(assets, "favicon.svg"));
const faviconHash = createHash("sha256").update(favicon).digest("hex").slice(0, 8).toUpperCase();
manifest["favicon.svg"] = `favicon-${faviconHash}.svg`;
await fs.writeFile(path.join(outdir, manifest["favicon.svg"]), favicon);
// favicon.ico keeps its name: browsers ask for /favicon.ico itself when a page names no icon.
await fs.copyFile(path.join(assets, "favicon.ico"), path.join(outdir, "favicon.ico"));

for (const file of await fs.readdir(outdir)) {
  const data = await fs.readFile(path.join(outdir, file));
  const brotli = zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY },
  });
  const gzip = zlib.gzipSync(data, { level: zlib.constants.Z_BEST_COMPRESSION });
  if (brotli.length < data.length) await fs.writeFile(path.join(outdir, `${file}.br`), brotli);
  if (gzip.length < data.length) await fs.writeFile(path.join(outdir, `${file}.gz`), gzip);
}
await fs.writeFile(path.join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`portal/static/dist: ${Object.values(manifest).join(", ")}`);
