/**
 * The HTML report's stylesheet and script, inlined into every report (a report is one file
 * that opens anywhere, offline: no CDN, no fonts, no requests; its Content-Security-Policy
 * forbids them). The script only reads the page: block details come from `data-*`
 * attributes and `<template>` elements and are written with `textContent`, never as markup.
 */

export const REPORT_CSS = `
:root{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#d8dde6;--panel:#f5f7fa;
--text:#4a7fd4;--thinking:#9b6fd1;--tool:#e08a2e;--result:#3fa56b;--other:#8a94a6;--dead:#d23c3c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 24px 8px;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:22px 0 8px}h3{font-size:14px;margin:0}
#summary{margin:6px 0 10px;max-width:1100px}
.facts{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0;padding:0;list-style:none;color:var(--muted)}
.facts b{color:var(--fg);font-weight:600}
main{display:grid;grid-template-columns:minmax(0,1fr) 320px;gap:24px;padding:0 24px 24px}
@media (max-width:900px){main{grid-template-columns:1fr}}
.attempt{margin:14px 0 4px}
.attempt-head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.attempt-head .meta{color:var(--muted)}
.end{font-weight:600;padding:0 6px;border-radius:3px;background:#eef1f5}
.end.failed{background:#fbe3e3;color:#9c2020}.end.complete{background:#e2f4e8;color:#1c6b3a}
.lane{position:relative;display:flex;height:34px;margin:6px 0 2px;border:1px solid var(--line);border-radius:4px;background:var(--panel)}
.lane>i{display:block;position:relative;overflow:hidden;min-width:2px;height:100%;border-right:1px solid #fff;cursor:pointer}
.lbl{position:absolute;left:6px;top:8px;color:#fff;font-size:12px;font-style:normal;white-space:nowrap;pointer-events:none}
.lane>i:hover,.lane>i.sel{outline:2px solid var(--fg);outline-offset:-2px}
.k-text{background:var(--text)}.k-thinking{background:var(--thinking)}.k-tool{background:var(--tool)}
.k-result{background:var(--result)}.k-other{background:var(--other)}
.lane>i.open{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.55) 0 4px,transparent 4px 8px)}
.lane>i.died{box-shadow:inset 0 0 0 2px var(--dead)}
.death{position:absolute;right:-1px;top:-7px;bottom:-7px;width:3px;background:var(--dead);pointer-events:none}
.death-label{color:var(--dead);font-weight:600;margin:4px 0 0}
.timeaxis{position:relative;height:18px;color:var(--muted);font-size:12px;margin-top:4px}
.timeaxis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.tlane{position:relative;height:22px;margin:4px 0;background:var(--panel);border:1px solid var(--line);border-radius:4px}
.tlane>i{position:absolute;top:2px;bottom:2px;min-width:2px;cursor:pointer}
.tlane>.span{top:0;bottom:0;border-left:2px solid var(--fg);background:rgba(29,35,48,.06);cursor:default}
.tlane>.fail{top:-4px;bottom:-4px;width:3px;background:var(--dead);cursor:default}
.legend{display:flex;gap:14px;flex-wrap:wrap;color:var(--muted);font-size:12px;margin:6px 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-2px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
pre{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:10px;overflow:auto;white-space:pre-wrap;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
aside{position:sticky;top:12px;align-self:start;border:1px solid var(--line);border-radius:6px;padding:12px;background:var(--panel);margin-top:22px}
aside dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0 0}
aside dt{color:var(--muted)}aside dd{margin:0;word-break:break-word}
aside pre{max-height:260px;margin:8px 0 0;background:#fff}
.muted{color:var(--muted)}
footer{padding:8px 24px 24px;color:var(--muted);font-size:12px}
`;

/** Fills the details panel from a block's data attributes (hover shows, click pins). */
export const REPORT_JS = `
(function(){
  var panel=document.getElementById('detail-body');
  var title=document.getElementById('detail-title');
  var pinned=null;
  function size(n){n=Number(n);if(!(n>=1024))return n+' B';var u=['KB','MB','GB'],i=-1;do{n/=1024;i++}while(n>=1024&&i<2);return (n<10?Math.round(n*10)/10:Math.round(n))+' '+u[i]}
  function ms(v){if(v===undefined||v==='')return undefined;v=Number(v);return v<1000?Math.round(v)+' ms':(v/1000).toFixed(2)+' s'}
  function row(dl,k,v){if(v===undefined||v===null||v==='')return;var dt=document.createElement('dt');dt.textContent=k;var dd=document.createElement('dd');dd.textContent=String(v);dl.appendChild(dt);dl.appendChild(dd)}
  function find(el){while(el&&el!==document){if(el.dataset&&el.dataset.i!==undefined)return el;el=el.parentNode}return null}
  function source(el){if(el.dataset.ref){return document.getElementById(el.dataset.ref)||el}return el}
  function show(el){
    var b=source(el),d=b.dataset;
    title.textContent='Attempt '+d.a+', block '+d.i;
    var dl=document.createElement('dl');
    row(dl,'type',d.t);row(dl,'tool',d.n);row(dl,'state',d.st);
    row(dl,'delta type',d.dt);row(dl,'deltas',d.d);
    row(dl,'payload',d.p!==undefined?size(d.p):undefined);
    row(dl,'event bytes',d.b!==undefined?size(d.b):undefined);
    row(dl,'started',ms(d.s));row(dl,'last event',ms(d.e));
    row(dl,'died',d.die);
    panel.replaceChildren(dl);
    var tpl=document.getElementById('c-'+d.a+'-'+d.i);
    if(tpl){var pre=document.createElement('pre');pre.textContent=tpl.content.textContent;panel.appendChild(pre)}
    else if(d.i!==undefined){var p=document.createElement('p');p.className='muted';p.textContent=document.body.dataset.content==='1'?'No content recorded for this block.':'Content elided (lifeline analyze --html --content shows it).';panel.appendChild(p)}
  }
  document.addEventListener('mouseover',function(e){var b=find(e.target);if(b&&!pinned)show(b)});
  document.addEventListener('click',function(e){var b=find(e.target);if(!b)return;
    if(pinned)pinned.classList.remove('sel');
    if(pinned===b){pinned=null;return}
    pinned=b;b.classList.add('sel');show(b)});
  document.addEventListener('keydown',function(e){if(e.key==='Enter'){var b=find(document.activeElement);if(b)show(b)}});
})();
`;
