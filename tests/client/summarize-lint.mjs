// Reads the JSON reports of Spectral and Redocly and prints, per linter, its errors in full and
// its warnings counted by rule. Exits 1 if either found an error (or a report is missing).
// Usage: node summarize-lint.mjs <spectral.json> <redocly.json>
import { readFileSync } from "node:fs";

const [spectralPath, redoclyPath] = process.argv.slice(2);
let failed = false;

function report(name, problems) {
  const errors = problems.filter((p) => p.severity === "error");
  const warnings = problems.filter((p) => p.severity === "warn");
  const byRule = {};
  for (const w of warnings) byRule[w.rule] = (byRule[w.rule] ?? 0) + 1;
  const rules = Object.entries(byRule).map(([r, n]) => `${r} ${n}`).join(", ");
  console.log(`lint: ${name}: ${errors.length} errors, ${warnings.length} warnings${rules ? ` (${rules})` : ""}`);
  for (const e of errors) console.log(`lint: ${name}: error ${e.rule} at ${e.at}: ${e.message}`);
  if (errors.length > 0) failed = true;
}

function read(path, name) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    console.log(`lint: ${name}: no report (${e.message})`);
    failed = true;
    return undefined;
  }
}

// Spectral: an array of results; severity 0 error, 1 warning, 2 information, 3 hint.
const spectral = read(spectralPath, "spectral");
if (spectral) {
  const sev = ["error", "warn", "info", "hint"];
  report(
    "spectral",
    spectral.map((r) => ({ severity: sev[r.severity], rule: r.code, at: r.path.join("."), message: r.message })),
  );
}

// Redocly: { totals, problems: [{ ruleId, severity: "error" | "warn", message, location }] }.
const redocly = read(redoclyPath, "redocly");
if (redocly) {
  report(
    "redocly",
    (redocly.problems ?? []).map((p) => ({
      severity: p.severity,
      rule: p.ruleId,
      at: p.location?.[0]?.pointer ?? "?",
      message: p.message,
    })),
  );
}

process.exit(failed ? 1 : 0);
