-- Mixed read/write workload for the omics-match soak test (wrk 4.x, LuaJIT).
--
-- Started by benches/soak/soak.sh, which passes the data it prepared through the environment:
--   SOAK_TOKEN      bearer token of a platform_manager (used for the writes only)
--   SOAK_PLATFORMS  comma-separated ids of published platforms (demo data)
--   SOAK_NEEDS      comma-separated ids of needs (demo data)
--   SOAK_OWN        comma-separated ids of platforms owned by the token's account (PATCH targets)
--   SOAK_RUN        a tag that makes the names of created platforms unique across runs
--   SOAK_WRITES     "0" drops the writes from the mix (diagnostic; default: writes on)
--
-- Mix (per 100 requests, drawn at random per request):
--   reads 70:   22 platform search with q (facets come with every list response)
--               14 platform search with filters (country / technology / readiness_area)
--               12 need search (q and/or filters)
--               10 GET /platforms/{id}
--                6 GET /needs/{id}
--                6 platform list, no filter, limit 100 (facet counts over everything)
--   matches 15:  8 GET /needs/{id}/matches
--                7 POST /matches (need described in the body, no token)
--   writes 15:   7 POST /platforms (token, unique name, no external_key)
--                8 PATCH /platforms/{own id} (token, JSON merge patch, no If-Match)
--
-- Every response with status >= 400 is counted as an error (none is expected: every request
-- is valid), the first few error bodies per thread are kept, and `done` prints
-- machine-readable "SOAK <key> <value>" lines that soak.sh turns into its table.

local API = "/api/v1"

-- Weighted table of request kinds; weights sum to 100.
local MIX = {
  { "search_platforms_q", 22 },
  { "search_platforms_filter", 14 },
  { "search_needs", 12 },
  { "get_platform", 10 },
  { "get_need", 6 },
  { "list_platforms", 6 },
  { "need_matches", 8 },
  { "post_matches", 7 },
  { "post_platform", 7 },
  { "patch_platform", 8 },
}

local Q_WORDS = {
  "single%20cell", "exome", "proteomics", "spatial", "methylation", "liquid%20biopsy",
  "sequencing", "metabolomics", "lung", "breast", "sequensing", "panel", "ctDNA", "accredited",
  "tumour", "colorectal", "genome", "mass%20spectrometry",
}
local COUNTRIES = { "BE", "DE", "FR", "IT", "PT", "ES", "NL", "AT", "DK", "FI", "PL", "SE", "LT", "GR" }
local TECHS = {
  "dna-sequencing", "WES", "scRNA-seq", "liquid-biopsy", "proteomics", "spatial-omics",
  "rna-sequencing", "metabolomics", "ctDNA", "targeted-gene-panel-sequencing",
}
local AREAS = { "translational-research", "routine-care", "clinical-implementation", "emerging-technology" }

local MATCH_BODIES = {
  '{"title":"Exomes for a lung cohort","technologies":[{"technology":"whole exom sequencing"}],'
    .. '"sample_type":"FFPE","sample_count":40,"readiness_area":"translational research",'
    .. '"country":"Lithuania","deadline":"2027-06-30"}',
  '{"title":"Single-cell atlas of breast tumours","technologies":[{"technology":"scRNA-seq","required":true}],'
    .. '"sample_type":"viably frozen cells","sample_count":24,"readiness_area":"translational-research",'
    .. '"country":"BE","deadline":"2027-12-31"}',
  '{"title":"ctDNA monitoring","technologies":[{"technology":"ctDNA","required":true}],'
    .. '"sample_type":"plasma","sample_count":120,"readiness_area":"clinical-implementation",'
    .. '"country":"LT","acceptable_countries":["ANY"],"deadline":"2027-09-30","accreditation_required":"ISO 15189"}',
  '{"title":"Plasma proteomics","technologies":[{"technology":"proteomics"}],'
    .. '"sample_type":"plasma","sample_count":300,"readiness_area":"emerging-technology",'
    .. '"country":"PT","deadline":"2028-03-31"}',
  '{"title":"Spatial transcriptomics of colorectal cancer","technologies":[{"technology":"spatial-transcriptomics"}],'
    .. '"sample_type":"FFPE","sample_count":12,"readiness_area":"translational-research",'
    .. '"country":"DE","deadline":"2027-11-30"}',
}

