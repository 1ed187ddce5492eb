// sfdx-git-delta as the reference of `sfhotfix delta`, imported by path from an installed copy (see
// /work/shared/peers/README.md). Two modes, reading JSON from stdin and writing JSON to stdout:
//   node sgd_runner.mjs PEERS delta     {"repo", "from", "to", "output", "generateDelta", and optionally
//                                         "source": [folders], "ignore", "ignoreDestructive", "include", "includeDestructive"}
//        -> {"package": {type: [members]}, "destructiveChanges": {...}, "warnings": [...]}
//   node sgd_runner.mjs PEERS prune     [{"from": xml, "to": xml}, ...]
//        -> [{"xml", "isEmpty", "roundtrip"}, ...]   (sgd's MetadataDiff.prune and its XML round trip)
const [peers, mode] = process.argv.slice(2);
const lib = `${peers}/node_modules/sfdx-git-delta/lib`;
let input = '';
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const plain = (m) => Object.fromEntries([...m.entries()].map(([k, v]) => [k, [...v].sort()]).sort());

if (mode === 'delta') {
  const { default: sgd } = await import(`${lib}/main.js`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(request.output, { recursive: true });
  const work = await sgd({ repo: request.repo, from: request.from, to: request.to, output: request.output,
    source: request.source || ['.'], generateDelta: !!request.generateDelta, ignoreWhitespace: false,
    ignore: request.ignore, ignoreDestructive: request.ignoreDestructive, include: request.include,
    includeDestructive: request.includeDestructive });
  console.log(JSON.stringify({ package: plain(work.diffs.package), destructiveChanges: plain(work.diffs.destructiveChanges),
    warnings: work.warnings.map(String) }));
} else if (mode === 'prune') {
  const { default: MetadataDiff } = await import(`${lib}/utils/metadataDiff.js`);
  const { xml2Json, convertJsonToXml } = await import(`${lib}/utils/fxpHelper.js`);
  const { getDefinition, getInFileAttributes } = await import(`${lib}/metadata/metadataManager.js`);
  const attributes = getInFileAttributes(await getDefinition(63));
  console.log(JSON.stringify(request.map(({ from, to }) => {
    const diff = new MetadataDiff({}, attributes);
    diff.fromContent = xml2Json(from);
    diff.toContent = xml2Json(to);
    const { xmlContent, isEmpty } = diff.prune();
    return { xml: xmlContent, isEmpty, roundtrip: convertJsonToXml(xml2Json(to)) };
  })));
} else {
  throw new Error(`unknown mode ${mode}`);
}
