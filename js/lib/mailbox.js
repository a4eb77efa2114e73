// How the main thread hands a backend's worker what it waits for (an HTTP reply, the compiled
// modules) while the worker sleeps in Atomics.wait: a SharedArrayBuffer whose first word says
// what is there (0 nothing, 1 a reply in the buffer, 2 a message on the port) and whose
// bytes carry a reply that fits (`[u32 head length][head JSON][body]`); anything else goes
// through a MessagePort. Writing a reply into shared memory and waking the worker costs less
// than a MessagePort's structured clone and wake-up of the worker's event loop.

import { receiveMessageOnPort } from 'node:worker_threads';

const HEADER = 8; // the state word, the length word
const CAPACITY = 128 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Mailbox {
  /** A new shared buffer for `Mailbox(buffer, port)` on both sides. */
  static buffer() {
    return new SharedArrayBuffer(HEADER + CAPACITY);
  }

  constructor(buffer, port) {
    this.words = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER);
    this.view = new DataView(buffer, HEADER);
    this.port = port;
  }

  // The main thread's side.

  /** Hands over `{ ...head, body?: Uint8Array }`, then wakes the worker. */
  put(reply) {
    const { body, ...head } = reply;
    const json = JSON.stringify(head);
    const { read, written } = encoder.encodeInto(json, this.bytes.subarray(4));
    const size = 4 + written + (body?.length ?? 0);
    if (read < json.length || size > CAPACITY) {
      this.send(reply);
      return;
    }
    this.view.setUint32(0, written);
    if (body) this.bytes.set(body, 4 + written);
    this.words[1] = size;
    this.wake(1);
  }

  /** Hands over any cloneable message through the port, then wakes the worker. */
  send(message) {
    const transfer = message?.body?.buffer instanceof ArrayBuffer ? [copyOf(message)] : [];
    this.port.postMessage(message, transfer);
    this.wake(2);
  }

  wake(state) {
    Atomics.store(this.words, 0, state);
    Atomics.notify(this.words, 0);
  }

  // The worker's side.

  /** Forgets what was taken: the next `take` waits for a new hand-over. */
  clear() {
    Atomics.store(this.words, 0, 0);
  }

  /** Whether something is waiting. */
  ready() {
    return Atomics.load(this.words, 0) !== 0;
  }

  /** Waits for the hand-over and returns it. */
  take() {
    let state;
    while ((state = Atomics.load(this.words, 0)) === 0) Atomics.wait(this.words, 0, 0);
    if (state === 2) {
      let message;
      while (!(message = receiveMessageOnPort(this.port))) Atomics.wait(this.words, 0, state, 1);
      return message.message;
    }
    const size = this.words[1];
    const headLength = this.view.getUint32(0);
    const reply = JSON.parse(decoder.decode(this.bytes.subarray(4, 4 + headLength)));
    if (size > 4 + headLength) reply.body = this.bytes.slice(4 + headLength, size);
    return reply;
  }
}

/** The body as a buffer of its own, moved (not copied again) to the worker. */
function copyOf(message) {
  message.body = new Uint8Array(message.body);
  return message.body.buffer;
}