local MATCH_LIMITS = { "", "?limit=5", "?limit=20", "?limit=5&include_excluded=true" }

-- ---------------------------------------------------------------- main-thread side (setup/done)

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

-- ---------------------------------------------------------------- per-thread side

local function split(s)
  local out = {}
  for part in string.gmatch(s or "", "[^,]+") do
    table.insert(out, part)
  end
  return out
end

local function pick(list)
  return list[math.random(#list)]
end

local token, platforms, needs, own, run
local cumulative = {}
local total_weight = 0
local created = 0

-- Per-thread counters, read by `done` through thread:get.
sent = {}           -- kind -> requests issued
statuses = {}       -- "200" -> responses
errors = 0          -- responses with status >= 400
error_samples = {}  -- first bodies of error responses
responses = 0

function init(args)
  token = os.getenv("SOAK_TOKEN") or ""
  platforms = split(os.getenv("SOAK_PLATFORMS"))
  needs = split(os.getenv("SOAK_NEEDS"))
  own = split(os.getenv("SOAK_OWN"))
  run = os.getenv("SOAK_RUN") or tostring(os.time())
  if #platforms == 0 or #needs == 0 or #own == 0 or token == "" then
    error("mixed.lua: SOAK_TOKEN, SOAK_PLATFORMS, SOAK_NEEDS and SOAK_OWN must be set (run it through soak.sh)")
  end
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  -- SOAK_WRITES=0 (soak.sh --no-writes, diagnostic only) drops the two write kinds.
  local writes = os.getenv("SOAK_WRITES") ~= "0"
  for _, entry in ipairs(MIX) do
    if writes or (entry[1] ~= "post_platform" and entry[1] ~= "patch_platform") then
      total_weight = total_weight + entry[2]
      table.insert(cumulative, { entry[1], total_weight })
    end
  end
end

local function choose_kind()
  local r = math.random(total_weight)
  for _, entry in ipairs(cumulative) do
    if r <= entry[2] then
      return entry[1]
    end
  end
  return cumulative[#cumulative][1]
end

local function json_headers(with_token, content_type)
  local h = { ["Content-Type"] = content_type or "application/json", ["Accept"] = "application/json" }
  if with_token then
    h["Authorization"] = "Bearer " .. token
  end
  return h
end

local function get(path)
  return wrk.format("GET", API .. path, { ["Accept"] = "application/json" }, nil)
end

local function platform_body()
  created = created + 1
  local country = pick(COUNTRIES)
  return string.format(
    '{"name":"Soak %s t%d #%d","organisation":{"name":"Soak Test Institute","ror_id":null},'
      .. '"country":"%s","city":"Soak City","description":"Created by the soak test: %s sequencing and proteomics services.",'
      .. '"maturity_level":%d,"readiness_areas":["%s"],"accepts_external_samples":true,'
      .. '"accepts_cross_border":%s,"data_standards":["VCF","FASTQ"],'
      .. '"capabilities":[{"technology":"%s","instruments":["NovaSeq X Plus"],"sample_types":["FFPE"],'
      .. '"monthly_capacity":%d,"turnaround_days":%d,"accreditations":["ISO 15189"],'
      .. '"services":["wet lab","bioinformatics"]}]}',
    run, tid or 0, created, country, run, math.random(3), pick(AREAS),
    (math.random(2) == 1) and "true" or "false", pick({ "WES", "WGS", "scRNA-seq", "ctDNA", "DIA-MS" }),
    math.random(10, 500), math.random(5, 60))
end

local function patch_body()
  return string.format(
    '{"city":"Soak City %d","maturity_level":%d,"description":"Patched by the soak test at %d."}',
    math.random(1000), math.random(3), os.time())
end

local BUILDERS = {
  search_platforms_q = function()
    local path = "/platforms?q=" .. pick(Q_WORDS)
    if math.random(3) == 1 then
      path = path .. "&country=" .. pick(COUNTRIES)
    end
    return get(path)
  end,
  search_platforms_filter = function()
    local r = math.random(3)
    if r == 1 then
      return get("/platforms?country=" .. pick(COUNTRIES) .. "," .. pick(COUNTRIES))
    elseif r == 2 then
      return get("/platforms?technology=" .. pick(TECHS) .. "&limit=50")
    end
    return get("/platforms?readiness_area=" .. pick(AREAS) .. "&technology=" .. pick(TECHS) .. "&sort=name")
  end,
  search_needs = function()
    if math.random(2) == 1 then
      return get("/needs?q=" .. pick(Q_WORDS))
    end
    return get("/needs?technology=" .. pick(TECHS) .. "&readiness_area=" .. pick(AREAS))
  end,
  get_platform = function()
    return get("/platforms/" .. pick(platforms))
  end,
  get_need = function()
    return get("/needs/" .. pick(needs))
  end,
  list_platforms = function()
    return get("/platforms?limit=100&offset=" .. pick({ 0, 0, 20, 50 }))
  end,
  need_matches = function()
    return get("/needs/" .. pick(needs) .. "/matches")
  end,
  post_matches = function()
    return wrk.format("POST", API .. "/matches" .. pick(MATCH_LIMITS), json_headers(false), pick(MATCH_BODIES))
  end,
  post_platform = function()
    return wrk.format("POST", API .. "/platforms", json_headers(true), platform_body())
  end,
  patch_platform = function()
    return wrk.format("PATCH", API .. "/platforms/" .. pick(own),
      json_headers(true, "application/merge-patch+json"), patch_body())
  end,
}

function request()
  local kind = choose_kind()
  sent[kind] = (sent[kind] or 0) + 1
  return BUILDERS[kind]()
end

function response(status, headers, body)
  responses = responses + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 then
    errors = errors + 1
    if #error_samples < 5 then
      table.insert(error_samples, key .. " " .. string.sub(body or "", 1, 400))
    end
  end
end

-- ---------------------------------------------------------------- report (main thread)

function done(summary, latency, requests)
  local sent_total, status_total, error_total, response_total = {}, {}, 0, 0
  local samples = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("sent") or {}) do
      sent_total[k] = (sent_total[k] or 0) + v
    end
    for k, v in pairs(thread:get("statuses") or {}) do
      status_total[k] = (status_total[k] or 0) + v
    end
    error_total = error_total + (thread:get("errors") or 0)
    response_total = response_total + (thread:get("responses") or 0)
    for _, s in ipairs(thread:get("error_samples") or {}) do
      if #samples < 10 then
        table.insert(samples, s)
      end
    end
  end
  local e = summary.errors
  io.write(string.format("SOAK requests %d\n", summary.requests))
  io.write(string.format("SOAK duration_us %d\n", summary.duration))
  io.write(string.format("SOAK rps %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("SOAK latency_p50_ms %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("SOAK latency_p90_ms %.2f\n", latency:percentile(90) / 1000))
  io.write(string.format("SOAK latency_p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("SOAK latency_max_ms %.2f\n", latency.max / 1000))
  io.write(string.format("SOAK sock_connect %d\nSOAK sock_read %d\nSOAK sock_write %d\nSOAK sock_timeout %d\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format("SOAK wrk_status_errors %d\n", e.status))
  io.write(string.format("SOAK lua_responses %d\n", response_total))
  io.write(string.format("SOAK lua_errors %d\n", error_total))
  local keys = {}
  for k in pairs(status_total) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    io.write(string.format("SOAK status_%s %d\n", k, status_total[k]))
  end
  keys = {}
  for k in pairs(sent_total) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    io.write(string.format("SOAK sent_%s %d\n", k, sent_total[k]))
  end
  for i, s in ipairs(samples) do
    io.write(string.format("SOAK error_sample_%d %s\n", i, (string.gsub(s, "\n", " "))))
  end
end
