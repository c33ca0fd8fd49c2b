// Worker thread entry for `analyze --workers N`: reads, parses and judges batches of corpus
// files and sends back one record per file and the batch's summed counts, so the main thread
// holds no host objects, does next to no work per host, and parsing runs on every core.

import { parentPort, workerData } from 'node:worker_threads';
import { readCorpusFileSync, type FileMetadata } from '../corpus/read.js';
import { buildTimeline } from '../policy/declarations.js';
import { Judge } from '../policy/judge.js';
import { judgeBatch, type ItemJudge, type JudgedBatch, type JudgeSetup } from './judge-file.js';

export interface WorkerFile extends FileMetadata {
  path: string;
}

export type WorkerRequest = { id: number; files: WorkerFile[] };
/** The first message a worker gets: what it judges with. */
export type WorkerSetupMessage = { setup: JudgeSetup };
export type WorkerReply = { id: number; batch: JudgedBatch } | { id: number; error: string };

async function setUp(setup: JudgeSetup): Promise<ItemJudge> {
  // The timeline holds closures: rebuilt here from the Series, which is plain data.
  const timeline = buildTimeline(setup.series, setup.tables);
  const judge = new Judge(setup.tables, timeline, { scopes: setup.scopes });
  return { quirks: setup.quirks, judge, patches: timeline.patchIndexes.length, acsOverride: setup.acsOverride };
}

const port = parentPort;
if (port) {
  // The setup comes as workerData or, from a worker started before it existed, as the first message.
  let gotSetup: (setup: JudgeSetup) => void = () => undefined;
  const ready = (workerData ? Promise.resolve(workerData as JudgeSetup) : new Promise<JudgeSetup>((resolve) => (gotSetup = resolve))).then(setUp);
  // Avoid an unhandled rejection before the first batch arrives; the error is sent with it.
  ready.catch(() => undefined);
  port.on('message', (req: WorkerRequest | WorkerSetupMessage) => {
    if ('setup' in req) {
      gotSetup(req.setup);
      return;
    }
    ready.then(
      (j) => {
        let reply: WorkerReply;
        try {
          reply = { id: req.id, batch: judgeBatch(req.files, (f) => readCorpusFileSync(f.path, f), j) };
        } catch (err) {
          reply = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        }
        // The affected hosts' bytes move to the main thread instead of being copied.
        if ('batch' in reply) port.postMessage(reply, [reply.batch.impacts.bytes.buffer as ArrayBuffer]);
        else port.postMessage(reply);
      },
      (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  });
}
