/**
 * The `lifeline doctor` report for people. (`--json` prints the snapshot itself.)
 */

import { type Paint, PLAIN, pad, wrap } from '../render.js';
import { formatMs } from './net.js';
import type { DoctorSnapshot, Severity, SseReport, UpstreamReport } from './snapshot.js';

const LABEL = 24;

export function renderDoctor(s: DoctorSnapshot, paint: Paint = PLAIN): string {
  const out: string[] = [];
  const row = (label: string, value: string) => out.push(`  ${pad(label, LABEL)}${value}`);
  out.push(
    `${paint.bold('lifeline doctor')} ${paint.dim(`(${s.createdAt}, lifeline ${s.lifeline}, ${s.host.platform}/${s.host.arch})`)}`,
  );

  out.push('', paint.bold('Runtimes'));
  row(
    'node',
    `${s.node.version}${s.node.undici === null ? '' : paint.dim(` (bundled undici ${s.node.undici})`)}`,
  );
  for (const p of s.python) {
    if (!p.found || p.version === null) {
      row(p.command, paint.dim(p.error ?? 'not found'));
      continue;
    }
    const pkgs = Object.entries(p.packages)
      .map(([k, v]) => `${k} ${v ?? paint.dim('-')}`)
      .join(', ');
    row(
      p.command,
      `Python ${p.version}  ${pkgs}${p.executable !== null && p.executable !== p.command ? paint.dim(`  (${p.executable})`) : ''}`,
    );
  }

  out.push('', `${paint.bold('JavaScript packages')} ${paint.dim(`(resolved from ${s.js.cwd})`)}`);
  for (const p of s.js.packages) row(p.name, p.version ?? paint.dim('not found'));

  out.push('', paint.bold('Environment'));
  const values = Object.entries(s.env.values);
  if (!('ANTHROPIC_BASE_URL' in s.env.values)) row('ANTHROPIC_BASE_URL', paint.dim('not set'));
  for (const [k, v] of values) row(k, v);
  for (const [k, v] of Object.entries(s.env.secrets))
    row(k, v === 'set' ? `set ${paint.dim('(value not shown)')}` : paint.dim('not set'));

  out.push(
    '',
    `${paint.bold('Upstream')} ${s.upstream.url} ${paint.dim(`(${sourceText(s.upstream)})`)}`,
  );
  out.push(...upstreamLines(s.upstream, paint));

  out.push('', paint.bold('SSE buffering'));
  out.push(...sseLines(s.sse, paint));

  out.push('', paint.bold('Warnings'));
  if (s.warnings.length === 0) out.push(`  ${paint.green('none')}`);
  for (const w of s.warnings) {
    out.push(
      wrap(w.message, '          ', `  ${severity(w.severity, paint)}  ${paint.cyan(w.id)}: `),
    );
  }
  return `${out.join('\n')}\n`;
}

function sourceText(u: UpstreamReport): string {
  if (u.source === 'flag') return 'from --upstream';
  if (u.source === 'ANTHROPIC_BASE_URL') return 'from ANTHROPIC_BASE_URL';
  return 'default; ANTHROPIC_BASE_URL not set';
}

function upstreamLines(u: UpstreamReport, paint: Paint): string[] {
  const via = u.via === 'proxy' ? `via proxy ${u.proxy}` : 'direct';
  if (!u.reachable) {
    return [
      `  GET ${u.probeUrl}  ${paint.red('unreachable')} ${paint.dim(`(${via})`)}`,
      wrap(u.error ?? '', '    ', '    '),
      ...(u.errorSignature === null
        ? []
        : [`    ${paint.dim(`lifeline explain: ${u.errorSignature}`)}`]),
    ];
  }
  const status =
    u.status !== null && u.status < 400
      ? paint.green(String(u.status))
      : paint.yellow(String(u.status));
  const lines = [
    `  GET ${u.probeUrl}  ${status} in ${formatMs(u.totalMs ?? 0)} ${paint.dim(`(headers ${formatMs(u.headersMs ?? 0)}; ${via}; credentials ${u.auth})`)}`,
  ];
  if (u.server !== null || u.intermediaries.length > 0) {
    lines.push(
      `  ${paint.dim(`server: ${u.server ?? '-'}; intermediaries: ${u.intermediaries.join(', ') || 'none recognised'}`)}`,
    );
  }
  return lines;
}

function sseLines(sse: SseReport, paint: Paint): string[] {
  const verdict =
    sse.verdict === 'streaming'
      ? paint.green('streaming')
      : sse.verdict === 'buffered' || sse.verdict === 'failed'
        ? paint.red(sse.verdict)
        : paint.dim(sse.verdict);
  const where = sse.url === null ? '' : ` ${paint.dim(`${sse.method} ${sse.url}`)}`;
  return [`  ${verdict}${where}`, wrap(sse.reason, '    ')];
}

function severity(s: Severity, paint: Paint): string {
  if (s === 'error') return paint.red(pad('error', 6));
  if (s === 'warn') return paint.yellow(pad('warn', 6));
  return paint.dim(pad('info', 6));
}
