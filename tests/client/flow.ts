// A front end's first steps, written against the client generated from api-spec/openapi.json
// (openapi-typescript + openapi-fetch), compiled with `tsc --strict` and run against a live
// server: a platform manager and a researcher register and sign in, the manager publishes a
// platform, the researcher posts a need, and the need's matches include the platform.
// Usage: node build/flow.js <base-url>; last line `client: N passed, M failed`.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type PlatformFields = components["schemas"]["PlatformFields"];
type NeedFields = components["schemas"]["NeedFields"];

const base = process.argv[2];
if (!base) {
  console.error("usage: node build/flow.js <base-url>");
  process.exit(2);
}
const api = createClient<paths>({ baseUrl: base });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let passed = 0;
let failed = 0;
function check(what: string, ok: boolean, detail?: unknown): boolean {
  if (ok) {
    passed++;
    console.log(`ok    ${what}`);
  } else {
    failed++;
    console.log(`FAIL  ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
  }
  return ok;
}

// The compiler must know the API: each line below is an error that the generated types catch
// (tsc fails with "Unused '@ts-expect-error' directive" if one of them were accepted).
function typesAreChecked(): void {
  // @ts-expect-error a path the document does not have
  void api.GET("/api/v1/no-such-route");
  // @ts-expect-error a need without its required fields
  const incomplete: NeedFields = { title: "Exomes" };
  // @ts-expect-error maturity_level is a number
  const wrong: Partial<PlatformFields> = { maturity_level: "high" };
  void incomplete;
  void wrong;
}
void typesAreChecked;

async function account(role: "platform_manager" | "researcher", email: string): Promise<string | undefined> {
  const password = "correct horse battery staple";
  const reg = await api.POST("/api/v1/auth/register", {
    body: { email, password, display_name: `Client test ${role}`, role },
  });
  if (!check(`registerAccount (${role}) answers 201`, reg.response.status === 201 && reg.data?.role === role, reg.error ?? reg.data)) {
    return undefined;
  }
  const tok = await api.POST("/api/v1/auth/token", { body: { email, password } });
  const token = tok.data?.access_token;
  check(`issueToken (${role}) gives a bearer token`, tok.response.status === 200 && typeof token === "string" && token.length > 0, tok.error);
  return token;
}

async function main(): Promise<void> {
  const run = Date.now().toString(36);
  const manager = await account("platform_manager", `manager-${run}@example.org`);
  const researcher = await account("researcher", `researcher-${run}@example.org`);
  if (!manager || !researcher) return;

  const me = await api.GET("/api/v1/auth/me", { headers: bearer(researcher) });
  check("getCurrentUser knows the researcher", me.data?.role === "researcher", me.error ?? me.data);

  const platform: PlatformFields = {
    name: `Client Test Exome Core ${run}`,
    organisation: { name: "Client Test Institute", ror_id: null },
    country: "PT",
    city: "Lisbon",
    description: "Tumour-normal exomes from FFPE tissue, with variant calling.",
    maturity_level: 2,
    readiness_areas: ["translational-research"],
    accepts_external_samples: true,
    accepts_cross_border: true,
    data_standards: ["vcf"],
    capabilities: [
      {
        technology: "whole-exome-sequencing",
        instruments: ["Illumina NovaSeq X Plus"],
        sample_types: ["ffpe-tissue"],
        monthly_capacity: 150,
        turnaround_days: 21,
        accreditations: [],
        services: ["wet-lab", "bioinformatics"],
      },
    ],
    status: "published",
  };
  const created = await api.POST("/api/v1/platforms", { body: platform, headers: bearer(manager) });
  const platformId = created.data?.id;
  if (!check("createPlatform answers 201 with an id and an ETag", created.response.status === 201 && !!platformId && !!created.response.headers.get("etag"), created.error)) return;
  check("the platform is published", created.data?.status === "published", created.data?.status);

  const read = await api.GET("/api/v1/platforms/{id}", { params: { path: { id: platformId! } } });
  check("getPlatform reads it back without a token", read.data?.name === platform.name, read.error);

  const need: NeedFields = {
    title: `Exomes for a lung adenocarcinoma cohort ${run}`,
    description: "120 FFPE resections; somatic and germline variants.",
    technologies: [{ technology: "whole exome sequencing", required: true }],
    sample_type: "ffpe-tissue",
    sample_count: 120,
    cancer_type: "LUAD",
    readiness_area: "translational-research",
    country: "LT",
    acceptable_countries: ["ANY"],
  };
  const posted = await api.POST("/api/v1/needs", { body: need, headers: bearer(researcher) });
  const needId = posted.data?.id;
  if (!check("createNeed answers 201 with an id", posted.response.status === 201 && !!needId, posted.error)) return;
  check(
    "the free-text technology was read as a term",
    posted.data?.technologies[0]?.technology === "whole-exome-sequencing",
    posted.data?.technologies,
  );

  const matches = await api.GET("/api/v1/needs/{id}/matches", {
    params: { path: { id: needId! } },
    headers: bearer(researcher),
  });
  const found = matches.data?.matches.find((m) => m.platform.id === platformId);
  check("getNeedMatches answers 200", matches.response.status === 200, matches.error);
  check("the platform is among the need's matches", !!found, matches.data?.matches.map((m) => m.platform.name));
  check("its score is in (0, 1] and explained", !!found && found.score > 0 && found.score <= 1 && found.components.length > 0, found);

  const missing = await api.GET("/api/v1/needs/{id}/matches", {
    params: { path: { id: "00000000-0000-0000-0000-000000000000" } },
  });
  check(
    "an unknown need is a 404 problem document",
    missing.response.status === 404 && missing.response.headers.get("content-type")?.startsWith("application/problem+json") === true,
    missing.error,
  );
}

try {
  await main();
} catch (e) {
  check("the flow ran without throwing", false, String(e));
}
console.log(`client: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
