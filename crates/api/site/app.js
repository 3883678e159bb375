// omics-match explorer: a small page on the public REST API (/api/v1), no framework.
// Every user-visible string comes from text.js (window.OMICS_TEXT) through t().
(function () {
  "use strict";

  const T = window.OMICS_TEXT;
  const API = "/api/v1";
  const TOKEN_KEY = "omics-match.token";
  const SVGNS = "http://www.w3.org/2000/svg";
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  const nav = document.getElementById("nav");
  const num = new Intl.NumberFormat(T.lang);
  const dec2 = new Intl.NumberFormat(T.lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const dec3 = new Intl.NumberFormat(T.lang, { minimumFractionDigits: 3, maximumFractionDigits: 3 });

  // ---------------------------------------------------------------- text and DOM helpers

  function lookup(key) {
    return key.split(".").reduce((o, k) => (o == null ? undefined : o[k]), T);
  }

  function t(key, vars) {
    let s = lookup(key);
    if (typeof s !== "string") {
      console.warn("missing text: " + key);
      return key;
    }
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
    return s;
  }

  // t() with a fallback for keys made from data (enum values we may not know yet).
  function tOr(key, fallback) {
    const s = lookup(key);
    return typeof s === "string" ? s : fallback;
  }

  function append(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // replaceChildren() that skips null, undefined and false as h() does.
  function kids(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.setAttribute("class", v);
      else if (k === "style") el.style.cssText = v; // CSSOM, so a CSP without 'unsafe-inline' allows it
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k in el && typeof v !== "string" && k !== "list") el[k] = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    return el;
  }

  function h(tag, attrs, ...children) {
    return append(setAttrs(document.createElement(tag), attrs), children);
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "style") el.style.cssText = v;
      else el.setAttribute(k, v);
    }
    return append(el, children);
  }

  let idSeq = 0;
  function uid(prefix) {
    idSeq += 1;
    return (prefix || "id") + "-" + idSeq;
  }

  function announce(msg) {
    live.textContent = "";
    setTimeout(() => {
      live.textContent = msg;
    }, 60);
  }

  function focusEl(el) {
    if (!el) return;
    if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: false });
  }

  function fmtNum(v) {
    if (v === null || v === undefined) return "–";
    return typeof v === "number" ? num.format(v) : String(v);
  }

  function fmtDate(v) {
    if (!v) return t("app.unknown");
    const d = new Date(v);
    return isNaN(d) ? String(v) : d.toLocaleDateString(T.lang, { year: "numeric", month: "short", day: "numeric" });
  }

  function hashFor(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") q.set(k, v);
    const qs = q.toString();
    return "#/" + path + (qs ? "?" + qs : "");
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super((problem && (problem.detail || problem.title)) || t("app.httpStatus", { status }));
      this.status = status;
      this.problem = problem || {};
      this.retryAfter = retryAfter;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async function api(method, path, opts) {
    const o = opts || {};
    let url = API + path;
    if (o.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(o.query)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
      const qs = q.toString();
      if (qs) url += "?" + qs;
    }
    const headers = { accept: "application/json, application/problem+json" };
    if (o.body !== undefined) headers["content-type"] = "application/json";
    const tok = token();
    if (tok && o.auth !== false) headers.authorization = "Bearer " + tok;
    let res;
    try {
      res = await fetch(url, { method, headers, body: o.body !== undefined ? JSON.stringify(o.body) : undefined });
    } catch (e) {
      throw new ApiError(0, { detail: t("app.networkError") });
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      if (res.status === 401 && tok && data && data.code === "invalid_token") {
        forgetSession();
      }
      throw new ApiError(res.status, data, res.headers.get("retry-after"));
    }
    return data;
  }

  function problemText(err) {
    if (err && err.status === 429 && err.retryAfter) return t("app.retryAfter", { seconds: err.retryAfter });
    if (err && err.status === 0) return t("app.networkError");
    return t("app.error", { detail: (err && err.message) || "" });
  }

  function errorBox(err) {
    return h("div", { class: "notice error", role: "alert" }, h("p", null, problemText(err)));
  }

  // ---------------------------------------------------------------- vocabularies

  const vocabs = {};
  function vocab(name) {
    if (!vocabs[name]) {
      vocabs[name] = api("GET", "/vocabularies/" + encodeURIComponent(name)).then(
        (v) => {
          const byId = new Map();
          for (const term of v.terms) byId.set(term.id, term);
          vocabs[name].value = { terms: v.terms, byId };
          return vocabs[name].value;
        },
        (e) => {
          delete vocabs[name];
          throw e;
        }
      );
    }
    return vocabs[name];
  }

  function label(name, id) {
    const p = vocabs[name];
    const term = p && p.value && p.value.byId.get(id);
    return term ? term.label : id;
  }

  function labels(name, ids) {
    return (ids || []).map((id) => label(name, id));
  }

  // ---------------------------------------------------------------- session

  let me = null;

  function forgetSession() {
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    renderNav();
  }

  async function loadMe() {
    if (!token()) {
      me = null;
      return null;
    }
    try {
      me = await api("GET", "/auth/me");
    } catch (e) {
      if (e.status === 401) forgetSession();
      me = null;
    }
    return me;
  }

  async function signIn(email, password) {
    const tok = await api("POST", "/auth/token", { body: { email, password }, auth: false });
    sessionStorage.setItem(TOKEN_KEY, tok.access_token);
    await loadMe();
    renderNav();
    return me;
  }

  // ---------------------------------------------------------------- navigation

  const NAV = [
    { view: "search", key: "nav.search" },
    { view: "describe", key: "nav.describe" },
    { view: "coverage", key: "nav.coverage" },
  ];

  function currentView() {
    const r = parseHash();
    return r ? r.parts[0] : "search";
  }

  function renderNav() {
    const view = currentView();
    const link = (v, key) =>
      h("li", null, h("a", { href: "#/" + v, "aria-current": view === v ? "page" : null }, t(key)));
    const items = NAV.map((n) => link(n.view, n.key));
    if (me) {
      items.push(link("mine", "nav.mine"), link("inbox", "nav.inbox"));
      items.push(
        h(
          "li",
          { class: "who" },
          h("span", { class: "user-name", "data-testid": "user-name" }, t("nav.signedInAs", { name: me.display_name })),
          " ",
          h(
            "button",
            {
              type: "button",
              class: "link-button",
              onclick: () => {
                forgetSession();
                announce(t("auth.signedOut"));
                location.hash = "#/search";
              },
            },
            t("nav.signout")
          )
        )
      );
    } else {
      items.push(link("signin", "nav.signin"));
    }
    kids(nav, h("ul", null, items));
  }

  function parseHash() {
    const hs = location.hash || "#/search";
    if (!hs.startsWith("#/")) return null;
    const raw = hs.slice(2);
    const qi = raw.indexOf("?");
    const path = qi < 0 ? raw : raw.slice(0, qi);
    const qs = qi < 0 ? "" : raw.slice(qi + 1);
    return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(qs) };
  }

  let routeSeq = 0;
  let lastView = null;

  function setTitle(viewKey) {
    document.title = t("app.pageTitle", { view: t(viewKey) });
  }

  async function route() {
    const r = parseHash();
    if (!r) return; // an in-page anchor, not a route
    if (r.parts.length === 0) r.parts = ["search"];
    const seq = ++routeSeq;
    const hash = location.hash;
    const view = r.parts[0];
    const sameView = view === lastView;
    const first = lastView === null;
    lastView = view;
    renderNav();
    main.setAttribute("aria-busy", "true");
    if (!sameView) kids(main, h("p", { class: "loading" }, t("app.loading")));
    const isCurrent = () => seq === routeSeq;
    let focusTarget = null;
    try {
      switch (view) {
        case "search":
          focusTarget = await viewSearch(r.params, isCurrent, sameView);
          break;
        case "platforms":
          focusTarget = await viewPlatform(r.parts[1], isCurrent);
          break;
        case "needs":
          focusTarget = await viewNeed(r.parts[1], isCurrent);
          break;
        case "describe":
          focusTarget = await viewDescribe(isCurrent);
          break;
        case "coverage":
          focusTarget = await viewCoverage(r.params, isCurrent);
          break;
        case "signin":
          focusTarget = await viewSignIn(isCurrent);
          break;
        case "mine":
          focusTarget = await viewMine(isCurrent);
          break;
        case "inbox":
          focusTarget = await viewInbox(isCurrent);
          break;
        default:
          setTitle("app.notFound");
          kids(main, 
            h("h1", null, t("app.notFound")),
            h("p", null, h("a", { href: "#/search" }, t("app.backToSearch")))
          );
          focusTarget = main.querySelector("h1");
      }
    } catch (e) {
      if (!isCurrent()) return;
      kids(main, h("h1", null, t("app.title")), errorBox(e));
      focusTarget = main.querySelector("h1");
    }
    if (!isCurrent()) return;
    main.removeAttribute("aria-busy");
    main.dataset.route = hash; // which route the view shows (tests wait on it)
    if (!first && focusTarget) focusEl(focusTarget);
  }

  // ---------------------------------------------------------------- shared renderers

  function detailsList(rows) {
    const dl = h("dl", { class: "details" });
    for (const [k, v] of rows) {
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) continue;
      dl.append(h("div", null, h("dt", null, k), h("dd", null, v)));
    }
    return dl;
  }

  function chips(values, cls) {
    if (!values || values.length === 0) return null;
    return h("ul", { class: "chips " + (cls || "") }, values.map((v) => h("li", null, v)));
  }

  function scoreBar(score, labelText) {
    const pct = Math.max(0, Math.min(1, Number(score) || 0)) * 100;
    return h(
      "span",
      { class: "score" },
      h("span", { class: "score-bar", "aria-hidden": "true" }, h("span", { style: "width:" + pct.toFixed(1) + "%" })),
      h("span", { class: "score-num" }, labelText)
    );
  }

  function componentsTable(components) {
    const max = Math.max(0.0001, ...components.map((c) => c.contribution));
    return h(
      "table",
      { class: "components" },
      h("caption", { class: "visually-hidden" }, t("match.components")),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, t("match.component")),
          h("th", { scope: "col", class: "num" }, t("match.value")),
          h("th", { scope: "col", class: "num" }, t("match.weight")),
          h("th", { scope: "col" }, t("match.contribution")),
          h("th", { scope: "col" }, t("match.reason"))
        )
      ),
      h(
        "tbody",
        null,
        components.map((c) =>
          h(
            "tr",
            { dataset: { component: c.name } },
            h("th", { scope: "row" }, tOr("match.componentName." + c.name, c.name)),
            h("td", { class: "num", "data-label": t("match.value") }, dec2.format(c.value)),
            h("td", { class: "num", "data-label": t("match.weight") }, dec2.format(c.weight)),
            h(
              "td",
              { class: "contrib", "data-label": t("match.contribution") },
              h(
                "span",
                { class: "contrib-bar", "aria-hidden": "true" },
                h("span", { style: "width:" + ((c.contribution / max) * 100).toFixed(1) + "%" })
              ),
              " ",
              dec3.format(c.contribution)
            ),
            h("td", { class: "reason", "data-label": t("match.reason") }, c.reason)
          )
        )
      )
    );
  }

  function platformTechs(p) {
    const ids = [];
    for (const c of p.capabilities || []) if (!ids.includes(c.technology)) ids.push(c.technology);
    return labels("technologies", ids);
  }

  function needTechs(n) {
    return (n.technologies || []).map(
      (tr) => label("technologies", tr.technology) + (tr.required === false ? " (" + t("record.niceToHave") + ")" : "")
    );
  }

  function platformSummary(p) {
    return h(
      "p",
      { class: "sub" },
      p.organisation ? p.organisation.name : null,
      p.organisation ? " · " : null,
      t("record.cityCountry", { city: p.city, country: label("countries", p.country) })
    );
  }

  function needSummary(n) {
    return h(
      "p",
      { class: "sub" },
      [
        label("countries", n.country),
        label("sample-types", n.sample_type) + " × " + fmtNum(n.sample_count),
        label("readiness-areas", n.readiness_area),
        tOr("record.needStatus." + n.status, n.status || ""),
      ]
        .filter(Boolean)
        .join(" · ")
    );
  }

  function matchItem(rank, headingNode, summary, score, components, extra) {
    const hid = uid("m");
    return h(
      "li",
      { class: "card match", "aria-labelledby": hid },
      h(
        "div",
        { class: "match-head" },
        h("h3", { id: hid }, h("span", { class: "rank" }, t("match.rank", { n: rank })), " ", headingNode),
        scoreBar(score, t("match.score", { score: dec2.format(score) }))
      ),
      summary,
      h("h4", { class: "small-heading" }, t("match.components")),
      componentsTable(components),
      extra
    );
  }

  function proposeControl(needId, platformId, targetName) {
    const box = h("div", { class: "propose" });
    const open = () => {
      const mid = uid("msg");
      const ta = h("textarea", { id: mid, rows: 3, maxlength: 10000 });
      const status = h("p", { class: "form-status", role: "status" });
      const form = h(
        "form",
        {
          class: "propose-form",
          onsubmit: async (ev) => {
            ev.preventDefault();
            const btn = form.querySelector("button[type=submit]");
            btn.disabled = true;
            try {
              await api("POST", "/introductions", {
                body: { need_id: needId, platform_id: platformId, message: ta.value.trim() || null },
              });
              kids(box, h("p", { class: "notice ok", role: "status" }, t("match.proposed"), " ", h("a", { href: "#/inbox" }, t("nav.inbox"))));
              announce(t("match.proposed"));
            } catch (e) {
              status.textContent = problemText(e);
              status.className = "form-status error";
              btn.disabled = false;
            }
          },
        },
        h("label", { for: mid }, t("match.proposeMessage")),
        ta,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit" }, t("match.proposeSend")),
          h("button", { type: "button", class: "secondary", onclick: close }, t("match.proposeCancel"))
        ),
        status
      );
      kids(box, h("h4", { class: "small-heading" }, t("match.proposeTo", { name: targetName })), form);
      ta.focus();
    };
    const close = () => {
      kids(box, button);
      button.focus();
    };
    const button = h("button", { type: "button", class: "secondary", onclick: open }, t("match.propose"));
    box.append(button);
    return box;
  }

  function excludedList(items, kind) {
    if (!items) return null;
    const hid = uid("ex");
    return h(
      "section",
      { class: "excluded", "aria-labelledby": hid, "data-testid": "excluded" },
      h("h3", { id: hid }, t("match.excluded")),
      h("p", null, items.length ? t(items.length === 1 ? "match.excludedCountOne" : "match.excludedCount", { n: fmtNum(items.length) }) : t("match.excludedNone")),
      h(
        "ul",
        { class: "plain" },
        items.map((x) => {
          const rec = kind === "platform" ? x.platform : x.need;
          const link =
            kind === "platform"
              ? h("a", { href: "#/platforms/" + rec.id }, rec.name)
              : h("a", { href: "#/needs/" + rec.id }, rec.title);
          return h(
            "li",
            { class: "excluded-item" },
            h("strong", null, link),
            " (" + label("countries", rec.country) + ")",
            h(
              "ul",
              null,
              x.exclusions.map((e) =>
                h("li", null, h("span", { class: "tag warn" }, tOr("match.constraint." + e.constraint, e.constraint)), " ", e.reason)
              )
            )
          );
        })
      )
    );
  }

  // ---------------------------------------------------------------- search

  const FILTERS = ["technology", "country", "readiness_area", "sample_type", "accreditation", "cancer_type", "status"];
  const FILTER_VOCAB = {
    technology: "technologies",
    country: "countries",
    readiness_area: "readiness-areas",
    sample_type: "sample-types",
    accreditation: "accreditations",
    cancer_type: "cancer-types",
  };
  const FACETS = [
    ["technology", "search.facetTechnology"],
    ["country", "search.facetCountry"],
    ["readiness_area", "search.facetReadiness"],
  ];
  const PAGE = 20;

  function searchState(params) {
    const st = { kind: params.get("kind") === "needs" ? "needs" : "platforms", q: params.get("q") || "", sort: params.get("sort") || "" };
    for (const f of FILTERS) st[f] = params.get(f) || "";
    st.offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
    return st;
  }

  function searchHash(st, changes) {
    const n = Object.assign({}, st, changes || {});
    if (!changes || !("offset" in changes)) n.offset = 0;
    return hashFor("search", {
      kind: n.kind === "needs" ? "needs" : null,
      q: n.q,
      sort: n.sort,
      technology: n.technology,
      country: n.country,
      readiness_area: n.readiness_area,
      sample_type: n.sample_type,
      accreditation: n.accreditation,
      cancer_type: n.kind === "needs" ? n.cancer_type : null,
      status: n.status,
      offset: n.offset || null,
    });
  }

  let lastSearch = { platforms: "#/search", needs: "#/search?kind=needs" }; // for the way back from a record

  async function viewSearch(params, isCurrent, sameView) {
    setTitle("nav.search");
    const st = searchState(params);
    await Promise.all(["technologies", "countries", "readiness-areas", "sample-types"].map((n) => vocab(n).catch(() => null)));
    const query = { q: st.q, sort: st.sort, limit: PAGE, offset: st.offset || null };
    for (const f of FILTERS) query[f] = st[f];
    if (st.kind !== "needs") query.cancer_type = null;
    let page = null;
    let error = null;
    try {
      page = await api("GET", "/" + st.kind, { query });
    } catch (e) {
      error = e;
    }
    if (!isCurrent()) return null;

    // The form: kind, words, sort.
    const qid = uid("q");
    const kindName = uid("kind");
    const form = h("form", { class: "search-form", role: "search", onsubmit: submit });
    function submit(ev) {
      if (ev) ev.preventDefault();
      const kind = form.querySelector("input[name=" + kindName + "]:checked").value;
      location.hash = searchHash(st, { kind, q: form.querySelector("#" + qid).value.trim(), sort: form.querySelector("select").value });
    }
    const radio = (value, key) => {
      const id = uid("k");
      return h(
        "span",
        { class: "radio" },
        h("input", { type: "radio", name: kindName, id, value, checked: st.kind === value, onchange: submit }),
        h("label", { for: id }, t(key))
      );
    };
    const sortId = uid("sort");
    append(form, [
      h("fieldset", { class: "kind" }, h("legend", null, t("search.kindLegend")), radio("platforms", "search.platforms"), radio("needs", "search.needs")),
      h(
        "div",
        { class: "field grow" },
        h("label", { for: qid }, t("search.q")),
        h("input", { type: "search", id: qid, name: "q", value: st.q, maxlength: 500, "aria-describedby": qid + "-hint", autocomplete: "off" }),
        h("p", { class: "hint", id: qid + "-hint" }, t("search.qHint"))
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: sortId }, t("search.sort")),
        h(
          "select",
          { id: sortId },
          [
            ["", st.q ? "search.sortRelevance" : "search.sortUpdated"],
            [st.q ? "-updated_at" : "relevance", st.q ? "search.sortUpdated" : "search.sortRelevance"],
            ["name", "search.sortName"],
          ]
            .filter(([v]) => v !== "relevance" || st.q)
            .map(([v, k]) => h("option", { value: v, selected: st.sort === v }, t(k)))
        )
      ),
      h("div", { class: "field submit" }, h("button", { type: "submit" }, t("search.submit"))),
    ]);

    // Active filters.
    const active = FILTERS.filter((f) => st[f] && (f !== "cancer_type" || st.kind === "needs"));
    const activeBox = active.length
      ? h(
          "div",
          { class: "active-filters" },
          h("h3", { class: "small-heading" }, t("search.activeFilters")),
          h(
            "ul",
            { class: "chips removable" },
            active.map((f) => {
              const shown = st[f]
                .split(",")
                .map((v) => (FILTER_VOCAB[f] ? label(FILTER_VOCAB[f], v.trim()) : v.trim()))
                .join(", ");
              return h(
                "li",
                null,
                h(
                  "a",
                  { href: searchHash(st, { [f]: "" }), "aria-label": t("search.removeFilter", { name: t("search.filterName." + f), value: shown }) },
                  shown,
                  h("span", { "aria-hidden": "true", class: "x" }, " ×")
                )
              );
            })
          ),
          h(
            "p",
            null,
            h("a", { href: searchHash(st, Object.fromEntries(FILTERS.map((f) => [f, ""]))) }, t("search.clearFilters"))
          )
        )
      : null;

    // Facets.
    // On a narrow screen the facets start folded so the results come first into view.
    const wasOpen = document.querySelector(".facets > details");
    const facetGroups = h("div", { class: "facet-groups" });
    const facetBox = h(
      "aside",
      { class: "facets", "aria-labelledby": "facets-h", "data-testid": "facets" },
      h(
        "details",
        { open: wasOpen ? wasOpen.open : window.matchMedia("(min-width: 901px)").matches },
        h("summary", null, h("h2", { id: "facets-h" }, t("search.facets"))),
        facetGroups
      )
    );
    if (page) {
      for (const [f, key] of FACETS) {
        const values = (page.facets && page.facets[f]) || [];
        const gid = uid("fg");
        const li = (v) => {
          const on = st[f] === v.id;
          return h(
            "li",
            null,
            h(
              "a",
              {
                href: on ? searchHash(st, { [f]: "" }) : searchHash(st, { [f]: v.id }),
                "aria-current": on ? "true" : null,
                "aria-label": t("search.facetItemLabel", { label: v.label, count: fmtNum(v.count) }),
                dataset: { facet: f, value: v.id },
              },
              h("span", { class: "facet-label" }, v.label),
              h("span", { class: "count" }, fmtNum(v.count))
            )
          );
        };
        const top = values.slice(0, 8);
        const rest = values.slice(8);
        facetGroups.append(
          h(
            "section",
            { class: "facet", "aria-labelledby": gid },
            h("h3", { id: gid }, t(key)),
            values.length ? h("ul", { class: "facet-list" }, top.map(li)) : h("p", { class: "muted" }, t("search.facetEmpty")),
            rest.length
              ? h("details", null, h("summary", null, t("search.facetMore", { n: rest.length })), h("ul", { class: "facet-list" }, rest.map(li)))
              : null
          )
        );
      }
    }

    // Results.
    const results = h("section", { class: "results", "aria-labelledby": "results-h" }, h("h2", { id: "results-h", tabindex: "-1" }, t("search.results")), activeBox);
    let countText = "";
    if (error) {
      results.append(errorBox(error));
      countText = problemText(error);
    } else {
      countText =
        page.total === 1 ? t("search.countOne") : t(st.kind === "needs" ? "search.countNeeds" : "search.countPlatforms", { total: fmtNum(page.total) });
      results.append(h("p", { class: "count-line", "data-testid": "result-count" }, countText));
      if (page.items.length === 0) results.append(h("p", { class: "notice" }, t("search.noResults")));
      else {
        results.append(
          h(
            "ul",
            { class: "result-list", "data-testid": "results" },
            page.items.map((r) => (st.kind === "needs" ? needCard(r) : platformCard(r)))
          )
        );
        const from = page.offset + 1;
        const to = page.offset + page.items.length;
        const prev = page.offset > 0 ? searchHash(st, { offset: Math.max(0, page.offset - PAGE) || null }) : null;
        const next = page.next_offset !== null && page.next_offset !== undefined ? searchHash(st, { offset: page.next_offset }) : null;
        results.append(
          h(
            "nav",
            { class: "pager", "aria-label": t("search.paging") },
            h("p", null, t("search.showing", { from: fmtNum(from), to: fmtNum(to), total: fmtNum(page.total) })),
            prev ? h("a", { href: prev, rel: "prev" }, t("search.previous")) : null,
            next ? h("a", { href: next, rel: "next" }, t("search.next")) : null
          )
        );
      }
    }

    lastSearch[st.kind] = location.hash || "#/search";
    kids(main, h("h1", null, t("search.heading")), form, h("div", { class: "search-layout" }, results, facetBox));
    announce(countText);
    return sameView ? results.querySelector("h2") : main.querySelector("h1");
  }

  function platformCard(p) {
    return h(
      "li",
      { class: "card result" },
      h("h3", null, h("a", { href: "#/platforms/" + p.id }, p.name)),
      platformSummary(p),
      chips(platformTechs(p), "tech"),
      h(
        "p",
        { class: "meta" },
        t("record.maturity") + ": " + tOr("record.maturityLevel." + p.maturity_level, String(p.maturity_level)),
        p.readiness_areas && p.readiness_areas.length ? " · " + labels("readiness-areas", p.readiness_areas).join(", ") : null
      )
    );
  }

  function needCard(n) {
    return h(
      "li",
      { class: "card result" },
      h("h3", null, h("a", { href: "#/needs/" + n.id }, n.title)),
      needSummary(n),
      chips(needTechs(n), "tech"),
      n.deadline ? h("p", { class: "meta" }, t("record.deadline") + ": " + fmtDate(n.deadline)) : null
    );
  }

  // ---------------------------------------------------------------- platform page

  async function viewPlatform(id, isCurrent) {
    setTitle("record.platform");
    await Promise.all(
      ["technologies", "countries", "readiness-areas", "sample-types", "accreditations", "services", "data-standards"].map((n) => vocab(n).catch(() => null))
    );
    const p = await api("GET", "/platforms/" + encodeURIComponent(id));
    const [similar, matches] = await Promise.all([
      api("GET", "/platforms/" + encodeURIComponent(id) + "/similar", { query: { limit: 6 } }).catch((e) => e),
      api("GET", "/platforms/" + encodeURIComponent(id) + "/matches", { query: { limit: 10 } }).catch((e) => e),
    ]);
    if (!isCurrent()) return null;
    document.title = t("app.pageTitle", { view: p.name });
    const mine = me && p.owner_id === me.id;

    const caps = h(
      "section",
      { "aria-labelledby": "caps-h" },
      h("h2", { id: "caps-h" }, t("record.capabilities")),
      h(
        "ul",
        { class: "cap-list" },
        (p.capabilities || []).map((c) =>
          h(
            "li",
            { class: "card" },
            h("h3", null, label("technologies", c.technology), c.technology_text ? h("span", { class: "muted" }, " (" + c.technology_text + ")") : null),
            detailsList([
              [t("record.capInstruments"), (c.instruments || []).join(", ")],
              [t("record.capSampleTypes"), labels("sample-types", c.sample_types).join(", ")],
              [t("record.capCapacity"), c.monthly_capacity != null ? t("record.capacityValue", { n: fmtNum(c.monthly_capacity) }) : null],
              [t("record.capTurnaround"), c.turnaround_days != null ? t("record.turnaroundValue", { n: fmtNum(c.turnaround_days) }) : null],
              [t("record.capAccreditations"), labels("accreditations", c.accreditations).join(", ")],
              [t("record.capServices"), labels("services", c.services).join(", ")],
            ])
          )
        )
      )
    );

    const simSection = h("section", { "aria-labelledby": "sim-h", "data-testid": "similar" }, h("h2", { id: "sim-h" }, t("record.similar")));
    if (similar instanceof Error) simSection.append(errorBox(similar));
    else if (!similar.items.length) simSection.append(h("p", null, t("record.similarNone")));
    else {
      simSection.append(
        h("p", { class: "muted" }, t("record.similarIntro")),
        h(
          "ol",
          { class: "plain sim-list" },
          similar.items.map((x) =>
            h(
              "li",
              { class: "card" },
              h(
                "div",
                { class: "match-head" },
                h("h3", null, h("a", { href: "#/platforms/" + x.platform.id }, x.platform.name)),
                scoreBar(x.score, t("match.score", { score: dec2.format(x.score) }))
              ),
              platformSummary(x.platform),
              h("h4", { class: "small-heading" }, t("record.likeness")),
              h(
                "ul",
                { class: "likeness" },
                x.likeness.map((l) =>
                  h("li", null, h("strong", null, tOr("record.aspect." + l.aspect, l.aspect) + ": "), l.reason, h("span", { class: "muted" }, " (+" + dec3.format(l.contribution) + ")"))
                )
              )
            )
          )
        )
      );
    }

    const mSection = h("section", { "aria-labelledby": "pm-h", "data-testid": "need-matches" }, h("h2", { id: "pm-h" }, t("record.needMatches")));
    if (matches instanceof Error) mSection.append(errorBox(matches));
    else if (!matches.matches.length) mSection.append(h("p", null, t("record.needMatchesNone")));
    else {
      mSection.append(
        h("p", { class: "muted" }, t("record.candidates", { candidates: fmtNum(matches.candidates) })),
        h(
          "ol",
          { class: "plain match-list" },
          matches.matches.map((m, i) =>
            matchItem(
              i + 1,
              h("a", { href: "#/needs/" + m.need.id }, m.need.title),
              needSummary(m.need),
              m.score,
              m.components,
              mine && p.status === "published" && m.need.status === "open" ? proposeControl(m.need.id, p.id, m.need.title) : null
            )
          )
        )
      );
    }

    kids(main, 
      h("p", { class: "crumb" }, h("a", { href: lastSearch.platforms }, t("app.backToSearch"))),
      h("h1", null, p.name),
      platformSummary(p),
      mine ? h("p", { class: "notice ok" }, t("record.yours")) : null,
      p.description ? h("p", { class: "description" }, p.description) : null,
      h(
        "section",
        { "aria-labelledby": "det-h" },
        h("h2", { id: "det-h" }, t("record.details")),
        detailsList([
          [t("record.organisation"), p.organisation && p.organisation.name],
          [t("record.ror"), p.organisation && p.organisation.ror_id ? h("a", { href: p.organisation.ror_id, rel: "noopener" }, p.organisation.ror_id) : null],
          [t("record.website"), p.website ? h("a", { href: p.website, rel: "noopener" }, p.website) : null],
          [t("record.contact"), p.contact_email ? h("a", { href: "mailto:" + p.contact_email }, p.contact_email) : null],
          [t("record.maturity"), tOr("record.maturityLevel." + p.maturity_level, String(p.maturity_level))],
          [t("record.readinessAreas"), labels("readiness-areas", p.readiness_areas).join(", ")],
          [t("record.externalSamples"), p.accepts_external_samples ? t("app.yes") : t("app.no")],
          [t("record.crossBorder"), p.accepts_cross_border ? t("app.yes") : t("app.no")],
          [t("record.dataStandards"), labels("data-standards", p.data_standards).join(", ")],
          [t("record.status"), tOr("record.platformStatus." + p.status, p.status)],
          [t("record.updated"), fmtDate(p.updated_at)],
        ])
      ),
      caps,
      simSection,
      mSection
    );
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- need page

  function budgetText(b) {
    if (!b || (b.min == null && b.max == null)) return null;
    if (b.min != null && b.max != null) return t("record.budgetRange", { min: fmtNum(b.min), max: fmtNum(b.max) });
    return b.min != null ? t("record.budgetMin", { min: fmtNum(b.min) }) : t("record.budgetMax", { max: fmtNum(b.max) });
  }

  async function viewNeed(id, isCurrent) {
    setTitle("record.need");
    await Promise.all(["technologies", "countries", "readiness-areas", "sample-types", "accreditations", "cancer-types"].map((n) => vocab(n).catch(() => null)));
    const n = await api("GET", "/needs/" + encodeURIComponent(id));
    const matches = await api("GET", "/needs/" + encodeURIComponent(id) + "/matches", { query: { limit: 10 } }).catch((e) => e);
    if (!isCurrent()) return null;
    document.title = t("app.pageTitle", { view: n.title });
    const mine = me && n.owner_id === me.id;
    const countries = n.acceptable_countries || [];
    const acceptable = countries.length === 0 || countries.includes("ANY") ? t("record.anyCountry") : labels("countries", countries).join(", ");

    const mSection = h("section", { "aria-labelledby": "nm-h", "data-testid": "platform-matches" }, h("h2", { id: "nm-h" }, t("record.platformMatches")));
    if (matches instanceof Error) mSection.append(errorBox(matches));
    else if (!matches.matches.length) mSection.append(h("p", null, t("record.platformMatchesNone")));
    else {
      mSection.append(
        h("p", { class: "muted" }, t("record.candidates", { candidates: fmtNum(matches.candidates) })),
        h(
          "ol",
          { class: "plain match-list" },
          matches.matches.map((m, i) =>
            matchItem(
              i + 1,
              h("a", { href: "#/platforms/" + m.platform.id }, m.platform.name),
              platformSummary(m.platform),
              m.score,
              m.components,
              mine && n.status === "open" ? proposeControl(n.id, m.platform.id, m.platform.name) : null
            )
          )
        )
      );
    }

    kids(main, 
      h("p", { class: "crumb" }, h("a", { href: lastSearch.needs }, t("app.backToSearch"))),
      h("h1", null, n.title),
      needSummary(n),
      mine ? h("p", { class: "notice ok" }, t("record.yours")) : null,
      n.description ? h("p", { class: "description" }, n.description) : null,
      h(
        "section",
        { "aria-labelledby": "nd-h" },
        h("h2", { id: "nd-h" }, t("record.details")),
        detailsList([
          [t("record.technologies"), chips(needTechs(n), "tech")],
          [t("record.sampleType"), label("sample-types", n.sample_type)],
          [t("record.sampleCount"), fmtNum(n.sample_count)],
          [t("record.cancerType"), n.cancer_type ? label("cancer-types", n.cancer_type) + " (" + n.cancer_type + ")" : null],
          [t("record.readinessArea"), label("readiness-areas", n.readiness_area)],
          [t("record.country"), label("countries", n.country)],
          [t("record.acceptableCountries"), acceptable],
          [t("record.deadline"), n.deadline ? fmtDate(n.deadline) : null],
          [t("record.accreditationRequired"), n.accreditation_required ? label("accreditations", n.accreditation_required) : null],
          [t("record.budget"), budgetText(n.budget_eur)],
          [t("record.requester"), n.requester ? n.requester.display_name : n.visibility === "anonymous" ? t("record.anonymous") : null],
          [t("record.status"), tOr("record.needStatus." + n.status, n.status)],
          [t("record.updated"), fmtDate(n.updated_at)],
          [t("record.heldLabel"), (n.held_technologies || []).length ? t("record.held", { values: n.held_technologies.map((x) => x.technology).join(", ") }) : null],
        ])
      ),
      mSection
    );
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- describe your need

  let describeMemo = null; // { values, result, includeExcluded } kept while the page is open

  function fieldBox(name, labelText, control, hintText, opts) {
    const o = opts || {};
    const id = control.id;
    const hintId = id + "-hint";
    const errId = id + "-error";
    const describedBy = [hintText ? hintId : null, errId].filter(Boolean).join(" ");
    control.setAttribute("aria-describedby", describedBy);
    return h(
      "div",
      { class: "field" + (o.cls ? " " + o.cls : ""), dataset: { field: name } },
      h("label", { for: id }, labelText, o.required ? h("span", { class: "req" }, " (" + t("describe.required") + ")") : null),
      hintText ? h("p", { class: "hint", id: hintId }, hintText) : null,
      control,
      h("div", { class: "field-error", id: errId })
    );
  }

  function datalist(id, terms, withId) {
    return h(
      "datalist",
      { id },
      terms.map((term) => h("option", { value: withId ? term.id : term.label }, withId ? term.label : null))
    );
  }

  async function viewDescribe(isCurrent) {
    setTitle("nav.describe");
    const [tech, countries, areas, samples, accs, cancers] = await Promise.all(
      ["technologies", "countries", "readiness-areas", "sample-types", "accreditations", "cancer-types"].map((n) => vocab(n).catch(() => ({ terms: [], byId: new Map() })))
    );
    if (!isCurrent()) return null;
    const memo = describeMemo || { values: {}, result: null, includeExcluded: false };

    const techList = h("div", { class: "tech-list" });
    const form = h("form", { class: "describe-form", novalidate: true });
    const results = h("section", { class: "describe-results", "aria-labelledby": "dr-h", "data-testid": "describe-results" });
    const summary = h("div", { class: "error-summary", tabindex: "-1", hidden: true });

    function techRow(i, value, required) {
      const id = "f-tech-" + i;
      const reqId = "f-tech-req-" + i;
      const input = h("input", { type: "text", id, list: "dl-tech", value: value || "", autocomplete: "off", maxlength: 200, dataset: { tech: String(i) } });
      const row = h(
        "div",
        { class: "tech-row", dataset: { row: String(i) } },
        fieldBox("technologies[" + i + "]", t("describe.technology", { n: i + 1 }), input, i === 0 ? t("describe.technologyHint") : null, { required: i === 0, cls: "grow" }),
        h(
          "div",
          { class: "field check" },
          h("input", { type: "checkbox", id: reqId, checked: required !== false }),
          h("label", { for: reqId }, t("describe.mustHave"))
        ),
        i > 0
          ? h(
              "button",
              {
                type: "button",
                class: "secondary small",
                "aria-label": t("describe.removeTechnology", { n: i + 1 }),
                onclick: () => {
                  const vals = readTechs().filter((_, j) => j !== i);
                  drawTechs(vals);
                  focusEl(form.querySelector("#f-tech-" + Math.max(0, i - 1)));
                },
              },
              "×"
            )
          : null
      );
      return row;
    }
    function readTechs() {
      return [...techList.querySelectorAll(".tech-row")].map((row, i) => ({
        technology: row.querySelector("#f-tech-" + i).value,
        required: row.querySelector("#f-tech-req-" + i).checked,
      }));
    }
    function drawTechs(list) {
      kids(techList, ...list.map((x, i) => techRow(i, x.technology, x.required)));
    }
    drawTechs(memo.values.technologies && memo.values.technologies.length ? memo.values.technologies : [{ technology: "", required: true }]);

    const v = memo.values;
    const input = (id, attrs) => h("input", Object.assign({ id, autocomplete: "off" }, attrs));
    const select = (id, options, value, emptyKey) =>
      h(
        "select",
        { id },
        emptyKey ? h("option", { value: "" }, t(emptyKey)) : null,
        options.map((o) => h("option", { value: o.id, selected: value === o.id }, o.label))
      );
    const countryOptions = countries.terms.slice().sort((a, b) => a.label.localeCompare(b.label, T.lang));
    const includeBox = h("input", {
      type: "checkbox",
      id: "f-include-excluded",
      checked: memo.includeExcluded,
      onchange: () => {
        if (describeMemo && describeMemo.result) run(false);
      },
    });
    const saveButton = me ? h("button", { type: "button", class: "secondary", onclick: () => run(true) }, t("describe.save")) : null;
    const status = h("p", { class: "form-status", role: "status" });

    append(form, [
      summary,
      fieldBox("title", t("describe.title"), input("f-title", { type: "text", value: v.title || "", maxlength: 200 }), t("describe.titleHint"), { required: true }),
      fieldBox("description", t("describe.description"), h("textarea", { id: "f-description", rows: 3, maxlength: 10000 }, v.description || "")),
      h(
        "fieldset",
        { class: "techs" },
        h("legend", null, t("describe.technologies")),
        techList,
        h(
          "button",
          {
            type: "button",
            class: "secondary small",
            onclick: () => {
              const vals = readTechs();
              vals.push({ technology: "", required: true });
              drawTechs(vals);
              focusEl(form.querySelector("#f-tech-" + (vals.length - 1)));
            },
          },
          t("describe.addTechnology")
        )
      ),
      h(
        "div",
        { class: "row" },
        fieldBox("sample_type", t("describe.sampleType"), input("f-sample_type", { type: "text", list: "dl-sample", value: v.sample_type || "", maxlength: 200 }), t("describe.sampleTypeHint"), { required: true, cls: "grow" }),
        fieldBox("sample_count", t("describe.sampleCount"), input("f-sample_count", { type: "number", min: 1, max: 10000000, step: 1, inputmode: "numeric", value: v.sample_count || "" }), null, { required: true })
      ),
      h(
        "div",
        { class: "row" },
        fieldBox("readiness_area", t("describe.readinessArea"), select("f-readiness_area", areas.terms, v.readiness_area || "", "describe.choose"), null, { required: true, cls: "grow" }),
        fieldBox("country", t("describe.country"), select("f-country", countryOptions, v.country || "", "describe.choose"), null, { required: true, cls: "grow" })
      ),
      fieldBox("cancer_type", t("describe.cancerType"), input("f-cancer_type", { type: "text", list: "dl-cancer", value: v.cancer_type || "", maxlength: 200 }), t("describe.cancerTypeHint")),
      fieldBox("acceptable_countries", t("describe.acceptableCountries"), input("f-acceptable_countries", { type: "text", value: v.acceptable_countries || "", maxlength: 2000 }), t("describe.acceptableHint")),
      h(
        "div",
        { class: "row" },
        fieldBox("accreditation_required", t("describe.accreditation"), select("f-accreditation_required", accs.terms, v.accreditation_required || "", "describe.noAccreditation"), null, { cls: "grow" }),
        fieldBox("deadline", t("describe.deadline"), input("f-deadline", { type: "date", value: v.deadline || "" }))
      ),
      h("div", { class: "field check" }, includeBox, h("label", { for: "f-include-excluded" }, t("describe.includeExcluded"))),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit" }, t("describe.submit")),
        saveButton,
        me ? null : h("p", { class: "hint" }, h("a", { href: "#/signin" }, t("describe.saveHint")))
      ),
      status,
      datalist("dl-tech", tech.terms),
      datalist("dl-sample", samples.terms),
      datalist("dl-cancer", cancers.terms, true),
    ]);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(false);
    });

    function readValues() {
      const val = (id) => form.querySelector("#" + id).value.trim();
      return {
        title: val("f-title"),
        description: form.querySelector("#f-description").value,
        technologies: readTechs(),
        sample_type: val("f-sample_type"),
        sample_count: val("f-sample_count"),
        readiness_area: val("f-readiness_area"),
        country: val("f-country"),
        cancer_type: val("f-cancer_type"),
        acceptable_countries: val("f-acceptable_countries"),
        accreditation_required: val("f-accreditation_required"),
        deadline: val("f-deadline"),
      };
    }

    function bodyOf(vals) {
      const b = {
        title: vals.title,
        technologies: vals.technologies.filter((x) => x.technology.trim()).map((x) => ({ technology: x.technology.trim(), required: x.required })),
        sample_type: vals.sample_type,
        readiness_area: vals.readiness_area,
        country: vals.country,
      };
      if (vals.description.trim()) b.description = vals.description.trim();
      if (vals.sample_count !== "") b.sample_count = Number(vals.sample_count);
      if (vals.cancer_type) b.cancer_type = vals.cancer_type;
      const ac = vals.acceptable_countries.split(",").map((x) => x.trim()).filter(Boolean);
      b.acceptable_countries = ac.length ? ac : ["ANY"];
      if (vals.accreditation_required) b.accreditation_required = vals.accreditation_required;
      if (vals.deadline) b.deadline = vals.deadline;
      return b;
    }

    function clearErrors() {
      summary.hidden = true;
      summary.replaceChildren();
      for (const e of form.querySelectorAll(".field-error")) e.replaceChildren();
      for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
    }

    // A body the service could not read names the field in its message only.
    function fieldOf(fe) {
      if (fe.field) return fe.field;
      const m = /field `([a-z_]+)`/.exec(fe.message || "");
      return m ? m[1] : "";
    }

    // Required fields left empty, reported as the service reports them, before any request.
    function missing(vals) {
      const errs = [];
      const need = (field, empty) => {
        if (empty) errs.push({ field, code: "required", message: t("describe.requiredField", { field: fieldName(field) }) });
      };
      need("title", !vals.title);
      need("technologies[0].technology", !vals.technologies.some((x) => x.technology.trim()));
      need("sample_type", !vals.sample_type);
      need("sample_count", vals.sample_count === "");
      need("readiness_area", !vals.readiness_area);
      need("country", !vals.country);
      return errs;
    }

    function controlFor(field) {
      const m = /^([a-z_]+)(?:\[(\d+)\])?/.exec(field || "");
      if (!m) return null;
      if (m[1] === "technologies") return form.querySelector("#f-tech-" + (m[2] || "0")) || form.querySelector("#f-tech-0");
      return form.querySelector("#f-" + m[1]);
    }

    function fieldName(field) {
      const m = /^([a-z_]+)(?:\[(\d+)\])?/.exec(field || "");
      if (!m) return field;
      if (m[1] === "technologies" && m[2] !== undefined) return t("describe.technology", { n: Number(m[2]) + 1 });
      return tOr("describe.fieldNames." + m[1], field);
    }

    function showProblem(err) {
      clearErrors();
      const errors = (err.problem && err.problem.errors) || [];
      const items = [];
      for (const raw of errors) {
        const fe = Object.assign({}, raw, { field: fieldOf(raw) });
        const ctl = controlFor(fe.field);
        const sugg = (fe.suggestions || []).slice(0, 4);
        const suggBox = sugg.length
          ? h(
              "p",
              { class: "suggestions" },
              t("describe.suggestions") + " ",
              sugg.map((sg) =>
                h(
                  "button",
                  {
                    type: "button",
                    class: "suggestion",
                    onclick: () => {
                      if (!ctl) return;
                      ctl.value = ctl.tagName === "SELECT" || ctl.id === "f-cancer_type" ? sg.id : sg.label;
                      ctl.removeAttribute("aria-invalid");
                      focusEl(ctl);
                    },
                    "aria-label": t("describe.useSuggestion", { label: sg.label }),
                  },
                  sg.label
                )
              )
            )
          : null;
        if (ctl) {
          ctl.setAttribute("aria-invalid", "true");
          const box = form.querySelector("#" + ctl.id + "-error");
          append(box, [h("p", { class: "error-text", dataset: { code: fe.code } }, fe.message), suggBox]);
        }
        items.push(
          h(
            "li",
            null,
            ctl
              ? h("button", { type: "button", class: "link-button", onclick: () => focusEl(ctl) }, t("describe.problemField", { field: fieldName(fe.field), message: fe.message }))
              : t("describe.problemField", { field: fieldName(fe.field), message: fe.message }),
            ctl ? null : suggBox
          )
        );
      }
      summary.hidden = false;
      summary.setAttribute("role", "alert");
      summary.append(
        h("h2", null, t("describe.problem")),
        errors.length ? h("ul", null, items) : h("p", null, problemText(err))
      );
      focusEl(summary);
    }

    async function run(save) {
      const vals = readValues();
      const includeExcluded = includeBox.checked;
      describeMemo = { values: vals, result: describeMemo ? describeMemo.result : null, includeExcluded };
      const body = bodyOf(vals);
      const empty = missing(vals);
      if (empty.length) {
        showProblem({ status: 422, problem: { errors: empty } });
        return;
      }
      const buttons = form.querySelectorAll("button[type=submit], .actions button");
      buttons.forEach((b) => (b.disabled = true));
      status.textContent = t("app.loading");
      status.className = "form-status";
      try {
        if (save) {
          const written = await api("POST", "/needs", { body });
          const rec = written.need || written.record || written;
          announce(t("describe.saved"));
          location.hash = "#/needs/" + rec.id;
          return;
        }
        const result = await api("POST", "/matches", { query: { limit: 20, include_excluded: includeExcluded ? "true" : null }, body });
        clearErrors();
        status.textContent = "";
        describeMemo.result = result;
        drawResults(result, true);
      } catch (e) {
        status.textContent = "";
        if (e.status === 422 || e.status === 400) showProblem(e);
        else {
          status.textContent = problemText(e);
          status.className = "form-status error";
        }
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    }

    function drawResults(result, focus) {
      const heading = h("h2", { id: "dr-h", tabindex: "-1" }, t("describe.results"));
      const countText = t(result.matches.length === 1 ? "describe.resultsCountOne" : "describe.resultsCount", { n: fmtNum(result.matches.length), candidates: fmtNum(result.candidates) });
      const readings = result.readings || [];
      const warnings = result.warnings || [];
      kids(results, 
        heading,
        h("p", { class: "count-line", "data-testid": "match-count" }, countText),
        readings.length
          ? h(
              "section",
              { class: "readings", "data-testid": "readings", "aria-labelledby": "rd-h" },
              h("h3", { id: "rd-h" }, t("describe.readings")),
              h(
                "ul",
                null,
                readings.map((r) =>
                  h(
                    "li",
                    null,
                    t("describe.reading", {
                      typed: r.typed,
                      field: fieldName(r.field),
                      label: r.label,
                      confidence: tOr("describe.confidence." + r.confidence, r.confidence),
                      score: dec2.format(r.score),
                    }),
                    r.qualifiers && r.qualifiers.length ? "; " + t("describe.qualifiers", { q: r.qualifiers.join(", ") }) : null
                  )
                )
              )
            )
          : null,
        warnings.length
          ? h(
              "section",
              { class: "warnings notice", "aria-labelledby": "wn-h", "data-testid": "warnings" },
              h("h3", { id: "wn-h" }, t("describe.warnings")),
              h(
                "ul",
                null,
                warnings.map((w) =>
                  h(
                    "li",
                    null,
                    fieldName(w.field) + ": " + w.message,
                    w.suggestions && w.suggestions.length ? " (" + t("describe.suggestions") + " " + w.suggestions.map((x) => x.label).join(", ") + ")" : null
                  )
                )
              )
            )
          : null,
        result.matches.length
          ? h(
              "ol",
              { class: "plain match-list", "data-testid": "matches" },
              result.matches.map((m, i) =>
                matchItem(i + 1, h("a", { href: "#/platforms/" + m.platform.id }, m.platform.name), platformSummary(m.platform), m.score, m.components, null)
              )
            )
          : h("p", { class: "notice" }, t("describe.noMatches")),
        excludedList(result.excluded, "platform")
      );
      announce(countText);
      if (focus) focusEl(heading);
    }

    kids(main, h("h1", null, t("describe.heading")), h("p", { class: "lead" }, t("describe.intro")), h("div", { class: "describe-layout" }, form, results));
    if (memo.result) drawResults(memo.result, false);
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- sign in and register

  async function viewSignIn(isCurrent) {
    setTitle("auth.heading");
    if (!isCurrent()) return null;
    const formFields = (prefix, defs) =>
      defs.map(([name, key, control, hint]) => {
        control.id = prefix + "-" + name;
        control.name = name;
        return fieldBox(name, t(key), control, hint ? t(hint) : null, { required: true });
      });

    function formErrors(form, err) {
      for (const e of form.querySelectorAll(".field-error")) e.replaceChildren();
      for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
      const status = form.querySelector(".form-status");
      const errors = (err.problem && err.problem.errors) || [];
      let firstBad = null;
      for (const fe of errors) {
        const ctl = form.querySelector("[name=" + CSS.escape(fe.field) + "]");
        if (!ctl) continue;
        ctl.setAttribute("aria-invalid", "true");
        form.querySelector("#" + ctl.id + "-error").append(h("p", { class: "error-text" }, fe.message));
        firstBad = firstBad || ctl;
      }
      status.textContent = err.status === 401 ? t("auth.wrong") : problemText(err);
      status.className = "form-status error";
      if (firstBad) focusEl(firstBad);
    }

    const signinForm = h(
      "form",
      { class: "card auth-form", novalidate: true, "aria-labelledby": "si-h", "data-testid": "signin-form" },
      h("h2", { id: "si-h" }, t("auth.signinHeading")),
      formFields("si", [
        ["email", "auth.email", h("input", { type: "email", autocomplete: "username", maxlength: 254 })],
        ["password", "auth.password", h("input", { type: "password", autocomplete: "current-password", maxlength: 256 })],
      ]),
      h("div", { class: "actions" }, h("button", { type: "submit" }, t("auth.submit"))),
      h("p", { class: "form-status", role: "status" })
    );
    signinForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const btn = signinForm.querySelector("button");
      btn.disabled = true;
      try {
        const u = await signIn(signinForm.querySelector("#si-email").value.trim(), signinForm.querySelector("#si-password").value);
        announce(t("auth.signedIn", { name: u ? u.display_name : "" }));
        location.hash = "#/mine";
      } catch (e) {
        formErrors(signinForm, e);
      } finally {
        btn.disabled = false;
      }
    });

    const roleSelect = h(
      "select",
      null,
      ["researcher", "platform_manager"].map((r) => h("option", { value: r }, t("auth.roles." + r)))
    );
    const regForm = h(
      "form",
      { class: "card auth-form", novalidate: true, "aria-labelledby": "rg-h", "data-testid": "register-form" },
      h("h2", { id: "rg-h" }, t("auth.registerHeading")),
      formFields("rg", [
        ["display_name", "auth.displayName", h("input", { type: "text", autocomplete: "name", maxlength: 200 })],
        ["email", "auth.email", h("input", { type: "email", autocomplete: "email", maxlength: 254 })],
        ["password", "auth.password", h("input", { type: "password", autocomplete: "new-password", maxlength: 256, minlength: 12 }), "auth.passwordHint"],
        ["role", "auth.role", roleSelect],
      ]),
      h("div", { class: "actions" }, h("button", { type: "submit" }, t("auth.register"))),
      h("p", { class: "form-status", role: "status" })
    );
    regForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const btn = regForm.querySelector("button");
      btn.disabled = true;
      const val = (n) => regForm.querySelector("#rg-" + n).value;
      try {
        await api("POST", "/auth/register", {
          auth: false,
          body: { display_name: val("display_name").trim(), email: val("email").trim(), password: val("password"), role: val("role") },
        });
        await signIn(val("email").trim(), val("password"));
        announce(t("auth.registered"));
        location.hash = "#/mine";
      } catch (e) {
        formErrors(regForm, e);
      } finally {
        btn.disabled = false;
      }
    });

    kids(main, h("h1", null, t("auth.heading")), h("div", { class: "two-col" }, signinForm, regForm));
    return main.querySelector("h1");
  }

  function needSignIn(headingKey) {
    kids(main, h("h1", null, t(headingKey)), h("p", { class: "notice" }, t("auth.needSignin"), " ", h("a", { href: "#/signin" }, t("nav.signin"))));
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- my records

  async function viewMine(isCurrent) {
    setTitle("mine.heading");
    if (!token()) return needSignIn("mine.heading");
    await Promise.all(["technologies", "countries", "readiness-areas", "sample-types"].map((n) => vocab(n).catch(() => null)));
    const user = me || (await loadMe());
    if (!user) return needSignIn("mine.heading");
    const [platforms, needs] = await Promise.all([
      api("GET", "/platforms", { query: { mine: "true", limit: 100 } }).catch((e) => e),
      api("GET", "/needs", { query: { mine: "true", limit: 100 } }).catch((e) => e),
    ]);
    if (!isCurrent()) return null;
    const section = (id, key, page, card, emptyKey) =>
      h(
        "section",
        { "aria-labelledby": id, "data-testid": id },
        h("h2", { id }, t(key)),
        page instanceof Error
          ? errorBox(page)
          : page.items.length
          ? h("ul", { class: "result-list" }, page.items.map(card))
          : h("p", { class: "muted" }, t(emptyKey))
      );
    kids(main, 
      h("h1", null, t("mine.heading")),
      h("p", { class: "lead", "data-testid": "me" }, t("mine.intro", { name: user.display_name, role: tOr("auth.roles." + user.role, user.role), email: user.email })),
      h(
        "div",
        { class: "two-col" },
        section("mine-needs", "mine.needs", needs, needCard, "mine.noNeeds"),
        section("mine-platforms", "mine.platforms", platforms, platformCard, "mine.noPlatforms")
      )
    );
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- introductions inbox

  const names = new Map();
  function nameOf(kind, id) {
    const key = kind + ":" + id;
    if (!names.has(key)) {
      names.set(
        key,
        api("GET", "/" + kind + "/" + encodeURIComponent(id)).then(
          (r) => r.name || r.title || id,
          () => id
        )
      );
    }
    return names.get(key);
  }

  async function viewInbox(isCurrent) {
    setTitle("inbox.heading");
    if (!token()) return needSignIn("inbox.heading");
    const [received, sent] = await Promise.all([
      api("GET", "/introductions", { query: { box: "received", limit: 50 } }).catch((e) => e),
      api("GET", "/introductions", { query: { box: "sent", limit: 50 } }).catch((e) => e),
    ]);
    const all = [received, sent].filter((x) => !(x instanceof Error)).flatMap((x) => x.items);
    const resolved = await Promise.all(all.map((i) => Promise.all([nameOf("needs", i.need_id), nameOf("platforms", i.platform_id)])));
    const nm = new Map(all.map((i, k) => [i.id, resolved[k]]));
    if (!isCurrent()) return null;

    function item(i, box) {
      const [needName, platformName] = nm.get(i.id) || [i.need_id, i.platform_id];
      const hid = uid("in");
      const actions = [];
      const allowed = box === "received" ? { accepted: "accept", declined: "decline" } : { withdrawn: "withdraw" };
      for (const st of i.next_states || []) {
        const action = allowed[st];
        if (!action) continue;
        actions.push(
          h(
            "button",
            {
              type: "button",
              class: action === "accept" ? "" : "secondary",
              onclick: async (ev) => {
                ev.target.disabled = true;
                try {
                  await api("POST", "/introductions/" + i.id + "/" + action, { body: {} });
                  announce(t("inbox.done"));
                  route();
                } catch (e) {
                  li.append(errorBox(e));
                  ev.target.disabled = false;
                }
              },
            },
            t("inbox." + action)
          )
        );
      }
      const thread = h("div", { class: "thread" });
      const threadButton = h(
        "button",
        {
          type: "button",
          class: "link-button",
          "aria-expanded": "false",
          onclick: async () => {
            if (threadButton.getAttribute("aria-expanded") === "true") {
              thread.replaceChildren();
              threadButton.setAttribute("aria-expanded", "false");
              return;
            }
            threadButton.setAttribute("aria-expanded", "true");
            await drawThread();
          },
        },
        t("inbox.thread")
      );
      async function drawThread() {
        let full;
        try {
          full = await api("GET", "/introductions/" + i.id);
        } catch (e) {
          kids(thread, errorBox(e));
          return;
        }
        const mid = uid("nm");
        const ta = h("textarea", { id: mid, rows: 2, maxlength: 10000 });
        const closed = !["proposed", "accepted"].includes(full.state);
        kids(thread, 
          h("h4", { class: "small-heading" }, t("inbox.messages")),
          full.messages.length
            ? h(
                "ol",
                { class: "plain messages" },
                full.messages.map((m) =>
                  h("li", null, h("strong", null, tOr("inbox.from." + m.from, m.from)), " · ", h("span", { class: "muted" }, fmtDate(m.created_at)), h("p", null, m.body))
                )
              )
            : h("p", { class: "muted" }, t("inbox.noMessages")),
          full.contact
            ? h(
                "div",
                null,
                h("h4", { class: "small-heading" }, t("inbox.contact")),
                h(
                  "ul",
                  null,
                  ["requester", "platform"].map((side) =>
                    h("li", null, t("inbox.contactLine", { role: t("inbox.from." + side), name: full.contact[side].display_name, email: full.contact[side].email }))
                  )
                )
              )
            : null,
          closed
            ? null
            : h(
                "form",
                {
                  class: "message-form",
                  onsubmit: async (ev) => {
                    ev.preventDefault();
                    if (!ta.value.trim()) return;
                    try {
                      await api("POST", "/introductions/" + i.id + "/messages", { body: { message: ta.value.trim() } });
                      announce(t("inbox.done"));
                      await drawThread();
                    } catch (e) {
                      thread.append(errorBox(e));
                    }
                  },
                },
                h("label", { for: mid }, t("inbox.newMessage")),
                ta,
                h("button", { type: "submit" }, t("inbox.send"))
              )
        );
      }
      const li = h(
        "li",
        { class: "card intro", "aria-labelledby": hid },
        h(
          "h3",
          { id: hid },
          h("a", { href: "#/needs/" + i.need_id }, needName),
          " ↔ ",
          h("a", { href: "#/platforms/" + i.platform_id }, platformName)
        ),
        h(
          "p",
          { class: "meta" },
          t("inbox.meta", {
            state: tOr("inbox.state." + i.state, i.state),
            by: tOr("inbox.proposedBy." + i.proposed_by, i.proposed_by),
            score: dec2.format(i.score),
            updated: fmtDate(i.updated_at),
            expires: fmtDate(i.expires_at),
          })
        ),
        actions.length ? h("div", { class: "actions" }, actions) : null,
        threadButton,
        thread
      );
      return li;
    }

    const box = (id, key, page, name) =>
      h(
        "section",
        { "aria-labelledby": id, "data-testid": id },
        h("h2", { id }, t(key)),
        page instanceof Error
          ? errorBox(page)
          : page.items.length
          ? h("ul", { class: "plain intro-list" }, page.items.map((i) => item(i, name)))
          : h("p", { class: "muted" }, t("inbox.none"))
      );
    kids(main, 
      h("h1", null, t("inbox.heading")),
      h("div", { class: "two-col" }, box("inbox-received", "inbox.received", received, "received"), box("inbox-sent", "inbox.sent", sent, "sent"))
    );
    return main.querySelector("h1");
  }

  // ---------------------------------------------------------------- coverage

  const BINS = [
    { min: 1, max: 1, fill: "#deebf7", ink: "#0b1f33" },
    { min: 2, max: 2, fill: "#9ecae1", ink: "#0b1f33" },
    { min: 3, max: 4, fill: "#6baed6", ink: "#0b1f33" },
    { min: 5, max: 7, fill: "#2171b5", ink: "#ffffff" },
    { min: 8, max: Infinity, fill: "#08306b", ink: "#ffffff" },
  ];
  const EMPTY_FILL = "#f4f5f7";
  const GAP_MARK = "#b42318";

  function binOf(n) {
    return BINS.find((b) => n >= b.min && n <= b.max) || null;
  }

  function isPositive(v) {
    return typeof v === "string" ? v.trim() !== "" && v.trim() !== "0" : Number(v) > 0;
  }

  async function viewCoverage(params, isCurrent) {
    setTitle("nav.coverage");
    const areas = await vocab("readiness-areas").catch(() => ({ terms: [] }));
    await vocab("countries").catch(() => null);
    await vocab("technologies").catch(() => null);
    const area = params.get("readiness_area") || "";
    const [cov, gaps] = await Promise.all([
      api("GET", "/analytics/coverage", { query: { level: "family", readiness_area: area } }).catch((e) => e),
      api("GET", "/analytics/gaps", { query: { limit: GAPS_SHOWN } }).catch((e) => e),
    ]);
    if (!isCurrent()) return null;

    const areaId = uid("ra");
    const filter = h(
      "form",
      {
        class: "inline-form",
        onsubmit: (ev) => {
          ev.preventDefault();
          location.hash = hashFor("coverage", { readiness_area: filter.querySelector("select").value });
        },
      },
      h(
        "div",
        { class: "field" },
        h("label", { for: areaId }, t("coverage.readiness")),
        h("select", { id: areaId }, h("option", { value: "" }, t("coverage.allAreas")), areas.terms.map((a) => h("option", { value: a.id, selected: a.id === area }, a.label)))
      ),
      h("div", { class: "field submit" }, h("button", { type: "submit" }, t("coverage.apply")))
    );

    let mapSection;
    if (cov instanceof Error) {
      mapSection = h("section", { class: "map" }, cov.status === 404 ? h("p", { class: "notice" }, t("coverage.notAvailable")) : errorBox(cov));
    } else {
      mapSection = coverageMap(cov, area);
    }
    const gapSection = gapsList(gaps);
    kids(main, 
      h("h1", null, t("coverage.heading")),
      h("p", { class: "lead" }, t("coverage.intro")),
      filter,
      h("div", { class: "coverage-layout" }, mapSection, gapSection),
      cov instanceof Error ? null : coverageTable(cov, area)
    );
    return main.querySelector("h1");
  }

  function cellSearch(kind, country, technology, area) {
    return hashFor("search", { kind: kind === "needs" ? "needs" : null, country, technology, readiness_area: area || null });
  }

  function coverageMap(cov, area) {
    const rows = cov.countries || [];
    const cols = cov.technologies || [];
    const cells = new Map((cov.cells || []).map((c) => [c.country + "|" + c.technology, c]));
    const rowTotals = new Map(((cov.totals && cov.totals.countries) || []).map((x) => [x.country, x]));
    const cell = 36;
    const labelW = 170;
    const headH = 170;
    const totalW = 48;
    const width = labelW + cols.length * cell + totalW + 60;
    const height = headH + rows.length * cell + 4;
    const titleId = uid("svgt");
    const svg = s(
      "svg",
      {
        viewBox: "0 0 " + width + " " + height,
        width: width,
        class: "heatmap",
        role: "group",
        "aria-labelledby": titleId,
        "data-testid": "heatmap",
        style: "max-width:" + width + "px",
      },
      s("title", { id: titleId }, t("coverage.mapLabel"))
    );
    cols.forEach((c, j) => {
      const x = labelW + j * cell + cell / 2;
      svg.append(
        s(
          "text",
          { x, y: headH - 8, transform: "rotate(-55 " + x + " " + (headH - 8) + ")", class: "col-label" },
          c.label.length > 26 ? s("title", null, c.label) : null,
          c.label.length > 26 ? c.label.slice(0, 25).trim() + "…" : c.label
        )
      );
    });
    svg.append(s("text", { x: labelW + cols.length * cell + totalW / 2, y: headH - 8, class: "col-label total-label", "text-anchor": "middle" }, t("coverage.totals")));
    rows.forEach((r, i) => {
      const y = headH + i * cell;
      svg.append(s("text", { x: labelW - 8, y: y + cell / 2 + 4, class: "row-label", "text-anchor": "end" }, r.label));
      cols.forEach((c, j) => {
        const x = labelW + j * cell;
        const v = cells.get(r.id + "|" + c.id);
        if (!v) {
          svg.append(s("rect", { x: x + 1, y: y + 1, width: cell - 2, height: cell - 2, fill: EMPTY_FILL, class: "cell empty" }));
          return;
        }
        const bin = binOf(v.platforms);
        const tip = t("coverage.cellTitle", {
          country: r.label,
          technology: c.label,
          platforms: fmtNum(v.platforms),
          cross: fmtNum(v.cross_border_platforms),
          capacity: fmtNum(v.monthly_capacity),
          open: fmtNum(v.open_needs),
          unserved: fmtNum(v.unserved_needs),
          median: v.median_best_score == null ? "–" : dec2.format(v.median_best_score),
        });
        const a = s("a", { href: cellSearch("platforms", r.id, c.id, area), tabindex: "-1", class: "cell-link", "data-country": r.id, "data-technology": c.id });
        a.append(
          s("title", null, tip),
          s("rect", { x: x + 1, y: y + 1, width: cell - 2, height: cell - 2, fill: bin ? bin.fill : "#ffffff", stroke: bin ? "none" : "#8a94a6", class: "cell" })
        );
        if (v.platforms > 0) {
          a.append(s("text", { x: x + cell / 2, y: y + cell / 2 + 4, "text-anchor": "middle", fill: bin.ink, class: "cell-num" }, fmtNum(v.platforms)));
        }
        if (v.platforms === 0 && isPositive(v.open_needs)) {
          a.append(s("circle", { cx: x + cell / 2, cy: y + cell / 2, r: 5, fill: GAP_MARK }));
        } else if (isPositive(v.unserved_needs)) {
          a.append(s("circle", { cx: x + cell - 6, cy: y + 6, r: 3, fill: GAP_MARK }));
        }
        svg.append(a);
      });
      const tot = rowTotals.get(r.id);
      if (tot) svg.append(s("text", { x: labelW + cols.length * cell + totalW / 2, y: y + cell / 2 + 4, "text-anchor": "middle", class: "row-total" }, fmtNum(tot.platforms)));
    });

    const legend = h(
      "ul",
      { class: "legend", "aria-label": t("coverage.legend") },
      h("li", null, h("span", { class: "swatch", style: "background:" + EMPTY_FILL }), "0"),
      BINS.map((b) =>
        h(
          "li",
          null,
          h("span", { class: "swatch", style: "background:" + b.fill }),
          b.max === Infinity ? t("coverage.legendPlus", { from: b.min }) : b.min === b.max ? String(b.min) : t("coverage.legendRange", { from: b.min, to: b.max })
        )
      ),
      h("li", null, h("span", { class: "swatch dot", style: "background:" + GAP_MARK }), t("coverage.legendGap"))
    );
    return h(
      "section",
      { class: "map", "aria-labelledby": "map-h" },
      h("h2", { id: "map-h" }, t("coverage.map")),
      h("p", { class: "muted" }, t("coverage.asOf", { seq: fmtNum(cov.as_of_seq), min: cov.min_cell }), cov.stale_needs ? " " + t("coverage.stale", { n: fmtNum(cov.stale_needs) }) : null),
      h("h3", { class: "small-heading" }, t("coverage.legend")),
      legend,
      h("div", { class: "svg-box", tabindex: "0", role: "group", "aria-labelledby": "map-h" }, svg)
    );
  }

  function coverageTable(cov, area) {
    const rowsById = new Map((cov.countries || []).map((c) => [c.id, c.label]));
    const colsById = new Map((cov.technologies || []).map((c) => [c.id, c.label]));
    const order = new Map((cov.countries || []).map((c, i) => [c.id, i]));
    const corder = new Map((cov.technologies || []).map((c, i) => [c.id, i]));
    const cells = (cov.cells || []).slice().sort((a, b) => (order.get(a.country) - order.get(b.country)) || (corder.get(a.technology) - corder.get(b.technology)));
    const all = cov.totals && cov.totals.all;
    return h(
      "details",
      { class: "table-alt" },
      h("summary", null, t("coverage.tableToggle")),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "data", "data-testid": "coverage-table" },
          h("caption", null, t("coverage.tableCaption")),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["country", "technology", "platforms", "cross", "capacity", "openNeeds", "unserved", "median"].map((k) => h("th", { scope: "col" }, t("coverage." + k)))
            )
          ),
          h(
            "tbody",
            null,
            cells.map((c) => {
              const cl = rowsById.get(c.country) || c.country;
              const tl = colsById.get(c.technology) || c.technology;
              return h(
                "tr",
                null,
                h("th", { scope: "row" }, cl),
                h("td", null, tl),
                h("td", { class: "num" }, h("a", { href: cellSearch("platforms", c.country, c.technology, area), "aria-label": t("coverage.searchPlatforms", { n: fmtNum(c.platforms), country: cl, technology: tl }) }, fmtNum(c.platforms))),
                h("td", { class: "num" }, fmtNum(c.cross_border_platforms)),
                h("td", { class: "num" }, fmtNum(c.monthly_capacity)),
                h("td", { class: "num" }, h("a", { href: cellSearch("needs", c.country, c.technology, area), "aria-label": t("coverage.searchNeeds", { n: fmtNum(c.open_needs), country: cl, technology: tl }) }, fmtNum(c.open_needs))),
                h("td", { class: "num" }, fmtNum(c.unserved_needs)),
                h("td", { class: "num" }, c.median_best_score == null ? "–" : dec2.format(c.median_best_score))
              );
            })
          ),
          all
            ? h(
                "tfoot",
                null,
                h(
                  "tr",
                  null,
                  h("th", { scope: "row" }, t("coverage.totals")),
                  h("td", null, ""),
                  h("td", { class: "num" }, fmtNum(all.platforms)),
                  h("td", { class: "num" }, fmtNum(all.cross_border_platforms)),
                  h("td", { class: "num" }, fmtNum(all.monthly_capacity)),
                  h("td", { class: "num" }, fmtNum(all.open_needs)),
                  h("td", { class: "num" }, fmtNum(all.unserved_needs)),
                  h("td", { class: "num" }, all.median_best_score == null ? "–" : dec2.format(all.median_best_score))
                )
              )
            : null
        )
      )
    );
  }

  const GAPS_SHOWN = 8;
  const EXAMPLES_SHOWN = 5;

  function gapsList(gaps) {
    const sec = h("aside", { class: "gaps", "aria-labelledby": "gaps-h", "data-testid": "gaps" }, h("h2", { id: "gaps-h", tabindex: "-1" }, t("coverage.gaps")));
    if (gaps instanceof Error) {
      sec.append(gaps.status === 404 ? h("p", { class: "notice" }, t("coverage.notAvailable")) : errorBox(gaps));
      return sec;
    }
    sec.append(h("p", { class: "muted" }, t("coverage.gapsIntro", { days: fmtNum(gaps.open_days) })));
    if (!gaps.gaps.length) {
      sec.append(h("p", null, t("coverage.gapsNone")));
      return sec;
    }
    const total = typeof gaps.total === "number" ? gaps.total : gaps.gaps.length;
    if (total > gaps.gaps.length) {
      sec.append(
        h("p", null, t("coverage.gapsShown", { shown: fmtNum(gaps.gaps.length), total: fmtNum(total) })),
        h(
          "button",
          {
            type: "button",
            class: "secondary small",
            onclick: async (ev) => {
              ev.target.disabled = true;
              try {
                const more = await api("GET", "/analytics/gaps", { query: { limit: Math.min(500, total) } });
                const fresh = gapsList(more);
                sec.replaceWith(fresh);
                focusEl(fresh.querySelector("h2"));
              } catch (e) {
                sec.append(errorBox(e));
                ev.target.disabled = false;
              }
            },
          },
          t("coverage.gapsAll", { total: fmtNum(total) })
        )
      );
    }
    sec.append(
      h(
        "ul",
        { class: "plain gap-list" },
        gaps.gaps.map((g) =>
          h(
            "li",
            { class: "card gap", dataset: { kind: g.kind } },
            h("h3", null, tOr("coverage.gapKind." + g.kind, g.kind)),
            h(
              "p",
              { class: "sub" },
              [g.country ? label("countries", g.country) : null, g.technology ? label("technologies", g.technology) : null].filter(Boolean).join(" · "),
              g.country || g.technology ? " · " : null,
              h(
                "strong",
                null,
                g.kind === "no_platform_in_country"
                  ? t("coverage.gapCountries", { count: fmtNum(g.count), needs: fmtNum(g.needs) })
                  : t("coverage.gapCount", { count: fmtNum(g.count) })
              )
            ),
            h("p", null, g.reason),
            g.examples && g.examples.length
              ? h(
                  "p",
                  { class: "examples" },
                  t("coverage.examples") + ": ",
                  g.examples.slice(0, EXAMPLES_SHOWN).map((ex, k) => [
                    k ? ", " : null,
                    h("a", { href: ex.kind === "need" ? "#/needs/" + ex.id : hashFor("search", { kind: "needs", country: ex.id, technology: g.technology }) }, ex.label),
                  ]),
                  g.examples.length > EXAMPLES_SHOWN ? t("coverage.moreExamples", { n: fmtNum(g.examples.length - EXAMPLES_SHOWN) }) : null
                )
              : null
          )
        )
      )
    );
    return sec;
  }

  // ---------------------------------------------------------------- start

  function applyStaticText() {
    document.documentElement.lang = T.lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of document.querySelectorAll("[data-t-aria]")) el.setAttribute("aria-label", t(el.dataset.tAria));
    document.title = t("app.title");
    const skip = document.querySelector(".skip");
    skip.addEventListener("click", (ev) => {
      ev.preventDefault();
      focusEl(main);
    });
  }

  async function start() {
    applyStaticText();
    renderNav();
    await loadMe();
    renderNav();
    window.addEventListener("hashchange", route);
    await route();
  }

  start();
})();
