// Talking to the server: JSON requests, raw uploads and the slider's WebSocket channel.
// The channel keeps at most one solve in flight; while one is out, newer requests replace each other
// and only the latest is sent when the reply arrives (so the page always renders the newest state).

import { decodeFrame } from "./protocol.js";

export class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field || "stack";
  }
}

async function reply(res) {
  if (res.ok) return res;
  let body = {};
  try {
    body = await res.json();
  } catch (e) {
    body = { error: `${res.status} ${res.statusText}` };
  }
  throw new ApiError(body.error || `${res.status} ${res.statusText}`, body.field);
}

export async function postJSON(path, body) {
  const res = await fetch(path, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return (await reply(res)).json();
}

export async function postForBlob(path, body) {
  const res = await fetch(path, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return (await reply(res)).blob();
}

export async function postFrame(body) {
  const res = await fetch("/api/frame", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return decodeFrame(await (await reply(res)).arrayBuffer());
}

export async function uploadBytes(path, params, data) {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(`${path}?${q}`, {
    method: "POST", headers: { "content-type": "application/octet-stream" }, body: data,
  });
  return (await reply(res)).json();
}

export async function getJSON(path) {
  return (await reply(await fetch(path))).json();
}

export class SolveChannel {
  // onFrame({header, arrays}, request) and onError(ApiError, request) are called for each reply.
  constructor(onFrame, onError, onStatus) {
    this.onFrame = onFrame;
    this.onError = onError;
    this.onStatus = onStatus;
    this.inFlight = null;
    this.pending = null;
    this.nextId = 1;
    this.connect();
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      this.onStatus("connected");
      this.flush();
    };
    this.ws.onclose = () => {
      this.onStatus("disconnected: reconnecting…");
      if (this.inFlight) this.pending = this.pending || this.inFlight;
      this.inFlight = null;
      setTimeout(() => this.connect(), 1000);
    };
    this.ws.onmessage = (ev) => this.receive(ev.data);
  }

  // Ask for a solve; t0 is the performance.now() of the user input that caused it; options are the
  // band solve's transport limit and kinetics ({transport, kinetics}, see state.js solveOptions).
  request(stack, ocv, t0 = performance.now(), options = {}) {
    this.pending = { type: "solve", id: this.nextId++, stack, ocv, t0, options };
    this.flush();
  }

  flush() {
    if (this.inFlight || !this.pending || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.inFlight = this.pending;
    this.pending = null;
    const { type, id, stack, ocv, options } = this.inFlight;
    this.inFlight.tSent = performance.now();
    this.ws.send(JSON.stringify({ type, id, stack, ocv, ...options }));
  }

  receive(data) {
    const req = this.inFlight;
    if (req) req.tReceived = performance.now();
    this.inFlight = null;
    try {
      if (typeof data === "string") {
        const msg = JSON.parse(data);
        this.onError(new ApiError(msg.message, msg.field), req);
      } else {
        this.onFrame(decodeFrame(data), req);
      }
    } finally {
      this.flush();
    }
  }

  get busy() {
    return Boolean(this.inFlight || this.pending);
  }
}

// Requests to the server's panels (e.g. impedance) on a second WebSocket, so that a slow panel never
// holds up the slider's solves: request(name, body) resolves with the panel's answer or rejects with an
// ApiError carrying the package's one-line message (bad input is a message, not a failed HTTP request).
export class PanelChannel {
  constructor() {
    this.waiting = new Map();
    this.nextId = 1;
    this.ws = null;
  }

  open() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return this.ready;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ready = new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new ApiError("the panel channel could not connect", "request"));
    });
    this.ws.onclose = () => {
      for (const { reject } of this.waiting.values()) reject(new ApiError("the server closed the connection", "request"));
      this.waiting.clear();
      this.ws = null;
    };
    this.ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.type === "panel") w.resolve(msg.result);
      else w.reject(new ApiError(msg.message, msg.field));
    };
    return this.ready;
  }

  async request(name, body) {
    await this.open();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...body, type: "panel", id, name }));
    });
  }
}
