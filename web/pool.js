// The page's bridge to its Workers. A WorkerClient talks to one worker.js
// (one wasm engine, one model) with {id, method, args} messages and
// transferred buffers; a WorkerPool spreads independent calls (the compare
// grid, batches, evaluation curves) over navigator.hardwareConcurrency
// workers, each with its own engine and its own copy of the model; a
// WorkerPair lends a WorkerClient a partner worker to split one explanation
// of a large model in two (explainSplit in lrp.js).
//
// A model's settings (the engine's configure: normalization and class
// names) reach every Worker that holds it as the model itself does: the
// pool's and the partner's open the model with the settings of the moment,
// and those that hold it already are configured before their next call.

/** The rejection of a call that a newer one replaced before it was sent. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'Superseded';
  }
}

/** The rejection of a split explanation whose partner Worker stopped; the pair is closed. */
export class PartnerLost extends Error {
  constructor(reason) {
    super(`lrp: the second Worker stopped (${reason})`);
    this.name = 'PartnerLost';
  }
}

const workerURL = new URL('./worker.js', import.meta.url);
// The same script asked to run its engine on the pure-Go kernels
// (worker.js reads the query).
const workerURLGo = new URL('./worker.js?simd=0', import.meta.url);

export class WorkerClient {
  #worker;
  #nextId = 1;
  #calls = new Map(); // id → {resolve, reject, onProgress}
  #lanes = new Map(); // lane name → {busy, next}
  #stopped = false;

