// The status page's CSS. Wide screens get tables; below 720px each row becomes a card whose
// cells are labelled from data-label, so a phone never scrolls sideways. Long words (URLs,
// errors, file names) wrap anywhere for the same reason; names and headers stay whole.
#include "serve/status_page.hpp"

namespace jobhost::serve {

std::string_view status_page_css() {
  return R"css(
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;
  --card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;
  --card:#151b23}
}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
  background:var(--bg)}
header,main{max-width:1200px;margin:0 auto;padding:12px 16px}
header{border-bottom:1px solid var(--line)}
h1{font-size:1.35rem;margin:.2rem 0}
h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
a{color:#0969da}
.muted{color:var(--muted);font-size:.85rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 0;padding:6px 8px;
  background:var(--card);border-radius:6px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:8px;border-bottom:1px solid var(--line);
  overflow-wrap:break-word}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);
  white-space:nowrap}
td.error,td.outputs,td .muted{overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:.6rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
dl.outputs{margin:0}
dl.outputs dt{font-size:.75rem;color:var(--muted)}
dl.outputs dd{margin:0 0 4px;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;color:#fff;
  white-space:nowrap}
.valid{background:#1a7f37}.invalid{background:#cf222e}
.banner{padding:8px 12px;border-radius:6px;background:#fff8c5;color:#3b2300}
.cells{display:flex;flex-wrap:wrap;gap:3px}
.cell{display:block;width:16px;height:16px;border-radius:3px}
.track{position:relative;height:14px;min-width:140px;background:var(--card);border-radius:3px;
  overflow:hidden}
.bar{height:14px;border-radius:3px}
.s-success{background:#1a7f37}.s-failed{background:#cf222e}.s-running{background:#0969da}
.s-up_for_retry{background:#bf8700}.s-deferred{background:#8250df}
.s-upstream_failed{background:#e16f24}
.s-skipped{background:#818b98}.s-cancelled{background:#59636e}.s-pending{background:#afb8c1}
.s-unknown{background:#afb8c1}
@media (max-width:720px){
 header,main{padding:10px}
 table,thead,tbody,tr,th,td{display:block;width:100%}
 thead{display:none}
 tr{border:1px solid var(--line);border-radius:8px;margin:0 0 12px;padding:4px 0}
 td{border:0;padding:4px 12px}
 td::before{content:attr(data-label);display:block;font-size:.7rem;text-transform:uppercase;
  color:var(--muted)}
 .track{min-width:0}
}
)css";
}

}  // namespace jobhost::serve
