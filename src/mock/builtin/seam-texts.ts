/**
 * Hand-written answers for the seam scenarios (src/mock/builtin/seam.ts): text a model really
 * writes, where the structure a continuation may restate is dense. Markdown with headings,
 * lists, a table and inline code; fenced Python, TypeScript and shell with indentation;
 * Japanese and Chinese without spaces, with a Thai paragraph; and a mix of all of them.
 */

export const MARKDOWN_ANSWER = `# Migrating the order service to the new storage engine

The short answer: do it in **three phases**, keep the old engine readable until the last one, and rely on incremental synchronisation across regions instead of a single cut-over weekend.

## Why not a single cut-over

A weekend cut-over looks simpler on paper, but it concentrates every risk into one window:

- the bulk copy of ~2.4 TB has to finish before Monday, with no margin for a retry;
- every client must switch its connection string at the same moment;
- a rollback means copying everything *back*, which nobody has rehearsed.

An incremental migration spreads those risks over weeks, and each step can be undone on its own.

## Phase 1: dual writes

Start by writing every change to both engines. The \`OrderRepository\` already funnels writes through \`save()\` and \`delete()\`, so the change is local:

1. Wrap the repository in a \`DualWriteRepository\` that calls the old engine first, then the new one.
2. Treat a failure on the new engine as a warning, never as an error the caller sees.
3. Count the mismatches with a \`dual_write_mismatch_total\` metric, labelled by operation.

Let it run for at least a week. The mismatch counter is your first real measure of how the two engines differ on production traffic.

## Phase 2: backfill and verification

Copy the historical data in batches of 10,000 orders, oldest first. For every batch, compare a checksum of the rows on both sides before moving on.

| Step | Tool | Expected duration | Rollback |
|------|------|-------------------|----------|
| Snapshot | \`pg_dump --snapshot\` | 40 min | none needed |
| Backfill | \`orders-backfill --batch 10000\` | 3 days | truncate the new tables |
| Verify | \`orders-verify --sample 0.05\` | 6 hours | rerun the batch |
| Shadow reads | feature flag \`read_shadow\` | 1 week | turn the flag off |

During the shadow-read week, every read is served by the old engine and replayed against the new one. Differences are logged with both payloads, so you can see whether the cause is the data or the query.

## Phase 3: switching reads, then retiring the old engine

Once the shadow reads have matched for seven consecutive days:

- flip \`read_primary\` to the new engine, one region at a time;
- keep dual writes on for another two weeks, so a rollback is a flag flip and not a copy;
- only then stop writing to the old engine and schedule its decommissioning.

### What to watch

Watch the p99 latency of \`GET /orders/{id}\`, the error rate of checkout, and the replication lag between regions. If the lag stays above 5 seconds for more than ten minutes, pause the rollout: synchronisation is falling behind and reads in the far region will be stale.

> **Note:** the new engine rejects timestamps without a time zone. Normalise them to UTC in the backfill, not in the application.

That is the whole plan. If you want, I can draft the \`DualWriteRepository\` next, with its tests.`;

export const CODE_ANSWER = `Here is a retry helper in both languages, with the same behaviour: exponential backoff with full jitter, a cap on the delay, and a budget on the total time.

## Python

\`\`\`python
import random
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class RetryBudgetExceeded(Exception):
    """Raised when the total time spent retrying passes the budget."""


def retry(
    operation: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
    budget: float = 30.0,
) -> T:
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except (ConnectionError, TimeoutError) as error:
            if attempt == attempts:
                raise
            delay = random.uniform(0, min(max_delay, base_delay * 2 ** attempt))
            if time.monotonic() - started + delay > budget:
                raise RetryBudgetExceeded(str(error)) from error
            time.sleep(delay)
    raise AssertionError("unreachable")
\`\`\`

The \`raise AssertionError\` at the end keeps type checkers happy: the loop always returns or raises.

## TypeScript

\`\`\`typescript
export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  budgetMs?: number;
  signal?: AbortSignal;
}

export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  { attempts = 5, baseDelayMs = 200, maxDelayMs = 5_000, budgetMs = 30_000, signal }: RetryOptions = {},
): Promise<T> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      if (performance.now() - started + delay > budgetMs) {
        throw new Error(\`retry budget of \${budgetMs} ms exceeded\`, { cause: error });
      }
      await sleep(delay, signal);
    }
  }
}

function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ECONNRESET" || code === "ETIMEDOUT" || code === "EAI_AGAIN";
}
\`\`\`

## Trying it

~~~sh
pip install pytest && pytest -q tests/test_retry.py
npx vitest run retry.test.ts
~~~

Both versions give up immediately on errors that are not transient: retrying a \`400\` or a validation error only wastes the budget.`;