  /**
   * kernels {simd: false} starts the worker's engine on the pure-Go
   * kernels (lrp.js init({simd: false})), for comparisons; by default it
   * runs on WebAssembly SIMD where the browser has it.
   */
  constructor(name = 'lrp', kernels = {}) {
    this.kernels = kernels;
    this.#worker = new Worker(kernels.simd === false ? workerURLGo : workerURL, { type: 'module', name });
    this.#worker.onmessage = (e) => this.#receive(e.data);
    this.#worker.onerror = (e) => {
      e.preventDefault?.();
      this.#stopped = true;
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
    if (this.#stopped) return Promise.reject(new Error('lrp: the worker was stopped'));
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
   * method is a method name, or a function (args, transfer) → Promise that
   * sends the request itself (as WorkerPair.explain does).
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
    const send = typeof job.method === 'function' ? job.method : (args, transfer) => this.call(job.method, args, { transfer });
    new Promise((resolve) => resolve(send(req.args, req.transfer))) // a throw rejects
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

  /** stopped reports whether the worker failed to start, threw, or was terminated. */
  get stopped() {
    return this.#stopped;
  }

  /** terminate stops the worker at once; pending calls reject. */
  terminate() {
    this.#stopped = true;
    this.#worker.terminate();
    this.#failAll(new Error('lrp: the worker was stopped'));
  }
}

/**
 * A WorkerPool runs calls on `size` workers (default: one per logical core,
 * at most 8, so a phone does not hold eight copies of a large model). Each
 * worker opens the pool's model before its first call after setModel.
 * Calls are queued in order; a call's group may run on at most `limit`
 * workers at once (the evaluation leaves a core to the live Worker), and
 * cancel(group) drops the queued calls of a group (a newer compare run
 * replaces an older one) and, on request, stops its running ones.
 */
export class WorkerPool {
  #clients = [];
  #idle = [];
  #queue = [];
  #running = new Set(); // {w, task} of the calls in a worker
  #started = 0; // workers started so far, to name them
  #source = null;
  #modelVersion = 0;
  #settings = null; // the model's configure settings; null: as loaded
  #settingsVersion = 0;
  #kernels;

  /** kernels is the WorkerClient option of every worker of the pool. */
  constructor(size = navigator.hardwareConcurrency || 2, kernels = {}) {
    this.size = Math.max(1, Math.min(8, size | 0));
    this.#kernels = kernels;
  }

  /** setModel makes every worker open source ({url} | {file} | {bytes}, plus name) before its next call. */
  setModel(source) {
    this.#source = source;
    this.#settings = null;
    this.#modelVersion++;
  }

  /**
   * configure makes every worker configure the model with settings (as
   * the engine's configure takes them, all of them: they replace the
   * earlier ones) before its next call; a worker that opens the model
   * later opens it with them. Calls already running finish as they were.
   */
  configure(settings) {
    this.#settings = settings;
    this.#settingsVersion++;
  }

  /**
   * run queues one call and resolves with its result. limit bounds the
   * calls of group that run at once (default: the pool's size).
   */
  run(method, args, { group = '', transfer = [], limit = Infinity } = {}) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ method, args, transfer, group, limit, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * cancel rejects the queued (not yet started) calls of group with
   * Superseded. With running, it also stops the workers running calls of
   * group (their calls reject with Superseded too): a worker's call cannot
   * be interrupted, only the worker; a new one takes its place when needed.
   */
  cancel(group, { running = false } = {}) {
    this.#queue = this.#queue.filter((t) => {
      if (t.group !== group) return true;
      t.reject(new Superseded());
      return false;
    });
    if (!running) return;
    for (const r of [...this.#running]) {
      if (r.task.group !== group) continue;
      r.task.cancelled = true;
      this.#running.delete(r);
      this.#clients.splice(this.#clients.indexOf(r.w), 1);
      r.w.client.terminate(); // its call rejects; #start then drops the worker
    }
    this.#dispatch();
  }

  /** workers is the number of workers running now. */
  get workers() {
    return this.#clients.length;
  }

  /** busy reports how many calls of group run in a worker now. */
  busy(group) {
    let n = 0;
    for (const r of this.#running) if (r.task.group === group) n++;
    return n;
  }

  #dispatch() {
    for (let i = 0; i < this.#queue.length; ) {
      const task = this.#queue[i];
      if (this.busy(task.group) >= task.limit) {
        i++;
        continue;
      }
      let w = this.#idle.pop();
      if (!w && this.#clients.length < this.size) {
        w = { client: new WorkerClient(`lrp-pool-${++this.#started}`, this.#kernels), version: 0, settings: 0 };
        this.#clients.push(w);
      }
      if (!w) return;
      this.#queue.splice(i, 1);
      this.#start(w, task);
    }
  }

  async #start(w, task) {
    const r = { w, task };
    this.#running.add(r);
    try {
      if (w.version !== this.#modelVersion) {
        const v = this.#modelVersion;
        const s = this.#settingsVersion;
        if (!this.#source) throw new Error('lrp: the pool has no model');
        await w.client.call('open', { source: this.#source, settings: this.#settings });
        w.version = v;
        w.settings = s;
      }
      while (w.settings !== this.#settingsVersion) {
        const s = this.#settingsVersion;
        await w.client.call('configure', { settings: this.#settings });
        w.settings = s;
      }
      task.resolve(await w.client.call(task.method, task.args, { transfer: task.transfer }));
    } catch (err) {
      w.version = 0; // open again next time: the worker may hold no model
      task.reject(task.cancelled ? new Superseded() : err);
    } finally {
      this.#running.delete(r);
      if (!w.client.stopped) this.#idle.push(w);
      else if (this.#clients.includes(w)) this.#clients.splice(this.#clients.indexOf(w), 1); // it failed: a new one takes its place
      this.#dispatch();
    }
  }
}

// A partner that is splitting is pinged every pingEvery ms and counts as
// lost when a ping goes unanswered for pingTimeout ms: a Worker that closed
// or crashed tells the page nothing, and its half would never arrive. The
// engine answers between its products, which take well under a second.
const pingEvery = 1000;
const pingTimeout = 5000;

/**
 * A WorkerPair splits the explanations of a WorkerClient, the main worker,
 * with a partner worker of its own: both run explainSplit with the same id,
 * each computes half of every large product (lrp.js), and the result is the
 * main worker's, the same to the bit as explain's. follow(source) makes the
 * partner open the model the main worker holds, in the background; until it
 * has, and once the partner is lost or closed, ready is false and the
 * caller explains on the main worker alone.
 */
export class WorkerPair {
  #main;
  #partner = null; // WorkerClient
  #paired = null; // Promise of both workers' pair
  #source = null; // the model the partner holds or is opening
  #settings = null; // and the settings it has or is getting
  #opened = null; // Promise of the partner's open of #source, and of its configure with #settings
  #version = 0; // bumped by hold, follow and close: an older follow gives up
  #ready = false;
  #nextId = 1; // split ids only increase over the main engine's life, across partners
  #lost = new WeakSet(); // partners that stopped on their own, not by close

  constructor(main) {
    this.#main = main;
  }

  /** ready reports whether explain can split: the partner holds the main worker's model. */
  get ready() {
    return this.#ready;
  }

  /** hold stops splitting until the next follow: call it before the main worker opens another model. */
  hold() {
    this.#version++;
    this.#ready = false;
  }

  /**
   * follow makes the partner (started and paired if need be) open source,
   * the model the main worker holds now, with settings, those the main
   * worker's model has now (null: as loaded), and resolves with true once
   * it has, or false if a newer hold, follow or close came first. If the
   * partner fails, the pair is closed and follow rejects. Call hold before
   * the main worker's model changes settings and follow after: the two
   * engines of a split must agree.
   */
  async follow(source, settings = null) {
    const v = ++this.#version;
    this.#ready = false;
    if (!this.#partner) this.#start();
    const partner = this.#partner;
    if (source !== this.#source) {
      this.#source = source;
      this.#settings = settings;
      this.#opened = partner.call('open', { source, settings });
    } else if (settings !== this.#settings) {
      this.#settings = settings;
      this.#opened = this.#opened.then(() => partner.call('configure', { settings }));
    }
    try {
      await Promise.all([this.#paired, this.#opened]);
    } catch (err) {
      if (v !== this.#version) return false;
      this.close();
      throw err;
    }
    if (v !== this.#version) return false;
    this.#ready = true;
    return true;
  }

  /** close stops the partner; explanations run on the main worker alone until the next follow. */
  close() {
    this.#version++;
    this.#ready = false;
    this.#partner?.terminate();
    this.#partner = this.#paired = this.#source = this.#settings = this.#opened = null;
  }

  #lose(partner) {
    this.#lost.add(partner);
    if (partner === this.#partner) this.close();
  }

  #start() {
    const partner = (this.#partner = new WorkerClient('lrp-partner', this.#main.kernels));
    const { port1, port2 } = new MessageChannel();
    this.#paired = Promise.all([
      this.#main.call('pair', { port: port1, part: 0 }, { transfer: [port1] }),
      partner.call('pair', { port: port2, part: 1 }, { transfer: [port2] }),
    ]);
  }

  /**
   * explain runs explainSplit({input, options}) on both workers (args as
   * for the worker's explain; the buffers in transfer go to the main
   * worker, the partner gets a copy) and resolves with the main worker's
   * result. If either part fails, the other is aborted and explain rejects
   * with the main worker's error, or PartnerLost if the partner stopped.
   */
  explain(args, transfer = []) {
    if (!this.#ready) return Promise.reject(new Error('lrp: the pair is not ready'));
    const id = this.#nextId++;
    const main = this.#main;
    const partner = this.#partner;
    const theirs = partner.call('explainSplit', { ...args, id });
    const mine = main.call('explainSplit', { ...args, id }, { transfer });
    const abort = (client) => (err) => client.call('abortSplit', { id, reason: String(err?.message ?? err) }).catch(() => {});
    theirs.catch(abort(main));
    mine.catch(abort(partner));
    const watch = setInterval(() => {
      const dead = setTimeout(() => this.#lose(partner), pingTimeout);
      partner.call('ping').then(() => clearTimeout(dead), () => {});
    }, pingEvery);
    return Promise.allSettled([mine, theirs]).then(([a, b]) => {
      clearInterval(watch);
      if (b.status === 'rejected' && partner.stopped) {
        if (partner === this.#partner) this.#lose(partner);
        // A partner stopped by close belonged to a model replaced since.
        throw this.#lost.has(partner) ? new PartnerLost(b.reason?.message ?? b.reason) : new Superseded();
      }
      if (a.status === 'rejected') throw a.reason;
      if (b.status === 'rejected') throw b.reason;
      return a.value;
    });
  }
}
