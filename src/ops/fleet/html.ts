// The fleet report as one self-contained HTML file: inline CSS, no script, no fonts or images from
// anywhere, and a Content-Security-Policy that forbids every load, so it opens the same from a CI
// artifact, a mail attachment or an air-gapped laptop. Pages (one per workload and per node group)
// are sections shown with CSS :target, so links work without JavaScript. Every name in it comes
// from a cluster or a registry and is escaped.
import type { Fact } from "../../compat/label-types.js";
import type { EntryFailure, FleetCell, FleetGroup, FleetReport, FleetWorkload } from "./report.js";
import type { WhatIfComparison } from "./what-if.js";

export interface HtmlReportInput {
  report: FleetReport;
  target?: FleetReport;
  comparison?: WhatIfComparison;
  /** Shown in the header; the caller's clock, so the renderer stays pure. */
  generated: string;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function short(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : digest.slice(colon + 1, colon + 13);
}

function factText(fact: Fact | undefined): string {
  if (fact === undefined) return "none";
  if (Array.isArray(fact))
    return fact.length > 8 ? `${fact.slice(0, 8).join(", ")}, … (${fact.length})` : fact.join(", ");
  return String(fact);
}

function failureLines(failures: readonly EntryFailure[]): string[] {
  const lines: string[] = [];
  for (const f of failures) {
    if (f.labels.length > 0) {
      for (const l of f.labels) {
        lines.push(`${l.label} ${l.required} — node: ${factText(l.observed)}`);
      }
    } else lines.push(`${f.platform ?? "entry " + String(f.entry)}: ${f.reasons[0] ?? "excluded"}`);
  }
  return [...new Set(lines)];
}

function cellSummary(cell: FleetCell | undefined): {
  text: string;
  detail: string[];
  state: string;
} {
  if (cell === undefined) return { text: "?", detail: [], state: "unknown" };
  if (cell.state === "chosen") {
    return {
      text: `${cell.chosen.platform ?? "entry"} ${short(cell.chosen.digest)}`,
      detail: [],
      state: "fits",
    };
  }
  if (cell.state === "unreadable")
    return { text: "unreadable", detail: [cell.problem], state: "unknown" };
  return { text: "✗", detail: failureLines(cell.failures), state: "none" };
}

function imageOf(report: FleetReport, reference: string) {
  return report.images.find((i) => i.reference === reference);
}

function workloadCell(
  report: FleetReport,
  w: FleetWorkload,
  gi: number,
  group: FleetGroup,
): string {
  const state = w.cells[gi] ?? "unknown";
  const parts = w.containers.map((c) => {
    const s = cellSummary(imageOf(report, c.image)?.cells[gi]);
    const name = w.containers.length > 1 ? `<b>${esc(c.name || c.image)}</b> ` : "";
    const detail =
      s.detail.length > 0
        ? `<ul>${s.detail
            .slice(0, 4)
            .map((d) => `<li>${esc(d)}</li>`)
            .join("")}</ul>`
        : "";
    return `<div class="part">${name}<span class="variant ${s.state}">${esc(s.text)}</span>${detail}</div>`;
  });
  return `<td class="cell ${state}" data-workload="${esc(w.name)}" data-group="${esc(group.id)}" data-state="${state}">${parts.join("")}</td>`;
}

function heatMap(report: FleetReport, id: string, pagePrefix: string): string {
  const head = report.groups
    .map(
      (g) =>
        `<th scope="col"><a href="#${pagePrefix}g-${esc(g.id)}">${esc(g.id)}</a><small>${esc(g.title)}</small><small>${esc(g.platform)} · ${g.members.length} node${g.members.length === 1 ? "" : "s"}</small></th>`,
    )
    .join("");
  const rows = report.workloads
    .map((w, wi) => {
      const cells = report.groups.map((g, gi) => workloadCell(report, w, gi, g)).join("");
      return `<tr><th scope="row"><a href="#${pagePrefix}w-${wi}">${esc(w.name)}</a><small>${w.compatibleNodes} of ${report.summary.nodes} nodes</small></th>${cells}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table class="heatmap" id="${id}"><thead><tr><th>workload \\ node group</th>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function list(items: readonly string[], empty: string): string {
  if (items.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  return `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
}

function summaryCards(report: FleetReport): string {
  const s = report.summary;
  const card = (cls: string, title: string, items: readonly string[], empty: string): string =>
    `<div class="card ${cls}" data-summary="${cls}"><h3><span class="count">${items.length}</span> ${esc(title)}</h3>${list(items, empty)}</div>`;
  return `<div class="cards">
${card("nowhere", "with no compatible node", s.nowhere, "every workload has a node")}
${card("one", "on one node group only", s.oneGroup, "none hangs on a single group")}
${card("everywhere", "run everywhere", s.everywhere, "none runs on every node")}
${s.unknown.length > 0 ? card("unknown", "with unreadable images", s.unknown, "") : ""}
</div>`;
}

function problems(report: FleetReport): string {
  const unreadable = report.images.filter((i) => i.problem !== undefined);
  if (report.nodeProblems.length === 0 && unreadable.length === 0) return "";
  const items = [
    ...report.nodeProblems.map((p) => `node source ${p.source}: ${p.problem}`),
    ...unreadable.map((i) => `image ${i.reference}: ${i.problem ?? ""}`),
  ];
  return `<div class="problems"><h3>Skipped input</h3>${list(items, "")}</div>`;
}

function comparisonSection(c: WhatIfComparison): string {
  const switched = c.switched.map(
    (s) =>
      `${s.workload}: ${s.image} ${s.current.map(short).join(", ")} → ${s.target.map(short).join(", ")}`,
  );
  const better = c.better.map(
    (b) =>
      `${b.workload}: ${b.image} ${b.current.platform ?? ""} ${short(b.current.digest)} → ${b.target.platform ?? ""} ${short(b.target.digest)}`,
  );
  return `<section id="what-if"><h2>What if: the target fleet</h2><div class="cards">
<div class="card nowhere" data-summary="lost"><h3><span class="count">${c.lost.length}</span> lose every compatible node</h3>${list(c.lost, "no workload loses its nodes")}</div>
<div class="card one" data-summary="switched"><h3><span class="count">${c.switched.length}</span> switch variant</h3>${list(switched, "no image changes variant")}</div>
<div class="card everywhere" data-summary="better"><h3><span class="count">${c.better.length}</span> gain a better variant</h3>${list(better, "no image gains a better variant")}</div>
</div></section>`;
}

function workloadPage(report: FleetReport, w: FleetWorkload, wi: number, prefix: string): string {
  const rows = w.containers
    .map((c) => {
      const image = imageOf(report, c.image);
      const cells = report.groups
        .map((_group, gi) => {
          const s = cellSummary(image?.cells[gi]);
          const state =
            image?.cells[gi]?.state === "chosen" ? "fits" : image?.problem ? "unknown" : "none";
          return `<td class="cell ${state}"><span class="variant">${esc(s.text)}</span>${s.detail.length ? `<ul>${s.detail.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>` : ""}</td>`;
        })
        .join("");
      return `<tr><th scope="row">${esc(c.name || "container")}${c.init ? " <small>init</small>" : ""}<small>${esc(c.image)}${image?.digest ? ` @ ${esc(short(image.digest))}` : ""}</small></th>${cells}</tr>`;
    })
    .join("");
  const head = report.groups
    .map(
      (g) =>
        `<th><a href="#${prefix}g-${esc(g.id)}">${esc(g.id)}</a><small>${esc(g.title)}</small></th>`,
    )
    .join("");
  return `<section class="page" id="${prefix}w-${wi}"><p><a href="#">← overview</a></p><h2>${esc(w.name)}</h2>
<p>${esc(w.kind)} · ${w.containers.length} container${w.containers.length === 1 ? "" : "s"} · runs on ${w.compatibleNodes} of ${report.summary.nodes} nodes</p>
<div class="scroll"><table class="detail"><thead><tr><th>container</th>${head}</tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function groupPage(report: FleetReport, g: FleetGroup, gi: number, prefix: string): string {
  const labels = Object.keys(g.labels)
    .sort()
    .map((k) => `<tr><th scope="row">${esc(k)}</th><td>${esc(factText(g.labels[k]))}</td></tr>`)
    .join("");
  const fits = report.workloads.filter((w) => w.cells[gi] === "fits").map((w) => w.name);
  const not = report.workloads.filter((w) => w.cells[gi] !== "fits").map((w) => w.name);
  return `<section class="page" id="${prefix}g-${esc(g.id)}"><p><a href="#">← overview</a></p><h2>Node group ${esc(g.id)}: ${esc(g.title)}</h2>
<p>${esc(g.platform)} · ${g.members.length} node${g.members.length === 1 ? "" : "s"}</p>
<div class="cols"><div><h3>Members</h3>${list(g.members, "")}<h3>Runs</h3>${list(fits, "no workload")}<h3>Cannot run</h3>${list(not, "every workload fits")}</div>
<div><h3>Facts</h3><table class="facts"><tbody>${labels}</tbody></table></div></div></section>`;
}

const STYLE = `
:root{--ok:#1f9d55;--ok-bg:#e3f6ea;--bad:#c53030;--bad-bg:#fdecec;--warn:#b7791f;--warn-bg:#fdf5e2;--ink:#1a202c;--muted:#6b7280;--line:#e2e8f0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f7f8fa}
header{background:#1e293b;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cbd5e1}
main{padding:20px 28px}h2{font-size:17px;margin:24px 0 10px}h3{font-size:14px;margin:0 0 6px}
a{color:#2563eb;text-decoration:none}a:hover{text-decoration:underline}small{display:block;color:var(--muted);font-weight:normal}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:6px;padding:12px 14px}
.card ul{margin:4px 0 0;padding-left:18px;max-height:9em;overflow:auto}.card .count{font-size:22px;margin-right:4px}
.card.nowhere{border-left-color:var(--bad)}.card.one{border-left-color:var(--warn)}.card.everywhere{border-left-color:var(--ok)}
.muted{color:var(--muted);margin:0}.problems{margin-top:14px;background:var(--warn-bg);border:1px solid #f6e05e;border-radius:6px;padding:10px 14px}
.scroll{overflow:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#f1f5f9;font-size:12px;white-space:nowrap}tbody th{white-space:nowrap;background:#fafbfc}
.cell{min-width:150px;font-size:12px}.cell ul{margin:2px 0 0;padding-left:14px;color:#7f1d1d}
.cell.fits{background:var(--ok-bg)}.cell.none{background:var(--bad-bg)}
.variant.fits,.cell.fits .variant{color:var(--ok);font-weight:600}.variant.none,.cell.none>.variant{color:var(--bad);font-weight:700}
.cell.unknown{background:var(--warn-bg)}.part+.part{margin-top:4px;border-top:1px dashed var(--line);padding-top:4px}
.variant{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.page{display:none;background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 18px 18px;margin-top:16px}.page:target{display:block}
body:has(.page:target) #overview{display:none}
.cols{display:grid;grid-template-columns:1fr 2fr;gap:18px}.facts th{font-family:ui-monospace,monospace;font-size:12px}
.legend span{display:inline-block;padding:2px 8px;border-radius:4px;margin-right:6px;font-size:12px}
`;

export function renderFleetHtml(input: HtmlReportInput): string {
  const { report, target, comparison } = input;
  const s = report.summary;
  const overview = `<div id="overview">
<h2>Summary</h2>${summaryCards(report)}${problems(report)}
${comparison ? comparisonSection(comparison) : ""}
<h2>Heat map: workloads × node groups${target ? " (current fleet)" : ""}</h2>
<p class="legend"><span class="cell fits">variant chosen</span><span class="cell none">✗ no entry fits: failing labels and the node's values</span><span class="cell unknown">image unreadable</span></p>
${heatMap(report, "heatmap", "")}
${target ? `<h2>Heat map: the target fleet</h2>${heatMap(target, "target-heatmap", "t-")}` : ""}
</div>`;
  const pages = [
    ...report.workloads.map((w, i) => workloadPage(report, w, i, "")),
    ...report.groups.map((g, i) => groupPage(report, g, i, "")),
    ...(target
      ? [
          ...target.workloads.map((w, i) => workloadPage(target, w, i, "t-")),
          ...target.groups.map((g, i) => groupPage(target, g, i, "t-")),
        ]
      : []),
  ].join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ocicompat fleet report</title><style>${STYLE}</style></head>
<body><header><h1>ocicompat fleet report</h1><p>${s.workloads} workloads · ${s.nodes} nodes in ${s.groups} node groups · generated ${esc(input.generated)}</p></header>
<main>${overview}
${pages}
</main></body></html>
`;
}
