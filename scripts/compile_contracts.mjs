// Compiles contracts/SandboxUSDT.sol with the npm package `solc` and writes the artifact
// (ABI, creation bytecode, compiler version, source hash) used by the local chain helpers.
// Usage: node scripts/compile_contracts.mjs [--check]
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");

const sourcePath = "contracts/SandboxUSDT.sol";
const artifactPath = "src/sigmatrade/sandbox/contracts/SandboxUSDT.json";
const source = readFileSync(sourcePath, "utf8");
const input = {
  language: "Solidity",
  sources: { "SandboxUSDT.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "paris",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts["SandboxUSDT.sol"].SandboxUSDT;
const artifact = {
  contractName: "SandboxUSDT",
  compiler: `solc ${solc.version()}`,
  sourceSha256: createHash("sha256").update(source).digest("hex"),
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
};
const text = JSON.stringify(artifact, null, 2) + "\n";
if (process.argv.includes("--check")) {
  const current = readFileSync(artifactPath, "utf8");
  if (current !== text) {
    console.error("artifact is stale: run `npm run compile-contracts`");
    process.exit(1);
  }
  console.log("artifact up to date");
} else {
  writeFileSync(artifactPath, text);
  console.log(`wrote ${artifactPath} (${contract.evm.bytecode.object.length / 2} bytes of bytecode)`);
}
