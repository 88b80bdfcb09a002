/**
 * Runs every benchmark, one after another, in a fixed order. Each bench/*.bench.ts does its
 * work when imported (so it can also be run alone); add a line here for a new one.
 * `npm run bench` runs this with `node --expose-gc --import tsx`.
 */
const benches: Array<() => Promise<unknown>> = [
  // benches:begin
  () => import('./sse.bench.js'),
  () => import('./proxy.bench.js'),
  () => import('./resume.bench.js'),
  () => import('./seam.bench.js'),
  () => import('./stall.js'),
  () => import('./gateway.bench.js'),
  // benches:end
];

for (const load of benches) {
  await load();
  console.log('');
}
