// An evaluation program (the command evaluator's contract) that fails for good on some
// architectures, as a training script that runs out of memory on certain cells does on
// every attempt; the rest get a made-up accuracy. Both depend on the architecture text
// alone, so a search with it is as deterministic as one on a table.
// argv: [failOneIn] (default 6)
const failOneIn = Number(process.argv[2] ?? 6);
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (text += chunk));
process.stdin.on('end', () => {
  const { arch } = JSON.parse(text);
  let h = 0x811c9dc5;
  for (let i = 0; i < arch.length; i++) h = Math.imul(h ^ arch.charCodeAt(i), 0x01000193) >>> 0;
  if (h % failOneIn === 0) {
    process.stderr.write('RuntimeError: CUDA out of memory (this architecture always fails)\n');
    process.exit(3);
  }
  const valAcc = 60 + (h % 3000) / 100;
  console.log(JSON.stringify({ valAcc, testAcc: valAcc - 0.5 }));
});
