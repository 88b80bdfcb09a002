/**
 * The seam corpus: partial texts (as the stream delivered them, trailing whitespace included,
 * which the splicer holds back), a continuation as a model may write it, and the text the
 * client must end up with. One row a case, by family; the README's "How the seam works"
 * explains the rules and the ambiguity policy these rows pin down.
 */

export type Family =
  | 'word-cut'
  | 'words'
  | 'ambiguity'
  | 'cjk'
  | 'code'
  | 'markdown'
  | 'whitespace'
  | 'preamble'
  | 'all'
  | 'append';

export interface SeamCase {
  family: Family;
  name: string;
  partial: string;
  continuation: string;
  expected: string;
}

type Row = [name: string, partial: string, continuation: string, expected: string];

function rows(family: Family, list: Row[]): SeamCase[] {
  return list.map(([name, partial, continuation, expected]) => ({
    family,
    name,
    partial,
    continuation,
    expected,
  }));
}

const SYNC = 'We need an incremental synchronisation across regions.';
const MIGRATION = 'The migration plan is ready.';

export const CORPUS: SeamCase[] = [
  ...rows('word-cut', [
    ['continues a cut word', 'We need an incremental synchronis', 'ation across regions.', SYNC],
    [
      'restarts a cut word',
      'We need an incremental synchronis',
      'synchronisation across regions.',
      SYNC,
    ],
    ['continues "migra"', 'The migra', 'tion plan is ready.', MIGRATION],
    ['restarts "migra"', 'The migra', 'migration plan is ready.', MIGRATION],
    [
      'restarts a cut word with the word before',
      'The migra',
      'The migration plan is ready.',
      MIGRATION,
    ],
    [
      'continues a long word',
      'Please refactor the authenticat',
      'ion module.',
      'Please refactor the authentication module.',
    ],
    [
      'restarts a long word',
      'Please refactor the authenticat',
      'authentication module.',
      'Please refactor the authentication module.',
    ],
    ['restarts an adverb', 'He was unbeliev', 'unbelievably fast.', 'He was unbelievably fast.'],
    ['continues an adverb', 'He was unbeliev', 'ably fast.', 'He was unbelievably fast.'],
    [
      'restarts inside inline code',
      'Call `getUs',
      'getUserById()` first.',
      'Call `getUserById()` first.',
    ],
    ['reopens inline code', 'Call `getUs', '`getUserById()` first.', 'Call `getUserById()` first.'],
    [
      'continues inside inline code',
      'Call `getUs',
      'erById()` first.',
      'Call `getUserById()` first.',
    ],
    [
      'restarts after a dot',
      'Then self.conn',
      'connection.close() runs.',
      'Then self.connection.close() runs.',
    ],
    [
      'restarts a dotted name',
      'Then self.conn',
      'self.connection.close() runs.',
      'Then self.connection.close() runs.',
    ],
    ['restarts after an apostrophe', "C'est l'ar", 'art de vivre.', "C'est l'art de vivre."],
    [
      'restarts a German compound',
      'Die Geschwindigkeitsbegren',
      'Geschwindigkeitsbegrenzung gilt.',
      'Die Geschwindigkeitsbegrenzung gilt.',
    ],
    [
      'continues a German compound',
      'Die Geschwindigkeitsbegren',
      'zung gilt.',
      'Die Geschwindigkeitsbegrenzung gilt.',
    ],
    [
      'restarts a Cyrillic word',
      'Это синхрониз',
      'синхронизация данных.',
      'Это синхронизация данных.',
    ],
    ['continues a Cyrillic word', 'Это синхрониз', 'ация данных.', 'Это синхронизация данных.'],
    [
      'restarts a Greek word',
      'Η συγχρονισ',
      'συγχρονισμός δεδομένων.',
      'Η συγχρονισμός δεδομένων.',
    ],
    ['restarts a word with an accent', 'Le résu', 'résumé est prêt.', 'Le résumé est prêt.'],
    ['restarts a snake_case name', 'Set max_retr', 'max_retries to 3.', 'Set max_retries to 3.'],
    ['continues a snake_case name', 'Set max_retr', 'ies to 3.', 'Set max_retries to 3.'],
    ['restarts a hyphenated word', 'A well-kno', 'well-known fact.', 'A well-known fact.'],
    [
      'restates a one-letter word, then leaves it',
      'There is a',
      'a small issue.',
      'There is a small issue.',
    ],
    ['restates "I"', 'I', 'I think so.', 'I think so.'],
    ['restarts a two-letter word', 'Go to', 'to the end.', 'Go to the end.'],
    [
      'restarts a word cut inside a combining sequence',
      'Cafe\u0301 au lai',
      'lait, please.',
      'Cafe\u0301 au lait, please.',
    ],
    ['restarts after an emoji', 'Done 🎉 deplo', 'deployed.', 'Done 🎉 deployed.'],
  ]),
  ...rows('words', [
    [
      'restates the last two words',
      'The quick brown fo',
      'brown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      'restates the last three words',
      'The quick brown fo',
      'quick brown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      'restates words before held whitespace',
      'The quick brown fox ',
      'brown fox jumps over.',
      'The quick brown fox jumps over.',
    ],
    [
      'restates a sentence start',
      'First, install it. Then run the',
      'Then run the migrations.',
      'First, install it. Then run the migrations.',
    ],
    [
      'restates a whole sentence',
      'It works. ',
      'It works. Next, deploy.',
      'It works. Next, deploy.',
    ],
    ['takes the longest restatement', 'a b a b', 'a b a b c', 'a b a b c'],
    [
      'restates after a leading space',
      'the quick brown',
      ' quick brown fox.',
      'the quick brown fox.',
    ],
    [
      'restates after a leading newline, ending mid-word',
      'Items:\n- item one\n- item tw',
      '\n- item two\n- item three',
      'Items:\n- item one\n- item two\n- item three',
    ],
    [
      'restates a clause with punctuation',
      'Well, as I said, the',
      'as I said, the answer is no.',
      'Well, as I said, the answer is no.',
    ],
    ['restates a quoted phrase', 'He said "do not', '"do not panic".', 'He said "do not panic".'],
    [
      'restates numbers and words',
      'It costs 42 dollars and',
      '42 dollars and 10 cents.',
      'It costs 42 dollars and 10 cents.',
    ],
    [
      'restates a URL phrase',
      'Open https://example.com/docs to',
      'https://example.com/docs to read more.',
      'Open https://example.com/docs to read more.',
    ],
    [
      'restates across a line break',
      'Roses are red,\nviolets are',
      'red,\nviolets are blue.',
      'Roses are red,\nviolets are blue.',
    ],
  ]),
  ...rows('ambiguity', [
    [
      '"had had" with a leading space is real text',
      'By then I had',
      ' had enough.',
      'By then I had had enough.',
    ],
    [
      '"that that" with a leading space is real text',
      'He said that',
      ' that was fine.',
      'He said that that was fine.',
    ],
    ['one word after a leading space is kept', 'I said no', ' no more.', 'I said no no more.'],
    [
      'a word repeated without a space is a restatement',
      'I said no',
      'no more.',
      'I said no more.',
    ],
    [
      'a word after held space, written without one, is a restatement',
      'By then I had ',
      'had enough.',
      'By then I had enough.',
    ],
    [
      '"aardvark": one letter then more letters is the word',
      'The a',
      'ardvark sleeps.',
      'The aardvark sleeps.',
    ],
    ['"11": one digit again is the number', 'Version 1', '1 is out.', 'Version 11 is out.'],
    ['"==": one symbol again is the operator', 'if a =', '= b:', 'if a == b:'],
    ['a heading mark restated with its line', 'Intro.\n\n#', '# Setup', 'Intro.\n\n# Setup'],
    ['a heading mark, then the title', 'Intro.\n\n#', ' Setup', 'Intro.\n\n# Setup'],
    [
      'a second heading mark written glued is the level',
      'Intro.\n\n#',
      '#Setup',
      'Intro.\n\n##Setup',
    ],
    ['"##" then "## Setup" restates the line', 'Intro.\n\n##', '## Setup', 'Intro.\n\n## Setup'],
    ['a list dash restated', 'Items:\n-', '- one', 'Items:\n- one'],
    [
      '"# " then "# Title": the mark was complete, restated',
      'Intro.\n\n# ',
      '# Setup',
      'Intro.\n\n# Setup',
    ],
    [
      'a complete code line written twice is real code',
      'x += 1',
      '\nx += 1\nprint(x)',
      'x += 1\nx += 1\nprint(x)',
    ],
    ['a closing brace twice is real code', '    }', '\n}', '    }\n}'],
    [
      'two-character reduplication in Japanese is kept',
      '彼はいろ',
      'いろな本を読んだ。',
      '彼はいろいろな本を読んだ。',
    ],
    ['ABAB reduplication in Chinese is kept', '你应该休息', '休息一下。', '你应该休息休息一下。'],
    [
      'a long number restated is a restatement',
      'The year 2026',
      '2026 was busy.',
      'The year 2026 was busy.',
    ],
    ['closing brackets are appended', 'foo(bar(1)', ')', 'foo(bar(1))'],
  ]),
  ...rows('cjk', [
    ['Japanese: continues', 'これは日本語のテキス', 'トです。', 'これは日本語のテキストです。'],
    [
      'Japanese: restates the cut word',
      'これは日本語のテキス',
      'テキストです。',
      'これは日本語のテキストです。',
    ],
    [
      'Japanese: restates a phrase',
      'これは日本語のテキス',
      '日本語のテキストです。',
      'これは日本語のテキストです。',
    ],
    [
      'Japanese: restates a sentence start',
      '今日は天気がいいですね。明日も',
      '明日も晴れるでしょう。',
      '今日は天気がいいですね。明日も晴れるでしょう。',
    ],
    [
      'Japanese: continues after a full stop',
      '今日は天気がいいですね。',
      '明日も晴れるでしょう。',
      '今日は天気がいいですね。明日も晴れるでしょう。',
    ],
    [
      'Japanese: restates the last sentence whole',
      '今日は天気がいいですね。',
      '今日は天気がいいですね。明日も晴れるでしょう。',
      '今日は天気がいいですね。明日も晴れるでしょう。',
    ],
    [
      'Japanese: katakana restated',
      'データベースのマイグレー',
      'マイグレーションを実行します。',
      'データベースのマイグレーションを実行します。',
    ],
    ['Chinese: continues', '我们需要实现增量同', '步功能。', '我们需要实现增量同步功能。'],
    [
      'Chinese: restates three characters',
      '我们需要实现增量同',
      '增量同步功能。',
      '我们需要实现增量同步功能。',
    ],
    [
      'Chinese: restates a clause',
      '这是一个关于数据库的问',
      '数据库的问题。',
      '这是一个关于数据库的问题。',
    ],
    [
      'Chinese: restates after a comma',
      '首先，安装依赖，然后运',
      '然后运行测试。',
      '首先，安装依赖，然后运行测试。',
    ],
    [
      'Chinese with Latin: restates',
      '使用 Python 的 asyncio 库可以实现并',
      '实现并发处理。',
      '使用 Python 的 asyncio 库可以实现并发处理。',
    ],
    [
      'Chinese with Latin: restates from the Latin word',
      '使用 Python 的 asyncio 库可以实现并',
      'asyncio 库可以实现并发处理。',
      '使用 Python 的 asyncio 库可以实现并发处理。',
    ],
    ['Thai: continues', 'สวัสดีครับ วันนี้อากา', 'ศดีมาก', 'สวัสดีครับ วันนี้อากาศดีมาก'],
    ['Thai: restates characters', 'สวัสดีครับ วันนี้อากา', 'อากาศดีมาก', 'สวัสดีครับ วันนี้อากาศดีมาก'],
    ['Thai: restates from the space', 'สวัสดีครับ วันนี้อากา', 'วันนี้อากาศดีมาก', 'สวัสดีครับ วันนี้อากาศดีมาก'],
    [
      'Korean (spaced): restates a word',
      '데이터 동기화를 구현',
      '구현해야 합니다.',
      '데이터 동기화를 구현해야 합니다.',
    ],
    [
      'Korean (spaced): continues',
      '데이터 동기화를 구현',
      '해야 합니다.',
      '데이터 동기화를 구현해야 합니다.',
    ],
    [
      'Japanese after an emoji: restates',
      '完了しました🎉 次はデプロ',
      'デプロイです。',
      '完了しました🎉 次はデプロイです。',
    ],
    [
      'Japanese: a long restatement',
      '設定ファイルを読み込んでから、サーバーを起動して、ログを確認してくだ',
      'サーバーを起動して、ログを確認してください。',
      '設定ファイルを読み込んでから、サーバーを起動して、ログを確認してください。',
    ],
  ]),
  ...rows('code', [
    [
      'fence reopened with its tag, line restated',
      'Here:\n```python\ndef f(x):\n    re',
      '```python\n    return x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'fence reopened bare, line restated',
      'Here:\n```python\ndef f(x):\n    re',
      '```\n    return x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'fence reopened, function restated',
      'Here:\n```python\ndef f(x):\n    re',
      '```python\ndef f(x):\n    return x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'fence reopened with its tag, nothing restated',
      'Here:\n```python\ndef f(x):\n    re',
      '```python\nturn x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'fence reopened bare mid-line, nothing restated',
      'Here:\n```python\ndef f(x):\n    re',
      '```\nturn x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'fence reopened after a newline',
      'Code:\n```ts\nlet x = compu',
      '\n```ts\nlet x = compute();\n```',
      'Code:\n```ts\nlet x = compute();\n```',
    ],
    [
      'fence reopened, word restated without indentation',
      'Here:\n```python\ndef f(x):\n    re',
      '```python\nreturn x * 2\n```',
      'Here:\n```python\ndef f(x):\n    return x * 2\n```',
    ],
    [
      'cut inside a fence opener, fence restated',
      'Example:\n\n``',
      '```python\nimport os\n```',
      'Example:\n\n```python\nimport os\n```',
    ],
    [
      'cut inside a fence opener, continued',
      'Example:\n\n``',
      '`python\nimport os\n```',
      'Example:\n\n```python\nimport os\n```',
    ],
    [
      'cut after one backtick, continued',
      'Example:\n\n`',
      '``python\nimport os\n```',
      'Example:\n\n```python\nimport os\n```',
    ],
    [
      'cut after one backtick, fence restated',
      'Example:\n\n`',
      '```python\nimport os\n```',
      'Example:\n\n```python\nimport os\n```',
    ],
    [
      'fence reopened, a one-letter line restated',
      '```python\nd',
      '```python\ndef f():\n    pass\n```',
      '```python\ndef f():\n    pass\n```',
    ],
    [
      'preamble, fence reopened, a one-letter line restated',
      'Code:\n```python\nd',
      'Continuing from where I left off:\n\n```python\ndef f():\n    pass\n```',
      'Code:\n```python\ndef f():\n    pass\n```',
    ],
    [
      'cut inside the closing fence, fence restated',
      '```python\nx = 1\n``',
      '```\n\nDone.',
      '```python\nx = 1\n```\n\nDone.',
    ],
    [
      'cut inside the closing fence, continued',
      '```python\nx = 1\n``',
      '`\n\nDone.',
      '```python\nx = 1\n```\n\nDone.',
    ],
    [
      'closing fence restated',
      '```python\nx = 1\n```',
      '```\n\nDone.',
      '```python\nx = 1\n```\n\nDone.',
    ],
    [
      'closing fence continued',
      '```python\nx = 1\n```',
      '\n\nDone.',
      '```python\nx = 1\n```\n\nDone.',
    ],
    [
      'the real closing fence stays',
      '```python\nprint(1)\n',
      '```\n\nThat prints 1.',
      '```python\nprint(1)\n```\n\nThat prints 1.',
    ],
    [
      'tilde fence reopened',
      '~~~js\nconst a =',
      '~~~js\nconst a = 1;\n~~~',
      '~~~js\nconst a = 1;\n~~~',
    ],
    [
      'four-backtick fence reopened',
      '````md\n```js\nx()\n```\nmore te',
      '````md\nmore text\n````',
      '````md\n```js\nx()\n```\nmore text\n````',
    ],
    [
      'cut right after the fence line',
      'Example:\n```python\n',
      '```python\nimport os\n```',
      'Example:\n```python\nimport os\n```',
    ],
    [
      'cut right after the fence line, continues',
      'Example:\n```python\n',
      'import os\n```',
      'Example:\n```python\nimport os\n```',
    ],
    ['cut right after a newline in code', 'def f():\n', '    return 1', 'def f():\n    return 1'],
    [
      'line restated with its indentation',
      'def f(x):\n    return x +',
      '    return x + 1',
      'def f(x):\n    return x + 1',
    ],
    [
      'two lines restated with indentation',
      'for i in range(3):\n    if i:\n        pri',
      '    if i:\n        print(i)',
      'for i in range(3):\n    if i:\n        print(i)',
    ],
    ['inline code reopened', 'Use `npm ci', '`npm ci` in CI.', 'Use `npm ci` in CI.'],
    [
      'inline identifier restarted',
      'Call `useEff',
      'useEffect()` once.',
      'Call `useEffect()` once.',
    ],
    [
      'code continues mid-token',
      'const total = items.redu',
      'ce((a, b) => a + b, 0);',
      'const total = items.reduce((a, b) => a + b, 0);',
    ],
    [
      'code restarts a call',
      'const total = items.redu',
      'items.reduce((a, b) => a + b, 0);',
      'const total = items.reduce((a, b) => a + b, 0);',
    ],
    [
      'code restarts the statement',
      'const total = items.redu',
      'const total = items.reduce((a, b) => a + b, 0);',
      'const total = items.reduce((a, b) => a + b, 0);',
    ],
    [
      'tab-indented line restated',
      'func main() {\n\tfmt.Prin',
      '\tfmt.Println("hi")\n}',
      'func main() {\n\tfmt.Println("hi")\n}',
    ],
    [
      'JSON in a fence, key restated',
      '```json\n{\n  "name": "life',
      '```json\n  "name": "lifeline"\n}\n```',
      '```json\n{\n  "name": "lifeline"\n}\n```',
    ],
    [
      'shell line restated',
      '```sh\nnpm ci && npm te',
      'npm ci && npm test\n```',
      '```sh\nnpm ci && npm test\n```',
    ],
    [
      'a new code line after held newline',
      '```python\nx = 1\n',
      'y = 2\n```',
      '```python\nx = 1\ny = 2\n```',
    ],
  ]),
  ...rows('markdown', [
    [
      'list item restated with its marker',
      'Steps:\n- install deps\n- run the tes',
      '- run the tests\n- deploy',
      'Steps:\n- install deps\n- run the tests\n- deploy',
    ],
    [
      'list item restated after its marker',
      'Steps:\n- install deps\n- run the tes',
      'run the tests\n- deploy',
      'Steps:\n- install deps\n- run the tests\n- deploy',
    ],
    [
      'cut after a list marker',
      'Steps:\n- install\n- ',
      '- run tests',
      'Steps:\n- install\n- run tests',
    ],
    [
      'cut after a list marker, continues',
      'Steps:\n- install\n- ',
      'run tests',
      'Steps:\n- install\n- run tests',
    ],
    [
      'numbered item restated',
      '1. Clone\n2. Inst',
      '2. Install\n3. Run',
      '1. Clone\n2. Install\n3. Run',
    ],
    [
      'numbered item, number restated after held space',
      '1. Clone\n2. ',
      '2. Install',
      '1. Clone\n2. Install',
    ],
    [
      'heading restated',
      'Intro text.\n\n## Instal',
      '## Installation\n\nRun npm ci.',
      'Intro text.\n\n## Installation\n\nRun npm ci.',
    ],
    [
      'heading restated without its marks',
      'Intro text.\n\n## Instal',
      'Installation\n\nRun npm ci.',
      'Intro text.\n\n## Installation\n\nRun npm ci.',
    ],
    [
      'heading continued',
      'Intro text.\n\n## Instal',
      'lation\n\nRun npm ci.',
      'Intro text.\n\n## Installation\n\nRun npm ci.',
    ],
    [
      'table row restated',
      '| a | b |\n|---|---|\n| 1 | tw',
      '| 1 | two |\n| 3 | four |',
      '| a | b |\n|---|---|\n| 1 | two |\n| 3 | four |',
    ],
    [
      'table row continued',
      '| a | b |\n|---|---|\n| 1 | tw',
      'o |\n| 3 | four |',
      '| a | b |\n|---|---|\n| 1 | two |\n| 3 | four |',
    ],
    [
      'table cell restated',
      '| a | b |\n|---|---|\n| 1 | tw',
      'two |\n| 3 | four |',
      '| a | b |\n|---|---|\n| 1 | two |\n| 3 | four |',
    ],
    ['blockquote restated', '> To be or not', '> To be or not to be', '> To be or not to be'],
    ['bold restated', 'This is **very imp', '**very important**.', 'This is **very important**.'],
    [
      'link restated',
      'See [the docs](https://exa',
      '[the docs](https://example.com).',
      'See [the docs](https://example.com).',
    ],
    [
      'nested list item restated',
      '- a\n  - b\n  - c',
      '  - c1\n  - d',
      '- a\n  - b\n  - c1\n  - d',
    ],
    ['task list item restated', '- [x] build\n- [ ] tes', '- [ ] test', '- [x] build\n- [ ] test'],
  ]),
  ...rows('whitespace', [
    ['held space, continuation starts with a word', 'Hello world ', 'again.', 'Hello world again.'],
    ['held space, continuation brings its own', 'Hello world ', ' again.', 'Hello world again.'],
    [
      'held paragraph break, continuation brings the same',
      'First paragraph.\n\n',
      '\n\nSecond.',
      'First paragraph.\n\nSecond.',
    ],
    [
      'held paragraph break, continuation brings one newline',
      'First.\n\n',
      '\nSecond.',
      'First.\n\nSecond.',
    ],
    [
      'held newline, continuation brings a paragraph break',
      'First.\n',
      '\n\nSecond.',
      'First.\n\nSecond.',
    ],
    [
      'nothing held, continuation opens with a paragraph break',
      'First.',
      '\n\nSecond.',
      'First.\n\nSecond.',
    ],
    ['cut right after a newline', 'Line one\n', 'Line two', 'Line one\nLine two'],
    ['held space and a restated word', 'the quick ', 'quick brown', 'the quick brown'],
    ['held newline and a restated heading', '## Title\n', '## Title\nBody', '## Title\nBody'],
    ['no doubled space after a period', 'word. ', ' Next', 'word. Next'],
    ['continuation is whitespace only', 'The end. ', ' ', 'The end. '],
    ['held indentation', 'if x:\n    ', '    y()', 'if x:\n    y()'],
    ['held indentation, continuation starts with code', 'if x:\n    ', 'y()', 'if x:\n    y()'],
    ['held space, continuation starts with punctuation', 'Really ', '? Yes.', 'Really ? Yes.'],
    ['nothing held, continuation starts with punctuation', 'Really', '? Yes.', 'Really? Yes.'],
    ['tab at the start of a line restated', '\tfoo(', '\tfoo(bar)', '\tfoo(bar)'],
    [
      'held line break, continuation brings indentation only',
      'def f():\n',
      '    return 1',
      'def f():\n    return 1',
    ],
    [
      'held line break, continuation brings one space',
      'Line one\n',
      ' Line two',
      'Line one\nLine two',
    ],
  ]),
  ...rows('preamble', [
    [
      'preamble, then restated words',
      'The quick brown fo',
      'Continuing from where I left off:\n\nbrown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      'polite preamble',
      'The quick brown fo',
      'Sure, continuing from where I left off:\n\nquick brown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      '"I\'ll continue" preamble',
      'The quick brown fo',
      "I'll continue from where I stopped.\n\nbrown fox jumps.",
      'The quick brown fox jumps.',
    ],
    [
      '"(continued)" tag',
      'The quick brown fo',
      '(continued)\n\nbrown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      '"here is the rest" preamble',
      'The quick brown fo',
      'Here is the rest of the answer:\n\nbrown fox jumps.',
      'The quick brown fox jumps.',
    ],
    [
      'inline preamble, then a new word',
      'The quick brown fox',
      'Continuing where I left off: jumps over.',
      'The quick brown fox jumps over.',
    ],
    [
      'preamble, then a reopened fence',
      'Here:\n```python\ndef f(x):\n    re',
      'Continuing from where I was cut off:\n\n```python\n    return x\n```',
      'Here:\n```python\ndef f(x):\n    return x\n```',
    ],
    [
      'preamble, then a restarted word',
      'We need an incremental synchronis',
      'Resuming where I left off:\n\nsynchronisation across regions.',
      SYNC,
    ],
    [
      '"Continuing the loop" is text',
      'We loop over the items.',
      ' Continuing the loop, we add one.',
      'We loop over the items. Continuing the loop, we add one.',
    ],
    [
      '"Continuing" starting a paragraph is text',
      'Done.\n\n',
      'Continuing the migration is optional.',
      'Done.\n\nContinuing the migration is optional.',
    ],
    [
      '"Sure" starting a sentence is text',
      'Is it safe? ',
      'Sure it is.',
      'Is it safe? Sure it is.',
    ],
    ['"I am" is text', 'After all that, ', 'I am done.', 'After all that, I am done.'],
  ]),
  ...rows('all', [
    [
      'one word restated whole',
      'Migration',
      'Migration plan: step one.',
      'Migration plan: step one.',
    ],
    [
      'a sentence restated whole',
      'The plan has three steps: first, back up the data',
      'The plan has three steps: first, back up the database.',
      'The plan has three steps: first, back up the database.',
    ],
    [
      'restated whole with held whitespace',
      'Hello, world. ',
      'Hello, world. How are you?',
      'Hello, world. How are you?',
    ],
    [
      'restated whole, multi-line',
      '# Plan\n\n1. Back up\n2. Mig',
      '# Plan\n\n1. Back up\n2. Migrate\n3. Verify',
      '# Plan\n\n1. Back up\n2. Migrate\n3. Verify',
    ],
    [
      'restated whole, Japanese',
      'データベースを',
      'データベースを移行します。',
      'データベースを移行します。',
    ],
  ]),
  ...rows('append', [
    ['continues mid-sentence', 'The quick brown', ' fox jumps.', 'The quick brown fox jumps.'],
    ['continues after a comma', 'First,', ' second.', 'First, second.'],
    ['continues a number', 'It costs 4', '2 dollars.', 'It costs 42 dollars.'],
    [
      'continues with a different word',
      'The quick brown',
      ' bear runs.',
      'The quick brown bear runs.',
    ],
    ['continues with a new paragraph', 'The end.', '\n\nA new start.', 'The end.\n\nA new start.'],
    ['continues code', 'let x = 1', ';\nlet y = 2;', 'let x = 1;\nlet y = 2;'],
    [
      'continues a sentence that repeats an earlier phrase',
      'the cat sat on the mat, and the',
      ' dog sat on the cat.',
      'the cat sat on the mat, and the dog sat on the cat.',
    ],
    ['continues with an emoji', 'Done', ' 🎉', 'Done 🎉'],
    ['continues inside a cluster', 'Cafe', '\u0301 au lait', 'Cafe\u0301 au lait'],
    ['continues after a closing quote', 'He said "yes"', ' and left.', 'He said "yes" and left.'],
  ]),
];