export const JAPANESE_ANSWER = `# ストリーミング応答の再開について

ネットワークが途中で切れた場合でも、クライアントは受信済みのテキストを失う必要はありません。再開の仕組みは次の三つの段階で動きます。

## 仕組み

1. 受信したイベントをすべて記録し、どのブロックがどこまで届いたかを把握します。
2. 接続が切れたら、届いた部分をアシスタントのメッセージとして送り直し、続きを依頼します。
3. 新しい応答の先頭で、すでに表示した文章と重なる部分を取り除いてからつなぎ合わせます。

日本語や中国語のように単語の間に空白がない言語では、重なりを単語単位ではなく文字単位で判定しなければなりません。たとえば「東京の天気は晴れ」の途中で切れた場合、モデルは「天気は晴れのち曇りです」のように数文字を繰り返してから続けることがあります。

## 注意点

- 同じ語句が本当に二回続く文章（「ははは」など）を誤って削らないよう、最低限の長さを決めておきます。
- 絵文字🎌や結合文字を途中で切らないよう、書記素単位で扱います。
- コードブロックの中では、行の先頭から繰り返されることが多いので、行単位の判定も必要です。

以上の点を守れば、利用者は途切れたことに気づかないまま、最後まで自然な文章を読むことができます。`;

export const CHINESE_ANSWER = `# 断点续传的设计说明

当流式响应在中途断开时，客户端已经收到的文字不应该丢失。我们的做法是把已经收到的内容作为助手消息重新发送，并请求模型从中断的地方继续写下去。

## 主要步骤

一、记录每个内容块已经收到的部分，包括文本、思考过程和工具调用的参数。
二、连接断开后，按照原来的顺序重建请求，最后一个文本块可以是不完整的。
三、模型的续写可能会重复前面的几个字，需要在拼接时把重复的部分去掉。

中文没有空格分词，所以不能按单词比较，只能按字符比较。如果重复的部分太短，比如只有一两个字，就很难判断是真正的重复还是原文本来就有的内容，因此需要设定一个最小长度。

## 泰语摘要

ระบบจะเก็บข้อความที่ได้รับแล้วทั้งหมด เมื่อการเชื่อมต่อขาดหาย ระบบจะส่งข้อความเดิมกลับไปและขอให้โมเดลเขียนต่อจากจุดที่หยุดไว้ ภาษาไทยไม่มีช่องว่างระหว่างคำ จึงต้องเปรียบเทียบทีละตัวอักษรเช่นเดียวกับภาษาจีน

总之，只要拼接规则足够谨慎，用户读到的就是一条完整、连贯的回答。`;

export const MIXED_ANSWER = `## Localising the checkout page 🌏

The checkout page ships in English, 日本語, 简体中文 and ไทย. Strings live in \`locales/<lang>/checkout.json\`; the table below lists the ones that changed in this release.

| Key | en | ja | zh |
|-----|----|----|----|
| \`pay.button\` | Pay now | 今すぐ支払う | 立即付款 |
| \`pay.total\` | Total | 合計 | 合计 |
| \`address.title\` | Delivery address | お届け先 | 收货地址 |

A few things to keep in mind:

- Japanese and Chinese do not put spaces between words, so never split a string on \`" "\` to wrap it; use \`Intl.Segmenter\` with \`granularity: "word"\`.
- Thai (ภาษาไทย) has no spaces either, and its vowels and tone marks combine with the consonant before them: "ก่" is one grapheme but two code points.
- Emoji such as 👩‍💻 or 🇯🇵 are several code points too. Count graphemes, not \`.length\`, when you truncate.
- Accented names like "Zoe\u0308 Rene\u0301e" may arrive decomposed (e + U+0301); normalise with \`.normalize("NFC")\` before comparing.

Here is the helper the page uses to truncate a label safely:

\`\`\`ts
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function truncate(label: string, max: number): string {
  const graphemes = [...segmenter.segment(label)].map((s) => s.segment);
  if (graphemes.length <= max) return label;
  return \`\${graphemes.slice(0, max - 1).join("")}…\`;
}
\`\`\`

For example, \`truncate("お届け先の住所を入力してください", 8)\` returns "お届け先の住所…", and \`truncate("ทดสอบภาษาไทย", 5)\` never cuts a tone mark off its consonant.

东京和上海的团队会在发布前再检查一遍翻译。ขอบคุณครับ 🙏`;
