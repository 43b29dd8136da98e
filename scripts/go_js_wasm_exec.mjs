// The Node side of scripts/go_js_wasm_exec: the Go toolchain's
// wasm_exec_node.js, with the imports of module lrpsimd of package lrp
// (lrp/simd_wasm.go, steps_wasm.go) forwarded to web/kernels.wasm
// instantiated on the Go module's memory, as web/runtime.js does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (process.argv.length < 3) {
  console.error('usage: go_js_wasm_exec [wasm binary] [arguments]');
  process.exit(1);
}
globalThis.require = createRequire(import.meta.url);
globalThis.fs = fs;
globalThis.path = path;

const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
await import(pathToFileURL(path.join(goroot, 'lib', 'wasm', 'wasm_exec.js')).href);

// LRP_KERNELS names another build of the kernels (scripts/profile.mjs
// passes one with the functions' names).
const kernelFile = process.env.LRP_KERNELS || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'kernels.wasm');
const simd = (process.env.LRP_SIMD ?? '1') === '1';
let kernel = null;
if (simd) {
  if (!fs.existsSync(kernelFile)) {
    console.error(`go_js_wasm_exec: ${kernelFile} is missing: run scripts/build.sh (or set LRP_SIMD=0)`);
    process.exit(1);
  }
  kernel = await WebAssembly.compile(fs.readFileSync(kernelFile));
}

const go = new globalThis.Go();
go.argv = process.argv.slice(2);
go.env = { TMPDIR: os.tmpdir(), ...process.env, LRP_SIMD: simd ? '1' : '0' };
go.exit = process.exit;
let k = null;
// Every import of module lrpsimd, forwarded to the kernel's export of
// that name (web/runtime.js does the same).
const wasm = await WebAssembly.compile(fs.readFileSync(process.argv[2]));
go.importObject.lrpsimd = {};
for (const { module, name } of WebAssembly.Module.imports(wasm)) {
  if (module === 'lrpsimd') go.importObject.lrpsimd[name] = (...a) => k[name](...a);
}
try {
  const instance = await WebAssembly.instantiate(wasm, go.importObject);
  if (kernel) k = (await WebAssembly.instantiate(kernel, { env: { mem: instance.exports.mem } })).exports;
  process.on('exit', (code) => {
    // Node exits when no event is pending: a deadlock; make Go print it.
    if (code === 0 && !go.exited) {
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  await go.run(instance);
} catch (err) {
  console.error(err);
  process.exit(1);
}
