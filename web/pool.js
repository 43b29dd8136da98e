// The page's bridge to its Workers. A WorkerClient talks to one worker.js
// (one wasm engine, one model) with {id, method, args} messages and
// transferred buffers; a WorkerPool spreads independent calls (the compare
// grid, batches, evaluation curves) over navigator.hardwareConcurrency
// workers, each with its own engine and its own copy of the model.

/** The rejection of a call that a newer one replaced before it was sent. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'Superseded';
  }
}

const workerURL = new URL('./worker.js', import.meta.url);

export class WorkerClient {
  #worker;
  #nextId = 1;
  #calls = new Map(); // id → {resolve, reject, onProgress}
  #lanes = new Map(); // lane name → {busy, next}

  constructor(name = 'lrp') {
    this.#worker = new Worker(workerURL, { type: 'module', name });
    this.#worker.onmessage = (e) => this.#receive(e.data);
    this.#worker.onerror = (e) => {
      e.preventDefault?.();
      this.#failAll(new Error(`lrp: the worker stopped: ${e.message || 'could not start'}`));
    };
    this.#worker.onmessageerror = () => this.#failAll(new Error('lrp: a message from the worker could not be read'));
  }

  /**
   * call posts {id, method, args} and resolves with the worker's result.
   * Buffers in `transfer` move to the worker (the caller loses them);
   * onProgress receives {loaded, total, phase} while a model is read.
   */
  call(method, args = {}, { transfer = [], onProgress } = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject, onProgress });
      this.#worker.postMessage({ id, method, args }, transfer);
    });
  }

  /**
   * latest is call with latest-request-wins on a lane: at most one call of
   * the lane is in the worker and at most one waits; a newer request
   * replaces the waiting one, whose promise resolves with null. make() runs
   * only when the request is actually sent, so it reads the freshest input;
   * it returns {args, transfer, meta}. Resolves with {result, meta, sentAt}.
   */
  latest(lane, method, make) {
    let l = this.#lanes.get(lane);
    if (!l) this.#lanes.set(lane, (l = { busy: false, next: null }));
    return new Promise((resolve, reject) => {
      l.next?.resolve(null);
      l.next = { method, make, resolve, reject };
      if (!l.busy) this.#pump(l);
    });
  }

  /** busy reports whether a call of the lane is in the worker. */
  busy(lane) {
    return this.#lanes.get(lane)?.busy ?? false;
  }

  #pump(l) {
    const job = l.next;
    if (!job) return;
    l.next = null;
    let req;
    try {
      req = job.make();
    } catch (err) {
      job.reject(err);
      this.#pump(l);
      return;
    }
    if (!req) {
      job.resolve(null);
      return;
    }
    l.busy = true;
    const sentAt = performance.now();
    this.call(job.method, req.args, { transfer: req.transfer })
      .then((result) => job.resolve({ result, meta: req.meta, sentAt }), job.reject)
      .finally(() => {
        l.busy = false;
        this.#pump(l);
      });
  }

  #receive(msg) {
    const c = this.#calls.get(msg.id);
    if (!c) return;
    if (msg.progress) {
      c.onProgress?.(msg.progress);
      return;
    }
    this.#calls.delete(msg.id);
    if (msg.error) {
      const err = new Error(msg.error.message);
      err.name = msg.error.name || 'Error';
      c.reject(err);
    } else {
      c.resolve(msg.result);
    }
  }

  #failAll(err) {
    for (const c of this.#calls.values()) c.reject(err);
    this.#calls.clear();
  }

  /** terminate stops the worker at once; pending calls reject. */
  terminate() {
    this.#worker.terminate();
    this.#failAll(new Error('lrp: the worker was stopped'));
  }
}

/**
 * A WorkerPool runs calls on `size` workers (default: one per logical core,
 * at most 8, so a phone does not hold eight copies of a large model). Each
 * worker opens the pool's model before its first call after setModel.
 * Calls are queued in order; cancel(group) drops the queued calls of a
 * group (a newer compare run replaces an older one).
 */
export class WorkerPool {
  #clients = [];
  #idle = [];
  #queue = [];
  #source = null;
  #modelVersion = 0;

  constructor(size = navigator.hardwareConcurrency || 2) {
    this.size = Math.max(1, Math.min(8, size | 0));
  }

  /** setModel makes every worker open source ({url} | {file} | {bytes}, plus name) before its next call. */
  setModel(source) {
    this.#source = source;
    this.#modelVersion++;
  }

  /** run queues one call and resolves with its result. */
  run(method, args, { group = '', transfer = [] } = {}) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ method, args, transfer, group, resolve, reject });
      this.#dispatch();
    });
  }

  /** cancel rejects the queued (not yet started) calls of group with Superseded. */
  cancel(group) {
    this.#queue = this.#queue.filter((t) => {
      if (t.group !== group) return true;
      t.reject(new Superseded());
      return false;
    });
  }

  /** workers is the number of workers started so far. */
  get workers() {
    return this.#clients.length;
  }

  #dispatch() {
    while (this.#queue.length) {
      let w = this.#idle.pop();
      if (!w && this.#clients.length < this.size) {
        w = { client: new WorkerClient(`lrp-pool-${this.#clients.length + 1}`), version: 0 };
        this.#clients.push(w);
      }
      if (!w) return;
      this.#start(w, this.#queue.shift());
    }
  }

  async #start(w, task) {
    try {
      if (w.version !== this.#modelVersion) {
        const v = this.#modelVersion;
        if (!this.#source) throw new Error('lrp: the pool has no model');
        await w.client.call('open', { source: this.#source });
        w.version = v;
      }
      task.resolve(await w.client.call(task.method, task.args, { transfer: task.transfer }));
    } catch (err) {
      w.version = 0; // open again next time: the worker may hold no model
      task.reject(err);
    } finally {
      this.#idle.push(w);
      this.#dispatch();
    }
  }
}
